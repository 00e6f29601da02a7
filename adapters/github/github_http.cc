#include "adapters/github/github_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <utility>

#include "core/json.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

namespace {

bool allOf(std::string_view s, std::string_view extra) {
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (s.size() > 80 ? "...\"" : "\"");
}

struct UrlParts {
  std::string scheme;
  std::string authority;
  std::string path;
};

std::optional<UrlParts> splitUrl(std::string_view url) {
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  UrlParts parts;
  parts.scheme = std::string(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 3);
  size_t slash = rest.find_first_of("/?#");
  parts.authority = std::string(rest.substr(0, slash));
  parts.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (parts.authority.empty() || parts.authority.find('@') != std::string::npos) {
    return std::nullopt;
  }
  for (auto* s : {&parts.scheme, &parts.authority}) {
    for (char& c : *s) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return parts;
}

std::optional<std::string> header(CURL* easy, const char* name) {
  curl_header* h = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == nullptr) {
    return std::nullopt;
  }
  return std::string(h->value);
}

std::optional<int64_t> integerHeader(CURL* easy, const char* name) {
  auto value = header(easy, name);
  if (!value || value->empty() || value->size() > 18 || !allOf(*value, "")) {
    return std::nullopt;
  }
  return std::stoll(*value);
}

std::string isoTime(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// GitHub's {"message": "..."} when the body has one, else a short printable prefix.
std::string githubMessage(const std::string& body) {
  core::JsonLimits limits;
  limits.max_bytes = 64 * 1024;
  auto doc = core::JsonDocument::parse(body, limits);
  std::string_view message;
  if (doc && doc->root()["message"].get(message) == simdjson::SUCCESS) {
    return printable(message);
  }
  return body.empty() ? std::string("(empty body)") : printable(body);
}

// CURLOPT_OPENSOCKETFUNCTION: refuses non-public peers for redirect legs.
curl_socket_t openPublicOnly(void* clientp, curlsocktype /*purpose*/, struct curl_sockaddr* address) noexcept {
  auto* refused = static_cast<bool*>(clientp);
  if (!isPublicAddress(&address->addr)) {
    *refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

}  // namespace

bool isPublicAddress(const struct sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return !(in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
             in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24) ||
             in(0xC6120000, 15) || in(0xE0000000, 4) || in(0xF0000000, 4));
  }
  if (addr->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, &a.s6_addr[12], 4);
      return isPublicAddress(reinterpret_cast<const sockaddr*>(&v4));
    }
    return !(IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a) ||
             IN6_IS_ADDR_SITELOCAL(&a) || IN6_IS_ADDR_MULTICAST(&a) || (a.s6_addr[0] & 0xfe) == 0xfc);
  }
  return false;
}

std::optional<std::pair<std::string, std::string>> hostAndAuthority(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts || (parts->scheme != "https" && parts->scheme != "http")) {
    return std::nullopt;
  }
  std::string host = parts->authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return std::make_pair(host, parts->authority);
}

core::Status validateOptions(const GithubOptions& options) {
  auto parts = splitUrl(options.api_url);
  if (!parts || (parts->scheme != "https" && parts->scheme != "http")) {
    return makeError(Errc::Invalid, "github api_url " + printable(options.api_url) +
                                        ": want https://host[:port][/path]");
  }
  if (parts->scheme == "http" && !options.allow_plain_http) {
    return makeError(Errc::Invalid, "github api_url " + printable(options.api_url) +
                                        " is plain http; allow_plain_http is off");
  }
  if (options.api_url.find_first_of("?# ") != std::string::npos) {
    return makeError(Errc::Invalid, "github api_url " + printable(options.api_url) +
                                        " must not carry a query, fragment or space");
  }
  if (options.max_rate_limit_wait.count() < 0 || options.max_rate_limit_waits < 0) {
    return makeError(Errc::Invalid, "github options: rate-limit waits must not be negative");
  }
  if (options.max_archive_bytes == 0 || options.max_api_bytes == 0 ||
      options.max_release_pages == 0 || options.request_timeout.count() <= 0 ||
      options.download_timeout.count() <= 0 || options.connect_timeout.count() <= 0 ||
      options.stall_timeout.count() <= 0) {
    return makeError(Errc::Invalid, "github options: limits and timeouts must be positive");
  }
  if (options.user_agent.empty()) {
    return makeError(Errc::Invalid, "github options: user_agent is empty (GitHub requires one)");
  }
  return core::okStatus();
}

