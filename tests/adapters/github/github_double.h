#pragma once
// GithubDouble: a local stand-in for the GitHub REST API, on the project's own HTTP server
// (http::Server + http::Router), answering with GitHub's shapes and refusing what GitHub refuses:
//   GET  /repos/{o}/{r}/releases?per_page&page   JSON array, Link: next/last/first/prev, a weak
//                                                ETag (If-None-Match with it → 304)
//   GET  /repos/{o}/{r}/zipball|tarball/{ref}    302 → /codeload/{o}/{r}/legacy.zip|legacy.tar.gz/refs/tags/{ref}
//                                                (with ?token=… for private repos, like codeload)
//   GET  /codeload/...                           the archive, wrapper dir "<o>-<r>-<sha7>/"
//   POST /_double/repos/{o}/{r}/releases?tag=T[&prerelease=true][&draft=true]   (test control)
//                                                publishes a release → 201, 409 for a known tag
//   POST /_double/repos/{o}/{r}/fault?kind=K[&page=P][&times=N][&retry_after=S]  (test control)
//                                                sets the releases fault (kind as in faultFromName)
//   POST /app/installations/{id}/access_tokens   verifies the App's RS256 JWT (signature with
//                                                the configured public key, alg, iat/exp, iss) → 201
//   errors as GitHub: 404 {"message":"Not Found","documentation_url":…,"status":"404"},
//   401 Bad credentials for unknown tokens, 404 for private repos without a token, 403 +
//   x-ratelimit-remaining: 0 + x-ratelimit-reset when the configured limit is used up.
// Archives are built at start() from fixture folders with libarchive (sorted entries, fixed
// mtime), so they are identical on every run.
// Thread affinity: start()/stop() from the test thread; handlers run on the server's loop
// thread; counters and setters are any-thread (one mutex).

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/router.h"
#include "http/server.h"

namespace od::testing {

struct DoubleRelease {
  std::string tag;
  bool draft = false;
  bool prerelease = false;
};

struct DoubleRepo {
  std::string owner;
  std::string name;
  std::string fixture_dir;               // content of every tag's archive
  std::vector<DoubleRelease> releases;   // oldest first; each tag also exists as a git tag
  std::vector<std::string> extra_tags;   // tags without a release
  bool is_private = false;               // needs an installation token
};

// Faults of GET .../releases, as GitHub (or what stands before it) really answers:
enum class ReleasesFault {
  None,
  Html,             // 200 text/html (a proxy's or the unicorn page)
  Truncated,        // the JSON array cut in half
  WrongShape,       // 200 JSON object instead of an array
  ServerError,      // 502 text/html
  ForeignNextLink,  // Link rel="next" to another origin
  RateLimited,      // 429 + Retry-After: retry_after (secondary limit)
  SecondaryLimit,   // 403 "You have exceeded a secondary rate limit", no Retry-After
  PrimaryLimit,     // 403 + x-ratelimit-remaining: 0 + x-ratelimit-reset: now + retry_after
  WrongTypes,       // tag_name a number, draft a string
  EmptyBody,        // 200 application/json with no body
};

// When a fault applies: on one page only or every page, for some answers or forever.
struct FaultPlan {
  ReleasesFault fault = ReleasesFault::None;
  int page = 0;             // 1-based page that answers with the fault; 0 = every page
  int times = 0;            // faulty answers before serving normally again; 0 = forever
  int64_t retry_after = 1;  // seconds (RateLimited's Retry-After, PrimaryLimit's reset distance)
};

struct DoubleOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::vector<DoubleRepo> repos;
  std::string app_public_key_pem;  // "" = the App endpoint answers 401 to everything
  int64_t app_id = 1;              // the JWT's iss must equal this
  int64_t installation_id = 1;     // other installation ids answer 404
  int64_t rate_limit = 0;          // API requests allowed (core resource); 0 = no limit
  int64_t rate_window_seconds = 3600;  // the limit is restored this long after the window opened
  int64_t token_lifetime_seconds = 3600;
  // "host:port" of the redirect Location ("{port}" = this server's port); "" = the request's Host
  std::string codeload_authority;
  std::function<int64_t()> now;    // Unix seconds; system time when empty
};

