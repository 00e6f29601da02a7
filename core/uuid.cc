#include "core/uuid.h"

namespace od::core {

Uuid Uuid::v7At(int64_t unix_ms, uint64_t rand_hi, uint64_t rand_lo) {
  Uuid u;
  const auto ms = static_cast<uint64_t>(unix_ms) & 0xFFFFFFFFFFFFull;
  for (int i = 0; i < 6; ++i) {
    u.bytes_[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  }
  // 12 bits of rand_a after the version nibble, then variant bits and 62 bits of rand_b.
  u.bytes_[6] = static_cast<uint8_t>(0x70 | ((rand_hi >> 8) & 0x0F));
  u.bytes_[7] = static_cast<uint8_t>(rand_hi & 0xFF);
  for (int i = 0; i < 8; ++i) {
    u.bytes_[8 + i] = static_cast<uint8_t>(rand_lo >> (56 - 8 * i));
  }
  u.bytes_[8] = static_cast<uint8_t>(0x80 | (u.bytes_[8] & 0x3F));
  return u;
}

Uuid Uuid::v7(const Clock& clock, Random& random) {
  const uint64_t hi = random.next();
  const uint64_t lo = random.next();
  return v7At(core::unixMillis(clock.now()), hi, lo);
}

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
    return makeError(Errc::Invalid, "UUID '" + std::string(text.substr(0, 64)) +
                                        "' is not in the 8-4-4-4-12 form");
  }
  Uuid u;
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      continue;
    }
    const char c = text[i];
    int v = -1;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    }
    if (v < 0) {
      return makeError(Errc::Invalid, "UUID '" + std::string(text) + "' has a character that is not lowercase hex");
    }
    u.bytes_[out / 2] = static_cast<uint8_t>(out % 2 == 0 ? v << 4 : (u.bytes_[out / 2] | v));
    ++out;
  }
  return u;
}

std::string Uuid::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0xF]);
  }
  return out;
}

int64_t Uuid::unixMillis() const {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) {
    ms = (ms << 8) | bytes_[i];
  }
  return static_cast<int64_t>(ms);
}

std::string artifactFileName(const Uuid& id, std::string_view extension) {
  std::string out = id.str();
  out.push_back('.');
  out.append(extension);
  return out;
}

}  // namespace od::core
