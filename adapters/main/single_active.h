#pragma once
// SingleActive: runs a role only while this process holds its lease
// (od:{ctl}:lease:<role>, ARCHITECTURE "One binary, many roles"). It competes for the lease
// every ttl/3, renews it every ttl/3 while held, and calls `on_lead` when it wins and
// `on_lose` when a renewal answers "lost" (another holder, or the key is gone: Valkey
// restarted without it) or when renewals keep failing until half the ttl has passed since
// the last good one. A failed renewal alone (Valkey reconnecting, loading after a restart)
// is retried every ttl/10 while the key still has at least half its life: the role keeps
// running, and it stops before anyone else could take the lease over.
// Thread affinity: loop thread only. lease and clock must outlive it.

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <string>

#include "adapters/kube/lease.h"
#include "core/ports/clock.h"

namespace od::adapters::main {

class SingleActive {
 public:
  SingleActive(kube::Lease& lease, core::Clock& clock, spdlog::logger& log, std::string role,
               std::string token, std::chrono::milliseconds ttl, std::function<void()> on_lead,
               std::function<void()> on_lose);
  ~SingleActive();
  SingleActive(const SingleActive&) = delete;
  SingleActive& operator=(const SingleActive&) = delete;

  void start();
  // Stops competing; when leading, calls on_lose and releases the lease (best effort).
  void stop();
  bool leading() const { return leading_; }
  // True once a release started by stop() has been answered (or none was needed).
  bool released() const { return !releasing_; }
  uint64_t losses() const { return losses_; }

 private:
  void tryAcquire();
  void renew();
  void onHeld(core::Result<bool> held);
  void lose(const std::string& why);
  void wait(std::function<void()> next, std::chrono::milliseconds delay);

  kube::Lease& lease_;
  core::Clock& clock_;
  spdlog::logger& log_;
  std::string key_;
  std::string role_;
  std::string token_;
  std::chrono::milliseconds ttl_;
  std::function<void()> on_lead_;
  std::function<void()> on_lose_;
  bool running_ = false;
  bool leading_ = false;
  bool releasing_ = false;
  core::Clock::TimePoint last_held_{};
  uint64_t losses_ = 0;
  core::CancelablePtr call_;
  core::CancelablePtr timer_;
};

}  // namespace od::adapters::main
