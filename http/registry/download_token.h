#pragma once
// Download tokens: the capability inside a module's package URL. Package URLs are fetched
// anonymously (go-getter sends no bearer token; protocol-conformance §1.7), so the
// `/download` answer hands out a short-lived signed token naming exactly one module version,
// and the artifact route serves only what a valid token names. The storage coordinates
// never come from the request (inventory §9: the reference takes bucket, account and
// directory from the URL).
//
// Token = base64url(payload) "." base64url(HMAC-SHA256(key, payload)), where payload is
// "od1\n<namespace>\n<name>\n<system>\n<version>\n<expiry unix seconds>" for a module, and
// the same with the tag "odp1" and system = "<os>_<arch>" for one platform of a provider
// release: the tag is under the MAC, so a module token never opens a provider artifact and
// back. The MAC is checked in constant time before the payload is read; then the expiry.
// Thread affinity: pure functions, any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace od::http {

inline constexpr size_t kMinTokenKeyBytes = 32;
inline constexpr size_t kMaxTokenLength = 2048;

enum class DownloadKind { Module, Provider };

struct DownloadClaims {
  std::string name_space;
  std::string name;
  std::string system;
  std::string version;  // canonical
  int64_t expires_unix = 0;
  DownloadKind kind = DownloadKind::Module;  // Provider: `system` is "<os>_<arch>"
  bool operator==(const DownloadClaims&) const = default;
};

// REQUIRES: key.size() >= kMinTokenKeyBytes; no claim field holds '\n' (such a token would
// simply never verify).
std::string signDownloadToken(const DownloadClaims& claims, std::string_view key);

// Errors (all Errc::Permission, messages fit for a 403 body): malformed token, bad
// signature, expired (expires_unix <= now_unix).
core::Result<DownloadClaims> verifyDownloadToken(std::string_view token, std::string_view key,
                                                 int64_t now_unix);

}  // namespace od::http
