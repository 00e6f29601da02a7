#pragma once
// The provider signing key as the reference's chart passes it: `server.gpg.secretName` names a
// Secret that the Deployment takes with envFrom, four variables (inventory §Helm, §env):
//   OPENDEPOT_PROVIDER_GPG_PRIVATE_KEY_BASE64  base64 of the ASCII-armored secret key; used
//                                              when --gpg-key-file is not given
//   OPENDEPOT_PROVIDER_GPG_KEY_ID              must name that key (its 16-digit id or a longer
//                                              fingerprint ending in it); checked at startup,
//                                              where the reference published whatever it said
//   OPENDEPOT_PROVIDER_GPG_SOURCE_URL          published as signing_keys' source_url
//   OPENDEPOT_PROVIDER_GPG_ASCII_ARMOR         not read: the public key is exported from the
//                                              private key, so the two cannot disagree
// The reference read these on every request; we read them once at startup.
// Thread affinity: plain functions; main thread at startup.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/signer.h"
#include "core/result.h"

namespace od::adapters::main {

inline constexpr const char* kGpgPrivateKeyEnv = "OPENDEPOT_PROVIDER_GPG_PRIVATE_KEY_BASE64";
inline constexpr const char* kGpgKeyIdEnv = "OPENDEPOT_PROVIDER_GPG_KEY_ID";
inline constexpr const char* kGpgSourceUrlEnv = "OPENDEPOT_PROVIDER_GPG_SOURCE_URL";

// The value of an environment variable, nullopt when unset (tests pass their own).
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup processEnv();

struct SigningEnv {
  std::string private_key;  // as found (base64 or armor), surrounding whitespace trimmed
  std::string key_id;       // upper-case, without a 0x prefix; empty when unset
  std::string source_url;   // empty when unset
};

// Errors (Invalid, naming the variable): a key id that is not 8 to 40 hex digits; a source
// URL that is not an absolute http(s) URL.
core::Result<SigningEnv> readSigningEnv(const EnvLookup& env);

// Checks env.key_id against the current (first) key and puts env.source_url on it.
// Errors: Invalid when the id names another key, or when there is no key but the env names one.
core::Status applySigningEnv(const SigningEnv& env, std::vector<core::PublicKey>& keys);

}  // namespace od::adapters::main
