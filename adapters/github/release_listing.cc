// GithubModuleSource::listReleases (see github_module_source.h): every page, rate limits waited
// out within a bound, a listing whole or an error.
#include <algorithm>
#include <chrono>
#include <utility>

#include "adapters/github/releases.h"
#include "adapters/github/source_op.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

class ListOp final : public GithubModuleSource::Op {
 public:
  ListOp(GithubModuleSource& source, std::string owner, std::string repo, core::GithubAuth auth,
         core::ModuleSource::Callback<std::vector<core::Release>> done)
      : Op(source), owner_(std::move(owner)), repo_(std::move(repo)), auth_(std::move(auth)),
        done_(std::move(done)) {}

  void start() override {
    auto owner_ok = checkOwner(owner_);
    auto repo_ok = checkRepo(repo_);
    if (!owner_ok.ok() || !repo_ok.ok()) {
      failSoon(owner_ok.ok() ? repo_ok.error() : owner_ok.error());
      return;
    }
    withAuth(auth_, [this](std::string bearer) {
      bearer_ = std::move(bearer);
      page(repoUrl(owner_, repo_) + "/releases?per_page=100");
    });
  }

  void fail(core::Error error) override { finish(std::move(error)); }

 private:
  void page(std::string url) {
    url_ = std::move(url);
    ApiRequest api;
    api.url = url_;
    api.bearer = bearer_;
    if (auto it = src_.page_cache_.find(cacheKey()); it != src_.page_cache_.end()) {
      api.if_none_match = it->second.etag;
    }
    step_ = sendApi(*src_.curl_, src_.options_, std::move(api),
                    [this](ApiResponse response) { onPage(response); });
  }

  std::string cacheKey() const { return (auth_.use_app ? auth_.name_space : "") + "\n" + url_; }

  // The page's releases and Link: from a 304 the kept page, from a 200 the parsed body (kept
  // when it has an ETag). Corrupt for a body that is not GitHub's JSON.
  core::Result<GithubModuleSource::CachedPage> pageOf(const ApiResponse& response, const std::string& what) {
    auto& cache = src_.page_cache_;
    if (response.result.status == 304) {
      auto it = cache.find(cacheKey());
      if (it == cache.end()) {
        return makeError(Errc::Corrupt, what + ": 304 Not Modified for a page never asked conditionally");
      }
      return it->second;
    }
    if (response.content_type.find("json") == std::string::npos) {
      return makeError(Errc::Corrupt, what + ": content-type \"" + response.content_type.substr(0, 60) +
                                          "\" is not JSON");
    }
    auto releases = parseReleasesPage(response.result.body, src_.options_.max_api_bytes);
    if (!releases) {
      return makeError(Errc::Corrupt, what + ": " + releases.error().message);
    }
    GithubModuleSource::CachedPage kept{response.etag, response.link, std::move(*releases)};
    if (!kept.etag.empty() && src_.options_.max_cached_pages > 0) {
      if (cache.size() >= src_.options_.max_cached_pages && cache.count(cacheKey()) == 0) {
        cache.clear();  // bounded: start over rather than track ages
      }
      cache[cacheKey()] = kept;
    }
    return kept;
  }

  int64_t nowUnix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(src_.clock_.now().time_since_epoch()).count();
  }

  // GitHub asked for `wait` before the next request: wait on the loop and send `url` then, if
  // the wait is within the bound and the listing has waits left. False: the caller reports.
  bool waitAndRetry(std::chrono::seconds wait, std::string url) {
    const auto& o = src_.options_;
    if (wait > o.max_rate_limit_wait || waits_ >= o.max_rate_limit_waits) {
      return false;
    }
    ++waits_;
    step_ = src_.clock_.after(std::chrono::milliseconds(wait),
                              [this, url = std::move(url)]() mutable { page(std::move(url)); });
    return true;
  }

  void onPage(const ApiResponse& response) {
    std::string what = "GitHub releases of " + slug(owner_, repo_) + " (page " +
                       std::to_string(pages_ + 1) + ")";
    if (response.result.code != CURLE_OK) {
      fail(transportError(response, what));
      return;
    }
    if (response.result.status != 200 && response.result.status != 304) {
      auto wait = rateLimitWait(response, nowUnix());
      if (wait && waitAndRetry(*wait, url_)) {
        return;
      }
      noteRefusal(auth_, bearer_, response.result.status);
      core::Error error = statusError(response, what);
      if (wait && waits_ > 0) {
        error.message += " (after " + std::to_string(waits_) + " bounded waits)";
      }
      fail(std::move(error));
      return;
    }
    auto answer = pageOf(response, what);
    if (!answer) {
      fail(std::move(answer).takeError());
      return;
    }
    for (auto& r : answer->releases) {
      out_.push_back(std::move(r));
    }
    ++pages_;
    auto next = nextLink(answer->link);
    if (!next) {
      finish(std::move(out_));
      return;
    }
    if (!sameOrigin(src_.options_.api_url, *next)) {
      fail(makeError(Errc::Corrupt, what + ": the next-page link leaves " + src_.options_.api_url));
      return;
    }
    if (pages_ >= src_.options_.max_release_pages) {
      fail(makeError(Errc::Corrupt, what + ": more than " +
                                        std::to_string(src_.options_.max_release_pages) + " pages"));
      return;
    }
    // The limit is used up: the next request would only be refused. Wait for the reset when
    // it is near, else report when to retry (the pages so far are dropped: a listing is whole
    // or an error, so that a caller never takes a partial list for removed releases).
    if (response.ratelimit_remaining && *response.ratelimit_remaining == 0) {
      int64_t reset = response.ratelimit_reset.value_or(nowUnix() + 60);
      std::chrono::seconds wait(std::max<int64_t>(reset - nowUnix(), 1));
      if (!waitAndRetry(wait, *next)) {
        fail(makeError(Errc::Unavailable, what + ": the rate limit is used up before the next page; "
                                                 "retry after " + std::to_string(wait.count()) + " s"));
      }
      return;
    }
    page(*next);
  }

  void finish(core::Result<std::vector<core::Release>> result) {
    auto done = std::move(done_);
    GithubModuleSource& source = src_;
    source.erase(id);  // destroys *this
    done(std::move(result));
  }

  std::string owner_;
  std::string repo_;
  core::GithubAuth auth_;
  core::ModuleSource::Callback<std::vector<core::Release>> done_;
  std::string bearer_;
  std::string url_;  // the page in flight (sent again after a rate-limit wait)
  size_t pages_ = 0;
  int waits_ = 0;
  std::vector<core::Release> out_;
};

std::unique_ptr<GithubModuleSource::Op> makeListOp(GithubModuleSource& source, std::string owner,
                                                   std::string repo, core::GithubAuth auth,
                                                   core::ModuleSource::Callback<std::vector<core::Release>> done) {
  return std::make_unique<ListOp>(source, std::move(owner), std::move(repo), std::move(auth), std::move(done));
}

}  // namespace od::adapters::github
