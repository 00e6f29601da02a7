#pragma once
// ValkeyLease: kube::Lease on Valkey/Redis (ARCHITECTURE: `SET od:{ctl}:lease:<role> token NX
// PX ttl`). acquire() is SET NX PX, or — when the key exists — a renewal if the token
// already holds it (a restarted holder keeps its lease). renew() and release() check the
// token atomically in a short EVAL script (compare-then-PEXPIRE / compare-then-DEL), so a
// stale holder can neither extend nor delete another holder's lease.
//
// Thread affinity: loop thread only. *loop and *log must outlive it; its own connection
// (reconnecting, per-command deadlines) dies with it. Handlers may destroy their handle.

#include <spdlog/logger.h>

#include <memory>

#include "adapters/kube/lease.h"
#include "adapters/loop/event_loop.h"
#include "adapters/valkey/connection.h"
#include "adapters/valkey/valkey_options.h"

namespace od::adapters::valkey {

class ValkeyLease final : public kube::Lease {
 public:
  ValkeyLease(loop::EventLoop& loop, ValkeyOptions options, spdlog::logger& log);
  ~ValkeyLease() override;

  // kube::Lease
  core::CancelablePtr acquire(std::string key, std::string token, std::chrono::milliseconds ttl,
                              HeldCallback done) override;
  core::CancelablePtr renew(std::string key, std::string token, std::chrono::milliseconds ttl,
                            HeldCallback done) override;
  core::CancelablePtr release(std::string key, std::string token,
                              std::function<void(core::Status)> done) override;

 private:
  ValkeyOptions options_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace od::adapters::valkey
