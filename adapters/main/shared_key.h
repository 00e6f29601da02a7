#pragma once
// The download-token key every `serve` replica shares: 32 random bytes kept in Valkey at
// od:{ctl}:download-key. The first replica to start writes it (SET NX); the others read
// it, so links minted by one replica verify on every other one with no extra configuration.
// Anyone who can read that key can mint download links: the chart's Valkey ACL keeps it to
// the opendepot user.
// Thread affinity: main thread, at startup (a short blocking connection).

#include <string>

#include "core/ports/random.h"
#include "core/result.h"

namespace od::adapters::main {

inline constexpr const char* kDownloadKeyName = "od:{ctl}:download-key";

// Errors: Unavailable when Valkey cannot be reached; Corrupt when the stored key is not 64
// hex digits.
core::Result<std::string> sharedDownloadKey(const std::string& valkey_url, core::Random& random);

}  // namespace od::adapters::main
