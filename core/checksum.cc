#include "core/checksum.h"

#include <cstring>

#include "core/base64.h"

namespace od::core {

Result<Sha256> Sha256::fromBytes(std::string_view raw) {
  if (raw.size() != kSize) {
    return makeError(Errc::Invalid, "a SHA-256 digest has 32 bytes, not " + std::to_string(raw.size()));
  }
  std::array<uint8_t, kSize> bytes{};
  std::memcpy(bytes.data(), raw.data(), kSize);
  return Sha256(bytes);
}

Result<Sha256> Sha256::fromBase64(std::string_view text) {
  auto raw = base64Decode(text);
  if (!raw.ok()) {
    return makeError(Errc::Invalid, "checksum is not valid base64: " + raw.error().message);
  }
  return fromBytes(*raw);
}

Result<Sha256> Sha256::fromHex(std::string_view text) {
  if (text.size() != 2 * kSize) {
    return makeError(Errc::Invalid, "a hex SHA-256 digest has 64 characters, not " +
                                        std::to_string(text.size()));
  }
  auto raw = hexDecode(text);
  if (!raw.ok()) {
    return makeError(Errc::Invalid, "checksum is not valid hex: " + raw.error().message);
  }
  return fromBytes(*raw);
}

std::string Sha256::base64() const { return base64Encode(raw()); }
std::string Sha256::hex() const { return hexEncode(raw()); }

}  // namespace od::core