core::Status checkOwner(std::string_view owner) {
  if (owner.empty() || owner.size() > 39 || owner.front() == '-' || !allOf(owner, "-")) {
    return makeError(Errc::Invalid, "GitHub owner " + printable(owner) +
                                        ": want 1-39 letters, digits or '-', not starting with '-'");
  }
  return core::okStatus();
}

core::Status checkRepo(std::string_view repo) {
  if (repo.empty() || repo.size() > 100 || repo == "." || repo == ".." || !allOf(repo, "._-")) {
    return makeError(Errc::Invalid, "GitHub repository " + printable(repo) +
                                        ": want 1-100 letters, digits, '.', '_' or '-'");
  }
  return core::okStatus();
}

core::Status checkRef(std::string_view ref) {
  if (ref.empty() || ref.size() > 128 || ref.front() == '.' || ref.front() == '-' ||
      ref.find("..") != std::string_view::npos || !allOf(ref, "._+-")) {
    return makeError(Errc::Invalid, "version " + printable(ref) +
                                        ": want 1-128 letters, digits, '.', '_', '+' or '-'");
  }
  return core::okStatus();
}

core::CancelablePtr sendApi(kube::CurlMulti& curl, const GithubOptions& options, ApiRequest request,
                            std::function<void(ApiResponse)> done) {
  kube::TransferSpec spec;
  spec.easy.reset(curl_easy_init());
  CURL* e = spec.easy.get();
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  const char* protocols = options.allow_plain_http ? "http,https" : "https";
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  if (request.download) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.download_timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(1, options.stall_timeout.count() / 1000)));
  } else {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
  }
  if (request.follow_redirects) {
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  }
  if (request.refused_address != nullptr) {
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &openPublicOnly);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, request.refused_address);
  }
  if (!options.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/vnd.github+json");
  headers = curl_slist_append(headers, "X-GitHub-Api-Version: 2022-11-28");
  if (!request.if_none_match.empty()) {
    headers = curl_slist_append(headers, ("If-None-Match: " + request.if_none_match).c_str());
  }
  if (!request.bearer.empty()) {
    // curl sends a custom Authorization header only to the original host and port, so a
    // redirect to codeload (another host) carries no credentials, like the reference.
    headers = curl_slist_append(headers, ("Authorization: Bearer " + request.bearer).c_str());
  }
  if (request.method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, request.body.c_str());  // curl keeps a copy
  }
  spec.headers.reset(headers);
  spec.max_body = options.max_api_bytes;
  spec.sink = std::move(request.sink);
  // CurlMulti calls `done` while the transfer, and so its easy handle, is still alive: the
  // headers are read back from it there (curl_easy_header, the last request of a redirect chain).
  auto finish = [e, done = std::move(done)](kube::TransferResult result) {
    ApiResponse response;
    response.link = header(e, "link").value_or("");
    response.content_type = header(e, "content-type").value_or("");
    response.location = header(e, "location").value_or("");
    response.etag = header(e, "etag").value_or("");
    response.ratelimit_remaining = integerHeader(e, "x-ratelimit-remaining");
    response.ratelimit_reset = integerHeader(e, "x-ratelimit-reset");
    response.retry_after = result.retry_after_seconds;
    response.result = std::move(result);
    done(std::move(response));
  };
  return curl.start(std::move(spec), std::move(finish));
}

core::Error transportError(const ApiResponse& response, std::string_view what) {
  const auto& r = response.result;
  if (r.code == CURLE_OPERATION_TIMEDOUT) {
    return makeError(Errc::Timeout, std::string(what) + ": timed out: " + r.error);
  }
  if (r.too_large) {
    return makeError(Errc::Corrupt, std::string(what) + ": answer larger than the limit");
  }
  if (r.code == CURLE_UNSUPPORTED_PROTOCOL) {
    return makeError(Errc::Invalid, std::string(what) + ": refused a URL scheme (plain http is off): " + r.error);
  }
  if (r.code == CURLE_TOO_MANY_REDIRECTS) {
    return makeError(Errc::Corrupt, std::string(what) + ": too many redirects");
  }
  return makeError(Errc::Unavailable, std::string(what) + ": " + r.error);
}

