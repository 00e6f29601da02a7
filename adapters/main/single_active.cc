#include "adapters/main/single_active.h"

#include "events/streams.h"

namespace od::adapters::main {

SingleActive::SingleActive(kube::Lease& lease, core::Clock& clock, spdlog::logger& log,
                           std::string role, std::string token, std::chrono::milliseconds ttl,
                           std::function<void()> on_lead, std::function<void()> on_lose)
    : lease_(lease),
      clock_(clock),
      log_(log),
      key_(events::streams::leaseKey(role)),
      role_(std::move(role)),
      token_(std::move(token)),
      ttl_(ttl),
      on_lead_(std::move(on_lead)),
      on_lose_(std::move(on_lose)) {}

SingleActive::~SingleActive() {
  call_.reset();
  timer_.reset();
}

void SingleActive::start() {
  if (running_) {
    return;
  }
  running_ = true;
  tryAcquire();
}

void SingleActive::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  timer_.reset();
  call_.reset();
  if (leading_) {
    leading_ = false;
    on_lose_();
    // Best effort: a lease not released expires after ttl (and a restart with the same
    // token takes it back at once).
    releasing_ = true;
    call_ = lease_.release(key_, token_, [this](core::Status st) {
      releasing_ = false;
      if (!st.ok()) {
        log_.debug("lease {}: release failed ({}); it expires by itself", key_, st.error().describe());
      }
    });
  }
}

void SingleActive::tryAcquire() {
  call_ = lease_.acquire(key_, token_, ttl_, [this](core::Result<bool> held) { onHeld(std::move(held)); });
}

void SingleActive::renew() {
  call_ = lease_.renew(key_, token_, ttl_, [this](core::Result<bool> held) { onHeld(std::move(held)); });
}

void SingleActive::onHeld(core::Result<bool> held) {
  if (!running_) {
    return;
  }
  if (!held.ok()) {
    if (leading_ && clock_.now() - last_held_ < ttl_ / 2) {
      log_.warn("role {}: lease renewal failed ({}); retrying while the lease still runs", role_,
                held.error().describe());
      wait([this] { renew(); }, ttl_ / 10);
      return;
    }
    if (leading_) {
      lose("renewals failed for half the lease time: " + held.error().describe());
    } else {
      log_.debug("lease {}: cannot reach Valkey ({}); trying again", key_, held.error().describe());
    }
    wait([this] { tryAcquire(); }, ttl_ / 3);
    return;
  }
  if (*held) {
    last_held_ = clock_.now();
  }
  if (*held && !leading_) {
    leading_ = true;
    log_.info("role {}: this process holds the lease and is active", role_);
    on_lead_();
  } else if (!*held && leading_) {
    lose("the lease expired or another process holds it");
  }
  wait([this] { leading_ ? renew() : tryAcquire(); }, ttl_ / 3);
}

void SingleActive::lose(const std::string& why) {
  leading_ = false;
  ++losses_;
  log_.warn("role {}: lease lost ({}); standing by", role_, why);
  on_lose_();
}

void SingleActive::wait(std::function<void()> next, std::chrono::milliseconds delay) {
  timer_ = clock_.after(delay, std::move(next));
}

}  // namespace od::adapters::main
