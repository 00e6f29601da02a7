#pragma once
// GithubModuleSource: core::ModuleSource on the GitHub REST API (github.com or Enterprise).
//   fetch():  GET {api}/repos/{o}/{r}/zipball|tarball/{ref}, ref "v<version>" first and the bare
//             version after a 404 (as the reference), redirects (codeload) followed; the
//             archive is streamed into dest_path while it is hashed (SHA-256), at most
//             max_archive_bytes. The file is removed again on any failure or cancel.
//   listReleases(): every page of GET /repos/{o}/{r}/releases?per_page=100 (Link rel="next",
//             only within api_url's origin, at most max_release_pages), newest first as GitHub
//             lists them; drafts (visible to App-authenticated callers) come flagged. A rate
//             limit (403/429 per rateLimitWait, or x-ratelimit-remaining: 0 before the next
//             page) is waited out on the loop when GitHub's wait is within max_rate_limit_wait,
//             at most max_rate_limit_waits times; otherwise Unavailable saying when to retry.
//             A listing is whole or an error: a page that is not GitHub's JSON (HTML, truncated,
//             not an array, an entry without a string tag_name, wrong types) fails it all
//             (Corrupt), so that a caller never takes a partial list for removed releases.
//             Pages are kept with their ETag and asked again with If-None-Match (at most
//             max_cached_pages; a 304 reuses the kept page).
//   Auth: anonymous, or with auth.use_app the installation token of the GitHub App whose
//   credentials are in the reference's Secret in auth.name_space (see app_auth.h), cached.
// Errors: Invalid (bad names/format, archive over the limit), NotFound (both refs 404),
//   Permission (401/403), Unavailable (rate limit with reset time, 5xx, network), Timeout,
//   Corrupt (release pages that are not GitHub's JSON).
// Thread affinity: loop thread only; callbacks run on it, never inside the call.
// `curl` and `clock` must outlive this object; destroying it cancels every call in flight.

#include <cstdint>
#include <map>
#include <memory>

#include "adapters/github/app_tokens.h"
#include "adapters/github/github_http.h"
#include "core/ports/sources.h"

namespace od::adapters::github {

class GithubModuleSource final : public core::ModuleSource {
 public:
  // Errc::Invalid when `options` are not usable (validateOptions).
  // `secrets` may be empty: then auth.use_app requests fail with Errc::Invalid.
  // Makes its own CurlMulti on `loop` (curl_global_init must have run).
  static core::Result<std::unique_ptr<GithubModuleSource>> create(loop::EventLoop& loop,
                                                                  core::Clock& clock,
                                                                  SecretReader secrets,
                                                                  GithubOptions options);
  ~GithubModuleSource() override;

  // core::ModuleSource
  core::CancelablePtr fetch(core::ModuleFetch request, Callback<core::FetchedFile> done) override;
  core::CancelablePtr listReleases(std::string owner, std::string repo, core::GithubAuth auth,
                                   Callback<std::vector<core::Release>> done) override;

  // Installation tokens minted so far (nullptr without a Secret reader).
  const AppTokens* tokens() const { return tokens_.get(); }
  size_t inFlight() const { return ops_.size(); }

  class Op;  // one fetch or listing (defined in the .cc)

  // A release page as last answered, for conditional requests (see max_cached_pages).
  struct CachedPage {
    std::string etag;
    std::string link;
    std::vector<core::Release> releases;
  };

 private:
  GithubModuleSource(loop::EventLoop& loop, core::Clock& clock, SecretReader secrets,
                     GithubOptions options);
  core::CancelablePtr track(std::unique_ptr<Op> op);
  void erase(uint64_t id);

  friend class FetchOp;
  friend class ListOp;
  loop::EventLoop& loop_;
  core::Clock& clock_;
  GithubOptions options_;
  std::unique_ptr<kube::CurlMulti> curl_;  // before the ops and tokens, which cancel on it
  std::unique_ptr<AppTokens> tokens_;
  std::map<uint64_t, std::unique_ptr<Op>> ops_;
  // Key: the auth scope ("" anonymous, else the namespace) + '\n' + the page URL; GitHub's
  // ETags vary with the Authorization header (drafts are visible only to the authorized).
  std::map<std::string, CachedPage> page_cache_;
  uint64_t next_id_ = 1;
  std::shared_ptr<GithubModuleSource*> self_;
};

}  // namespace od::adapters::github