std::optional<std::chrono::seconds> rateLimitWait(const ApiResponse& response, int64_t now_unix) {
  long status = response.result.status;
  if (status != 403 && status != 429) {
    return std::nullopt;
  }
  if (response.retry_after) {
    return std::chrono::seconds(std::max<long>(*response.retry_after, 0));
  }
  if (response.ratelimit_remaining && *response.ratelimit_remaining == 0) {
    return response.ratelimit_reset
               ? std::chrono::seconds(std::max<int64_t>(*response.ratelimit_reset - now_unix, 1))
               : std::chrono::seconds(60);
  }
  std::string message = githubMessage(response.result.body);
  for (char& c : message) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (status == 429 || message.find("secondary rate limit") != std::string::npos ||
      message.find("abuse detection") != std::string::npos) {
    return std::chrono::seconds(60);
  }
  return std::nullopt;
}

core::Error statusError(const ApiResponse& response, std::string_view what) {
  long status = response.result.status;
  std::string prefix = std::string(what) + ": HTTP " + std::to_string(status) + " ";
  std::string message = githubMessage(response.result.body);
  bool limited = response.ratelimit_remaining && *response.ratelimit_remaining == 0;
  // The wait itself is computed from "now" by the caller; 0 here only classifies.
  if (rateLimitWait(response, 0)) {
    std::string when;
    if (response.retry_after) {
      when = "; retry after " + std::to_string(*response.retry_after) + " s";
    } else if (limited && response.ratelimit_reset) {
      when = "; the limit resets at " + isoTime(*response.ratelimit_reset);
    } else {
      when = "; retry after 60 s";
    }
    return makeError(Errc::Unavailable, prefix + "rate limited: " + message + when);
  }
  if (status == 401 || status == 403) {
    return makeError(Errc::Permission, prefix + "refused: " + message);
  }
  if (status == 404) {
    return makeError(Errc::NotFound, prefix + "not found: " + message);
  }
  if (status == 400 || status == 422) {
    return makeError(Errc::Invalid, prefix + "rejected: " + message);
  }
  return makeError(Errc::Unavailable, prefix + "unexpected answer: " + message);
}

std::optional<std::string> nextLink(std::string_view link) {
  size_t pos = 0;
  while (pos < link.size()) {
    size_t open = link.find('<', pos);
    size_t close = open == std::string_view::npos ? open : link.find('>', open);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view url = link.substr(open + 1, close - open - 1);
    size_t end = link.find('<', close);
    std::string_view params = link.substr(close + 1, end == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : end - close - 1);
    size_t rel = params.find("rel=");
    if (rel != std::string_view::npos) {
      std::string_view value = params.substr(rel + 4);
      size_t stop = value.find_first_of(";,");
      value = value.substr(0, stop);
      while (!value.empty() && (value.back() == ' ' || value.back() == '"')) {
        value.remove_suffix(1);
      }
      while (!value.empty() && (value.front() == ' ' || value.front() == '"')) {
        value.remove_prefix(1);
      }
      size_t at = 0;
      while (at <= value.size()) {
        size_t space = value.find(' ', at);
        std::string_view one = value.substr(at, space == std::string_view::npos ? space : space - at);
        if (strncasecmp(one.data(), "next", 4) == 0 && one.size() == 4) {
          return std::string(url);
        }
        if (space == std::string_view::npos) {
          break;
        }
        at = space + 1;
      }
    }
    pos = close + 1;
  }
  return std::nullopt;
}

bool sameOrigin(std::string_view base, std::string_view url) {
  auto b = splitUrl(base);
  auto u = splitUrl(url);
  if (!b || !u || b->scheme != u->scheme || b->authority != u->authority) {
    return false;
  }
  std::string prefix = b->path;
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  return u->path.compare(0, prefix.size(), prefix) == 0 &&
         (u->path.size() == prefix.size() || u->path[prefix.size()] == '/' ||
          u->path[prefix.size()] == '?');
}

}  // namespace od::adapters::github
