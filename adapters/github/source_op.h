#pragma once
// Internal to adapters/github: the base of GithubModuleSource's operations (fetch in
// github_module_source.cc, listReleases in release_listing.cc). Not for use elsewhere.
// Thread affinity: loop thread only.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/github/github_module_source.h"

namespace od::adapters::github {

inline std::string slug(const std::string& owner, const std::string& repo) { return owner + "/" + repo; }

// An operation in flight. It completes through finish(), which removes it from the source
// first, so nothing of it is touched after the caller's callback runs.
class GithubModuleSource::Op {
 public:
  explicit Op(GithubModuleSource& source) : src_(source) {}
  virtual ~Op() = default;
  virtual void start() = 0;
  virtual void fail(core::Error error) = 0;
  uint64_t id = 0;

 protected:
  // Calls `next` with the bearer token ("" anonymous), or fails the op.
  void withAuth(const core::GithubAuth& auth, std::function<void(std::string)> next) {
    if (!auth.use_app) {
      next("");
      return;
    }
    if (!src_.tokens_) {
      failSoon(core::makeError(core::Errc::Invalid, "GitHub App auth requested but no Secret reader is configured"));
      return;
    }
    if (auto token = src_.tokens_->cached(auth.name_space)) {
      next(*token);
      return;
    }
    step_ = src_.tokens_->get(auth.name_space, [this, next](core::Result<std::string> token) {
      if (!token) {
        fail(std::move(token).takeError());
        return;
      }
      next(*token);
    });
  }
  // A 401 means the cached token was revoked or expired early: drop it for the next try.
  void noteRefusal(const core::GithubAuth& auth, const std::string& bearer, long status) {
    if (status == 401 && auth.use_app && src_.tokens_) {
      src_.tokens_->invalidate(auth.name_space, bearer);
    }
  }
  // Fails the op from the loop, never inside the caller's fetch()/listReleases().
  void failSoon(core::Error error) {
    std::weak_ptr<GithubModuleSource*> alive = src_.self_;
    src_.loop_.post([alive, id = id, error = std::move(error)]() mutable {
      if (auto locked = alive.lock(); locked && *locked) {
        auto it = (*locked)->ops_.find(id);
        if (it != (*locked)->ops_.end()) {
          it->second->fail(std::move(error));
        }
      }
    });
  }
  std::string repoUrl(const std::string& owner, const std::string& repo) const {
    return src_.options_.api_url + "/repos/" + owner + "/" + repo;
  }

  GithubModuleSource& src_;
  core::CancelablePtr step_;
};

// The listReleases() operation (release_listing.cc).
std::unique_ptr<GithubModuleSource::Op> makeListOp(GithubModuleSource& source, std::string owner,
                                                   std::string repo, core::GithubAuth auth,
                                                   core::ModuleSource::Callback<std::vector<core::Release>> done);

}  // namespace od::adapters::github
