#pragma once
// AppTokens: GitHub App installation tokens per namespace. A token is minted (read the
// namespace's App Secret, sign a JWT, POST /app/installations/{id}/access_tokens) on first
// use and cached until `kRefreshMargin` before its expires_at; concurrent requests for one
// namespace share one mint. A 401 answered to a cached token drops it (invalidate()).
// Thread affinity: loop thread only. `loop`, `curl`, `clock` and `options` must outlive this object;
// destroying it cancels every mint and drops every waiter without calling it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adapters/github/app_auth.h"
#include "adapters/github/github_http.h"
#include "adapters/loop/event_loop.h"
#include "core/ports/clock.h"

namespace od::adapters::github {

class AppTokens {
 public:
  static constexpr std::chrono::minutes kRefreshMargin{5};

  // REQUIRES: `secrets` is callable. It may call back inside itself: the answer is posted.
  AppTokens(loop::EventLoop& loop, kube::CurlMulti& curl, const GithubOptions& options,
            core::Clock& clock, SecretReader secrets);
  ~AppTokens();
  AppTokens(const AppTokens&) = delete;
  AppTokens& operator=(const AppTokens&) = delete;

  // The cached token for `name_space` if it is still fresh.
  std::optional<std::string> cached(const std::string& name_space) const;
  // Mints (or joins the mint of) a token. `done` runs once on the loop thread, never from
  // inside this call, unless the handle is cancelled first.
  core::CancelablePtr get(const std::string& name_space,
                          std::function<void(core::Result<std::string>)> done);
  // Forgets `token` if it is the one cached for `name_space`.
  void invalidate(const std::string& name_space, const std::string& token);

  uint64_t minted() const { return minted_; }  // successful mints (metrics, tests)

 private:
  struct Entry;
  void startMint(const std::string& name_space);
  void onSecret(const std::string& name_space, core::Result<SecretData> data);
  void onToken(const std::string& name_space, const ApiResponse& response);
  void finish(const std::string& name_space, core::Result<std::string> result);
  void dropWaiter(const std::string& name_space, uint64_t id);

  loop::EventLoop& loop_;
  kube::CurlMulti& curl_;
  const GithubOptions& options_;
  core::Clock& clock_;
  SecretReader secrets_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  uint64_t next_waiter_ = 1;
  uint64_t minted_ = 0;
  std::shared_ptr<AppTokens*> self_;  // handles see nullptr once this object is gone
};

}  // namespace od::adapters::github
