#include "adapters/registry/upstream_http.h"

#include <sys/socket.h>

#include <algorithm>

#include "adapters/github/github_http.h"

namespace od::adapters::registry {

using core::Errc;
using core::makeError;

namespace {

curl_socket_t openPublicOnly(void* clientp, curlsocktype /*purpose*/, struct curl_sockaddr* address) noexcept {
  if (!github::isPublicAddress(&address->addr)) {
    static_cast<Leg*>(clientp)->refused_address = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool hostAllowed(const std::vector<std::string>& allow, std::string_view url) {
  auto target = github::hostAndAuthority(url);
  return target && (std::find(allow.begin(), allow.end(), target->first) != allow.end() ||
                    std::find(allow.begin(), allow.end(), target->second) != allow.end());
}

std::string retryHint(const kube::TransferResult& r) {
  return r.retry_after_seconds ? "; retry after " + std::to_string(*r.retry_after_seconds) + " s" : "";
}

}  // namespace

std::string bodyHint(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 120)) {
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return out.empty() ? "(empty body)" : out;
}

kube::CurlEasyPtr upstreamEasy(const UpstreamTransport& t, const std::string& url, Leg* leg,
                               bool download) {
  kube::CurlEasyPtr easy(curl_easy_init());
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  const char* protocols = t.allow_plain_http ? "http,https" : "https";
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(e, CURLOPT_USERAGENT, t.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);  // release assets redirect to a CDN
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t.connect_timeout.count()));
  if (download) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.download_timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(1, t.stall_timeout.count() / 1000)));
  } else {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.request_timeout.count()));
  }
  if (!t.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, t.ca_file.c_str());
  }
  if (!hostAllowed(t.upstream_allow, url)) {
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &openPublicOnly);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, leg);
  }
  return easy;
}

core::Error upstreamError(const kube::TransferResult& r, const Leg& leg, std::string_view what) {
  std::string prefix(what);
  if (leg.refused_address) {
    return makeError(Errc::Permission, prefix + ": the address is not public; list its host in "
                                                "upstream_allow to permit it");
  }
  if (r.code == CURLE_OPERATION_TIMEDOUT) {
    return makeError(Errc::Timeout, prefix + ": timed out: " + r.error);
  }
  if (r.code == CURLE_UNSUPPORTED_PROTOCOL) {
    return makeError(Errc::Invalid, prefix + ": refused a URL scheme (plain http is off): " + r.error);
  }
  if (r.code == CURLE_TOO_MANY_REDIRECTS) {
    return makeError(Errc::Corrupt, prefix + ": too many redirects");
  }
  if (r.code != CURLE_OK && !r.too_large) {
    return makeError(Errc::Unavailable, prefix + ": " + r.error);
  }
  std::string status = ": HTTP " + std::to_string(r.status) + " ";
  if (r.status == 404) {
    return makeError(Errc::NotFound, prefix + status + "not found: " + bodyHint(r.body));
  }
  if (r.status == 401 || r.status == 403) {
    return makeError(Errc::Permission, prefix + status + "refused: " + bodyHint(r.body));
  }
  if (r.status == 429 || r.status >= 500 || r.status == 408) {
    return makeError(Errc::Unavailable, prefix + status + bodyHint(r.body) + retryHint(r));
  }
  if (r.too_large) {
    return makeError(Errc::Corrupt, prefix + ": answer larger than the limit");
  }
  return makeError(Errc::Corrupt, prefix + status + "unexpected answer: " + bodyHint(r.body));
}

}  // namespace od::adapters::registry
