#include "http/registry/download_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <vector>

#include "core/base64.h"

namespace od::http {
namespace {

constexpr std::string_view kPayloadTag = "od1";
constexpr std::string_view kProviderPayloadTag = "odp1";

std::string mac(std::string_view payload, std::string_view key) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const unsigned char* data = reinterpret_cast<const unsigned char*>(payload.data());
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, payload.size(), out,
           &len) == nullptr) {
    return {};  // never equal to a real MAC: the token fails to verify
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

core::Error denied(std::string message) {
  return core::makeError(core::Errc::Permission, std::move(message));
}

std::vector<std::string_view> splitLines(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (true) {
    const size_t nl = s.find('\n', pos);
    parts.push_back(s.substr(pos, nl == std::string_view::npos ? s.npos : nl - pos));
    if (nl == std::string_view::npos) {
      return parts;
    }
    pos = nl + 1;
  }
}

core::Result<DownloadClaims> parsePayload(std::string_view payload) {
  const std::vector<std::string_view> parts = splitLines(payload);
  if (parts.size() != 6 || (parts[0] != kPayloadTag && parts[0] != kProviderPayloadTag)) {
    return denied("malformed download token");
  }
  DownloadClaims c{std::string(parts[1]), std::string(parts[2]), std::string(parts[3]),
                   std::string(parts[4]), 0,
                   parts[0] == kPayloadTag ? DownloadKind::Module : DownloadKind::Provider};
  auto [end, ec] = std::from_chars(parts[5].data(), parts[5].data() + parts[5].size(), c.expires_unix);
  if (ec != std::errc() || end != parts[5].data() + parts[5].size()) {
    return denied("malformed download token");
  }
  return c;
}

}  // namespace

std::string signDownloadToken(const DownloadClaims& claims, std::string_view key) {
  std::string payload(claims.kind == DownloadKind::Module ? kPayloadTag : kProviderPayloadTag);
  for (const std::string* field : {&claims.name_space, &claims.name, &claims.system, &claims.version}) {
    payload += '\n';
    payload += *field;
  }
  payload += '\n';
  payload += std::to_string(claims.expires_unix);
  return core::base64UrlEncode(payload) + "." + core::base64UrlEncode(mac(payload, key));
}

core::Result<DownloadClaims> verifyDownloadToken(std::string_view token, std::string_view key,
                                                 int64_t now_unix) {
  if (token.size() > kMaxTokenLength) {
    return denied("malformed download token");
  }
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return denied("malformed download token");
  }
  auto payload = core::base64UrlDecode(token.substr(0, dot));
  auto given = core::base64UrlDecode(token.substr(dot + 1));
  if (!payload.ok() || !given.ok()) {
    return denied("malformed download token");
  }
  const std::string expected = mac(*payload, key);
  if (expected.empty() || given->size() != expected.size() ||
      CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0) {
    return denied("download token signature does not match (forged, altered or from another key)");
  }
  OD_TRY(DownloadClaims claims, parsePayload(*payload));
  if (claims.expires_unix <= now_unix) {
    return denied("download token expired; ask the registry for a new download location");
  }
  return claims;
}

}  // namespace od::http
