#pragma once
// Sha256: a SHA-256 digest value with the two text forms the registry uses: base64 (as the
// reference writes Version.status.checksum) and lowercase hex (SHA256SUMS lines, `shasum`).
// Computing digests is the Hasher port's job; this is only the value.
// Thread affinity: plain value.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace od::core {

class Sha256 {
 public:
  static constexpr size_t kSize = 32;
  Sha256() = default;
  explicit Sha256(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Strict parsers: the exact length, canonical encoding; Errc::Invalid otherwise.
  static Result<Sha256> fromBase64(std::string_view text);
  static Result<Sha256> fromHex(std::string_view text);  // upper or lower case accepted
  static Result<Sha256> fromBytes(std::string_view raw);

  std::string base64() const;
  std::string hex() const;
  std::string_view raw() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

  friend bool operator==(const Sha256&, const Sha256&) = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace od::core
