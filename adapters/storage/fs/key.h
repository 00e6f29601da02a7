#pragma once
// Object keys for filesystem storage: validation and splitting (B23, B24).
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::adapters::storage {

inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxComponentBytes = 255;
// The first component reserved for checksum side files, and the prefix of temporary files.
inline constexpr std::string_view kMetaDir = ".od-meta";
inline constexpr std::string_view kTempPrefix = ".od-tmp-";

// Splits a valid key into its components. Errc::Invalid (never truncated, never "fixed") for:
// empty or > 1024 bytes, a leading '/', empty, "." or ".." components, backslashes, NUL or
// other control bytes, components > 255 bytes, and names reserved by the store (a first
// component ".od-meta", any component starting with ".od-tmp-").
core::Result<std::vector<std::string>> splitKey(std::string_view key);

}  // namespace od::adapters::storage
