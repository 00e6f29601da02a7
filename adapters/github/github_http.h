#pragma once
// DESIGN — adapters/github: the GitHub module source (core::ModuleSource).
//   github_http:    one API request over the shared CurlMulti (headers read back with
//                   curl_easy_header), the options, name checks and the mapping of GitHub's
//                   answers (404, 401/403, rate limits, 5xx, curl errors) to core::Errc.
//   app_auth:       the reference's App Secret, the RS256 JWT and the installation-token reply.
//   app_tokens:     per-namespace cache of installation tokens, one mint in flight per namespace.
//   releases:       one page of GET /repos/{o}/{r}/releases, parsed with bounded simdjson.
//   github_module_source: fetch() and listReleases() as small state machines.
// Thread affinity: loop thread only (everything here runs on the control loop).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/kube/curl_multi.h"
#include "core/cancelable.h"
#include "core/result.h"

namespace od::adapters::github {

struct GithubOptions {
  std::string api_url = "https://api.github.com";  // no trailing slash needed; GHE: https://host/api/v3
  std::string user_agent = "opendepot";           // GitHub rejects requests without one
  std::chrono::milliseconds connect_timeout{10000};    // TCP + TLS connect, each request
  std::chrono::milliseconds request_timeout{30000};    // a whole API request (pages, tokens)
  std::chrono::milliseconds download_timeout{600000};  // a whole archive download
  std::chrono::milliseconds stall_timeout{60000};      // a download with no byte for this long
  uint64_t max_archive_bytes = 256ull << 20;           // bytes of one archive
  size_t max_api_bytes = 16u << 20;                    // bytes of one API answer (a releases page)
  size_t max_release_pages = 100;                      // pages of 100 releases followed
  // Release pages kept with their ETag and asked again with If-None-Match: an unchanged page
  // answers 304, which does not count against an authenticated caller's rate limit. 0 = none.
  size_t max_cached_pages = 512;
  // A rate-limited listing waits (on the loop, never blocking) when GitHub says it may retry
  // within this time, at most max_rate_limit_waits times per listing; a longer wait is
  // reported as Errc::Unavailable naming when to retry. 0 never waits.
  std::chrono::seconds max_rate_limit_wait{60};
  int max_rate_limit_waits = 3;
  bool allow_plain_http = false;  // http:// for the API and redirects (tests, dev)
  // Archive redirects leave api_url's origin (codeload.github.com): their connections are
  // refused on loopback, private, link-local and other non-public addresses unless the
  // Location's "host" or "host:port" is listed here (ARCHITECTURE: --upstream-allow).
  std::vector<std::string> upstream_allow;
  std::string ca_file;            // PEM bundle for a GitHub Enterprise with a private CA
};

// Reads a Kubernetes Secret's data (values already base64-decoded from `.data`). The
// composition root implements it (Kubernetes API, or the dev store). Errc::NotFound when the
// Secret does not exist. Called on the loop thread; `done` runs on it, at most once.
using SecretData = std::map<std::string, std::string>;
using SecretReader = std::function<core::CancelablePtr(
    std::string name_space, std::string name, std::function<void(core::Result<SecretData>)> done)>;

// Errc::Invalid unless `options` is usable (api_url scheme and shape, positive limits).
core::Status validateOptions(const GithubOptions& options);

// GitHub's name rules, checked before a name goes into a URL (Errc::Invalid otherwise).
core::Status checkOwner(std::string_view owner);  // [A-Za-z0-9-]{1,39}, no leading '-'
core::Status checkRepo(std::string_view repo);    // [A-Za-z0-9._-]{1,100}, not "." / ".."
core::Status checkRef(std::string_view ref);      // [A-Za-z0-9._+-]{1,128}, no "..", no leading '.' or '-'

struct ApiRequest {
  std::string method = "GET";
  std::string url;
  std::string bearer;              // "" = anonymous
  std::string if_none_match;       // an ETag from an earlier answer: 304 when unchanged
  std::string body;                // for POST
  bool follow_redirects = false;   // archives: the API answers 302 to codeload
  bool download = false;           // download_timeout/stall_timeout instead of request_timeout
  // When set, connections to non-public addresses are refused and *refused_address is set.
  // REQUIRES: the pointee outlives the transfer.
  bool* refused_address = nullptr;
  std::function<bool(std::string_view)> sink;  // body of the final 200, chunk by chunk
};

struct ApiResponse {
  kube::TransferResult result;
  std::string link;                          // Link header
  std::string content_type;
  std::string location;                      // Location header (redirects)
  std::string etag;                          // ETag header
  std::optional<int64_t> ratelimit_remaining;
  std::optional<int64_t> ratelimit_reset;    // Unix seconds
  std::optional<long> retry_after;           // seconds
};

// Starts one request. `done` runs once on the loop thread unless the handle is cancelled.
core::CancelablePtr sendApi(kube::CurlMulti& curl, const GithubOptions& options, ApiRequest request,
                            std::function<void(ApiResponse)> done);

// The error for a transfer that did not complete (curl error): Timeout or Unavailable.
core::Error transportError(const ApiResponse& response, std::string_view what);
// The error for a completed answer that is not the expected success. 401/403 → Permission,
// rate limits (rateLimitWait) and 5xx → Unavailable with when to retry, 404 → NotFound,
// 422/400 → Invalid, other → Unavailable.
core::Error statusError(const ApiResponse& response, std::string_view what);

// How long GitHub asks a rate-limited caller to wait, or nullopt when `response` is no rate
// limit (GitHub's documented rules for 403/429): Retry-After when present; else, with
// x-ratelimit-remaining: 0, until x-ratelimit-reset (from `now_unix`, at least 1 s); else a
// 429 or a 403 whose message names a secondary rate limit: 60 s ("wait for at least one
// minute"). A 403 without any of these is a permission refusal.
std::optional<std::chrono::seconds> rateLimitWait(const ApiResponse& response, int64_t now_unix);

// The URL of rel="next" in an RFC 8288 Link header, if any.
std::optional<std::string> nextLink(std::string_view link_header);
// True when `url` has the same scheme, host and port as `base` and its path lies under base's.
bool sameOrigin(std::string_view base, std::string_view url);
// "host" and "host:port" of an absolute http(s) URL (lowercase), or nullopt.
std::optional<std::pair<std::string, std::string>> hostAndAuthority(std::string_view url);
// True for addresses a redirect may reach by default: not loopback, private (RFC 1918, ULA),
// link-local, CGNAT, unspecified, multicast or reserved. `addr` is a sockaddr_in/in6.
bool isPublicAddress(const struct sockaddr* addr);

}  // namespace od::adapters::github