class GithubDouble {
 public:
  explicit GithubDouble(DoubleOptions options);
  ~GithubDouble();

  // Builds the archives and starts the server. Errc::Invalid for a bad fixture.
  core::Status start();
  void stop();
  uint16_t port() const;
  std::string apiUrl() const;  // "http://127.0.0.1:<port>"

  void setReleasesFault(const std::string& owner_repo, ReleasesFault fault);  // every page, forever
  void setReleasesFault(const std::string& owner_repo, FaultPlan plan);
  // Publishes a new release (newest first in listings) with its archives built from the
  // repository's fixture. Errc::NotFound for an unknown repository, Conflict for a known tag.
  core::Status addRelease(const std::string& owner_repo, DoubleRelease release);
  void setRateLimit(int64_t remaining);  // 0 = unlimited again
  void setPerPageCap(int cap);           // server-side page size cap (default 100, as GitHub)
  void revokeTokens();                   // every installation token answers 401 from now on

  int64_t tokenRequests() const { return token_requests_.load(); }
  int64_t tokensIssued() const { return tokens_issued_.load(); }
  int64_t archiveRequests() const { return archive_requests_.load(); }
  int64_t downloads() const { return downloads_.load(); }
  int64_t releasePageRequests() const { return release_pages_.load(); }
  int64_t notModified() const { return not_modified_.load(); }  // 304s to If-None-Match
  // The archive bytes for a tag (what a fetch must have written), or "" when none.
  std::string archive(const std::string& owner_repo, const std::string& tag, bool zip) const;

 private:
  struct Repo {
    DoubleRepo spec;
    std::map<std::string, std::string> sha7;    // tag → short commit id
    std::map<std::string, std::string> zip;     // tag → archive
    std::map<std::string, std::string> tar_gz;  // tag → archive
  };
  void addRoutes();
  core::Status buildTag(Repo& repo, const std::string& tag);
  // The fault answer for this page, if the plan applies to it (counts the answer).
  std::optional<http::Response> releasesFault(const std::string& slug, int page);
  http::Response controlRelease(const http::Request& request);
  http::Response releases(const http::Request& request);
  http::Response archiveLink(const http::Request& request, bool zip);
  http::Response codeload(const http::Request& request);
  http::Response accessToken(const http::Request& request);
  // Auth and rate limit shared by the API routes: a non-empty optional is the answer to send.
  std::optional<http::Response> gate(const http::Request& request, const Repo** repo);
  void rateHeaders(http::Response& response);
  int64_t now() const;
  std::string baseUrl(const http::Request& request) const;

  DoubleOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Repo>> repos_;  // "owner/name" (lowercase)
  std::map<std::string, int64_t> tokens_;               // installation token → expiry
  std::map<std::string, int64_t> download_tokens_;      // codeload ?token= → expiry
  std::map<std::string, FaultPlan> faults_;
  int64_t rate_remaining_ = 0;
  int64_t rate_reset_ = 0;
  int per_page_cap_ = 100;
  uint64_t token_seq_ = 0;
  std::atomic<int64_t> token_requests_{0};
  std::atomic<int64_t> tokens_issued_{0};
  std::atomic<int64_t> archive_requests_{0};
  std::atomic<int64_t> downloads_{0};
  std::atomic<int64_t> release_pages_{0};
  std::atomic<int64_t> not_modified_{0};
};

// "html", "truncated", "wrong-shape", "server-error", "foreign-next-link", "rate-limited",
// "secondary-limit", "primary-limit", "wrong-types", "empty-body", "none"; nullopt otherwise.
std::optional<ReleasesFault> faultFromName(std::string_view name);

// The checks GitHub applies to an App JWT. "" when `jwt` is acceptable, else GitHub's message.
std::string verifyAppJwt(const std::string& jwt, const std::string& public_key_pem, int64_t app_id,
                         int64_t now);

// A deterministic archive of `dir` under `prefix` ("o-r-sha7/"): zip, or tar.gz.
core::Result<std::string> buildArchive(const std::string& dir, const std::string& prefix, bool zip);

}  // namespace od::testing
