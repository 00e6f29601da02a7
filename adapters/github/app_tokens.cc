#include "adapters/github/app_tokens.h"

#include <utility>
#include <vector>

namespace od::adapters::github {

using core::Errc;
using core::makeError;

struct AppTokens::Entry {
  std::optional<InstallationToken> token;
  bool minting = false;
  uint64_t mint_seq = 0;
  core::CancelablePtr step;  // the Secret read or the token POST in flight
  std::map<uint64_t, std::function<void(core::Result<std::string>)>> waiters;
};

namespace {

class WaiterHandle final : public core::Cancelable {
 public:
  WaiterHandle(std::weak_ptr<AppTokens*> owner, std::function<void(AppTokens*)> drop)
      : owner_(std::move(owner)), drop_(std::move(drop)) {}
  ~WaiterHandle() override { cancel(); }
  void cancel() override {
    if (auto locked = owner_.lock(); locked && *locked && drop_) {
      drop_(*locked);
    }
    drop_ = nullptr;
  }

 private:
  std::weak_ptr<AppTokens*> owner_;
  std::function<void(AppTokens*)> drop_;
};

}  // namespace

AppTokens::AppTokens(loop::EventLoop& loop, kube::CurlMulti& curl, const GithubOptions& options,
                     core::Clock& clock, SecretReader secrets)
    : loop_(loop),
      curl_(curl),
      options_(options),
      clock_(clock),
      secrets_(std::move(secrets)),
      self_(std::make_shared<AppTokens*>(this)) {
  OD_CHECK(static_cast<bool>(secrets_));
}

AppTokens::~AppTokens() { *self_ = nullptr; }

std::optional<std::string> AppTokens::cached(const std::string& name_space) const {
  auto it = entries_.find(name_space);
  if (it == entries_.end() || !it->second->token ||
      clock_.now() >= it->second->token->expires_at - kRefreshMargin) {
    return std::nullopt;
  }
  return it->second->token->token;
}

core::CancelablePtr AppTokens::get(const std::string& name_space,
                                   std::function<void(core::Result<std::string>)> done) {
  auto& entry = entries_[name_space];
  if (!entry) {
    entry = std::make_unique<Entry>();
  }
  uint64_t id = next_waiter_++;
  entry->waiters.emplace(id, std::move(done));
  if (!entry->minting) {
    startMint(name_space);  // asynchronous: the first step is a Secret read or a transfer
  }
  return std::make_unique<WaiterHandle>(
      self_, [name_space, id](AppTokens* self) { self->dropWaiter(name_space, id); });
}

void AppTokens::invalidate(const std::string& name_space, const std::string& token) {
  auto it = entries_.find(name_space);
  if (it != entries_.end() && it->second->token && it->second->token->token == token) {
    it->second->token.reset();
  }
}

void AppTokens::dropWaiter(const std::string& name_space, uint64_t id) {
  auto it = entries_.find(name_space);
  if (it != entries_.end()) {
    it->second->waiters.erase(id);  // the mint goes on: its token serves the next caller
  }
}

void AppTokens::startMint(const std::string& name_space) {
  Entry& entry = *entries_.at(name_space);
  entry.minting = true;
  uint64_t mint = ++entry.mint_seq;
  // The reader's answer is posted: a reader that answers inside the call (the dev store) must
  // not complete get() before it returns, nor race the assignment of `step` below.
  std::weak_ptr<AppTokens*> alive = self_;
  entry.step = secrets_(name_space, std::string(kAppSecretName),
                        [this, alive, name_space, mint](core::Result<SecretData> data) {
                          loop_.post([this, alive, name_space, mint, data = std::move(data)]() mutable {
                            auto locked = alive.lock();
                            if (!locked || !*locked) {
                              return;  // this object is gone
                            }
                            auto it = entries_.find(name_space);
                            if (it != entries_.end() && it->second->minting &&
                                it->second->mint_seq == mint) {
                              onSecret(name_space, std::move(data));
                            }
                          });
                        });
}

void AppTokens::onSecret(const std::string& name_space, core::Result<SecretData> data) {
  if (!data) {
    core::Error e = std::move(data).takeError();
    e.message = "reading Secret " + std::string(kAppSecretName) + " in namespace \"" +
                name_space + "\": " + e.message;
    finish(name_space, std::move(e));
    return;
  }
  auto credentials = parseAppSecret(*data, name_space);
  if (!credentials) {
    finish(name_space, std::move(credentials).takeError());
    return;
  }
  auto jwt = makeAppJwt(*credentials, clock_.now());
  if (!jwt) {
    finish(name_space, std::move(jwt).takeError());
    return;
  }
  ApiRequest request;
  request.method = "POST";
  request.url = options_.api_url + "/app/installations/" +
                std::to_string(credentials->installation_id) + "/access_tokens";
  request.bearer = std::move(*jwt);
  request.body = "{}";
  entries_.at(name_space)->step =
      sendApi(curl_, options_, std::move(request), [this, name_space](ApiResponse response) {
        onToken(name_space, response);
      });
}

void AppTokens::onToken(const std::string& name_space, const ApiResponse& response) {
  std::string what = "GitHub App installation token for namespace \"" + name_space + "\"";
  if (response.result.code != CURLE_OK) {
    finish(name_space, transportError(response, what));
    return;
  }
  if (response.result.status != 201 && response.result.status != 200) {
    finish(name_space, statusError(response, what));
    return;
  }
  auto token = parseInstallationToken(response.result.body);
  if (!token) {
    finish(name_space, std::move(token).takeError());
    return;
  }
  ++minted_;
  entries_.at(name_space)->token = *token;
  finish(name_space, token->token);
}

void AppTokens::finish(const std::string& name_space, core::Result<std::string> result) {
  Entry& entry = *entries_.at(name_space);
  entry.minting = false;
  // The step's transfer/read has completed; its handle is dropped after this callback returns.
  core::CancelablePtr done_step = std::move(entry.step);
  auto waiters = std::move(entry.waiters);
  entry.waiters.clear();
  std::weak_ptr<AppTokens*> alive = self_;
  for (auto& [id, fn] : waiters) {
    fn(result);
    if (auto locked = alive.lock(); !locked || !*locked) {
      return;  // a waiter destroyed this object: touch nothing of it
    }
  }
}

}  // namespace od::adapters::github
