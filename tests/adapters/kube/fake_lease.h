#pragma once
// FakeLease: kube::Lease in memory (one holder per key, expiry on a Clock); callbacks run
// later through the clock (never synchronously), as a real one would.
// Thread affinity: loop thread only; *clock must outlive it.

#include <map>
#include <string>

#include "adapters/kube/lease.h"
#include "core/ports/clock.h"

namespace od::adapters::kube::testing {

class FakeLease final : public Lease {
 public:
  explicit FakeLease(core::Clock& clock) : clock_(clock) {}

  core::CancelablePtr acquire(std::string key, std::string token, std::chrono::milliseconds ttl,
                              HeldCallback done) override {
    auto& h = holders_[key];
    bool held = h.token.empty() || h.token == token || clock_.now() >= h.until;
    if (held && !fail_) {
      h = {token, clock_.now() + ttl};
    }
    return reply(std::move(done), held);
  }
  core::CancelablePtr renew(std::string key, std::string token, std::chrono::milliseconds ttl,
                            HeldCallback done) override {
    auto& h = holders_[key];
    bool held = h.token == token && clock_.now() < h.until;
    if (held && !fail_) {
      h.until = clock_.now() + ttl;
    }
    return reply(std::move(done), held);
  }
  core::CancelablePtr release(std::string key, std::string token,
                              std::function<void(core::Status)> done) override {
    if (holders_[key].token == token) {
      holders_.erase(key);
    }
    return clock_.after(std::chrono::milliseconds(0), [done] { done(core::okStatus()); });
  }

  // Someone else takes the lease (the current holder's renewal then fails).
  void steal(const std::string& key, std::chrono::milliseconds ttl) {
    holders_[key] = {"thief", clock_.now() + ttl};
  }
  void failCalls(bool fail) { fail_ = fail; }

 private:
  core::CancelablePtr reply(HeldCallback done, bool held) {
    if (fail_) {
      return clock_.after(std::chrono::milliseconds(0), [done] {
        done(core::makeError(core::Errc::Unavailable, "fake lease down"));
      });
    }
    return clock_.after(std::chrono::milliseconds(0), [done, held] { done(held); });
  }
  struct Holder {
    std::string token;
    core::Clock::TimePoint until;
  };
  core::Clock& clock_;
  std::map<std::string, Holder> holders_;
  bool fail_ = false;
};

}  // namespace od::adapters::kube::testing
