#pragma once
// Lease: the single-active lock of a role (ARCHITECTURE: `SET od:{ctl}:lease:<role> token NX
// PX`, renewed, token checked). Implemented by adapters/valkey/valkey_lease.h; the watch
// adapter only sees this interface, so tests use a fake.
// Thread affinity: loop thread only; callbacks run once on the loop thread unless the handle
// is destroyed first.

#include <chrono>
#include <functional>
#include <string>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::adapters::kube {

class Lease {
 public:
  using HeldCallback = std::function<void(core::Result<bool>)>;
  virtual ~Lease() = default;
  // Takes the lease when free (or already ours): true when `token` holds it afterwards.
  virtual core::CancelablePtr acquire(std::string key, std::string token,
                                      std::chrono::milliseconds ttl, HeldCallback done) = 0;
  // Extends the lease only while `token` holds it: false when it was lost.
  virtual core::CancelablePtr renew(std::string key, std::string token,
                                    std::chrono::milliseconds ttl, HeldCallback done) = 0;
  // Gives it up when `token` holds it.
  virtual core::CancelablePtr release(std::string key, std::string token,
                                      std::function<void(core::Status)> done) = 0;
};

}  // namespace od::adapters::kube
