#pragma once
// Small helpers shared by the GitHub double's files: GitHub-shaped JSON answers, tokens, times.

#include <openssl/rand.h>

#include <cctype>
#include <ctime>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "http/message.h"

namespace od::testing::double_util {

inline constexpr char kDocs[] = "https://docs.github.com/rest";

inline std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

inline http::Response githubJson(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.header("Content-Type", "application/json; charset=utf-8");
  r.header("Server", "GitHub.com");
  r.header("X-GitHub-Media-Type", "github.v3; format=json");
  return r;
}

// {"message": ..., "documentation_url": ..., "status": "<code>"} as GitHub answers errors.
inline http::Response message(int status, std::string_view text, std::string_view docs = kDocs) {
  core::JsonWriter w;
  w.beginObject().member("message", text).member("documentation_url", docs)
      .member("status", std::to_string(status)).endObject();
  return githubJson(status, w.take());
}

inline std::string randomToken(std::string_view prefix) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[36];
  RAND_bytes(bytes, sizeof bytes);
  std::string out(prefix);
  for (unsigned char b : bytes) {
    out += kAlphabet[b % 62];
  }
  return out;
}

inline std::string isoTime(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "Bearer x" / "token x" → x; "" when absent; "\x01" when present but not one of those.
inline std::string credential(const http::Request& request) {
  const std::string* h = http::findHeader(request.headers, "authorization");
  if (h == nullptr) {
    return "";
  }
  for (std::string_view scheme : {"Bearer ", "bearer ", "token ", "Token "}) {
    if (h->rfind(scheme, 0) == 0) {
      return h->substr(scheme.size());
    }
  }
  return "\x01";
}

}  // namespace od::testing::double_util
