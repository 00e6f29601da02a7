#include "http/registry/route_support.h"

#include <algorithm>

namespace od::http {
namespace {

constexpr size_t kMaxClientLength = 128;

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (isUnreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += {'%', kHex[b >> 4], kHex[b & 0xF]};
    }
  }
  return out;
}

std::string clientProduct(const Request& request) {
  const std::string* ua = findHeader(request.headers, "user-agent");
  if (ua == nullptr) {
    return {};
  }
  std::string_view v = *ua;
  v = v.substr(0, std::min(v.find(' '), kMaxClientLength));
  return std::string(v);
}

}  // namespace od::http
