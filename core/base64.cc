#include "core/base64.h"

#include <array>

namespace od::core {
namespace {

constexpr std::string_view kStd = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) {
      n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    }
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (rest == 2) {
      out.push_back(alphabet[(n >> 6) & 63]);
    }
    if (pad) {
      out.append(rest == 1 ? "==" : "=");
    }
  }
  return out;
}

Result<std::string> decode(std::string_view text, std::string_view alphabet, bool padded) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<int>(i);
  }
  size_t data_len = text.size();
  if (padded) {
    if (text.size() % 4 != 0) {
      return makeError(Errc::Invalid, "base64 length is not a multiple of 4");
    }
    while (data_len > 0 && text.size() - data_len < 2 && text[data_len - 1] == '=') {
      --data_len;
    }
  } else if (data_len % 4 == 1) {
    return makeError(Errc::Invalid, "base64url has an impossible length");
  }
  std::string out;
  out.reserve(data_len * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < data_len; ++i) {
    const int v = table[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return makeError(Errc::Invalid, "base64 contains a character outside its alphabet");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Canonical form: the unused low bits of the last character are zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return makeError(Errc::Invalid, "base64 is not canonical");
  }
  return out;
}

}  // namespace

std::string base64Encode(std::string_view bytes) { return encode(bytes, kStd, true); }
Result<std::string> base64Decode(std::string_view text) { return decode(text, kStd, true); }
std::string base64UrlEncode(std::string_view bytes) { return encode(bytes, kUrl, false); }
Result<std::string> base64UrlDecode(std::string_view text) { return decode(text, kUrl, false); }

std::string hexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 0xF]);
  }
  return out;
}

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

Result<std::string> hexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return makeError(Errc::Invalid, "hex has an odd length");
  }
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = hexDigitValue(text[i]);
    const int lo = hexDigitValue(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return makeError(Errc::Invalid, "hex contains a character that is not a hex digit");
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace od::core
