#pragma once
// SyncJob: what the module and the provider sync jobs share — the Consumer's done callback,
// the one port call in flight, and the rule that a completion running inside its own call
// (a synchronous port) or after the job ended leaves no handle behind. A job is the handle
// the handler returns: destroying or cancelling it cancels the call in flight.
// Thread affinity: loop thread only.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/cancelable.h"
#include "events/consumer.h"

namespace od::events {

class SyncJob : public core::Cancelable {
 public:
  ~SyncJob() override { *alive_ = false; }

 protected:
  explicit SyncJob(Handler::Done done)
      : done_(std::move(done)), alive_(std::make_shared<bool>(true)) {}

  // Runs `call` (which starts one port call) and keeps its handle, unless the completion
  // already ran inside it or ended this job.
  template <typename Start>
  void step(Start call) {
    const std::weak_ptr<bool> alive = alive_;
    const uint64_t seq = ++seq_;
    auto handle = call();
    if (!alive.expired() && *alive.lock() && seq_ == seq && done_) {
      call_ = std::move(handle);
    }
  }

  // Answers the Consumer once; calls done last, since the Consumer may destroy the job in it.
  void finish(core::Result<std::vector<core::AppendRecord>> result) {
    if (!done_) {
      return;
    }
    Handler::Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  // cancel() and the destructors: no answer, no call in flight.
  void drop() {
    done_ = nullptr;
    call_.reset();
  }
  bool answered() const { return !done_; }

 private:
  Handler::Done done_;
  std::shared_ptr<bool> alive_;
  uint64_t seq_ = 0;
  core::CancelablePtr call_;
};

}  // namespace od::events
