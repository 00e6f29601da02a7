#include "events/reconcile/step_chain.h"

#include <cstdint>
#include <utility>

namespace od::events {
namespace {

class Chain final : public core::Cancelable {
 public:
  Chain(std::vector<ChainStep> steps, ChainCallbacks callbacks)
      : steps_(std::move(steps)), cb_(std::move(callbacks)) {}
  ~Chain() override { cancel(); }

  void cancel() override {
    cancelled_ = true;
    ++seq_;
    call_.reset();
  }

  void runNext() {
    while (!cancelled_ && !running_) {
      if (next_ == steps_.size()) {
        cancelled_ = true;
        auto done = std::move(cb_.done);
        done(retry_);  // may destroy this chain: nothing touches members afterwards
        return;
      }
      const uint64_t seq = ++seq_;
      running_ = true;
      synchronous_ = true;
      auto handle = steps_[next_].run([this, seq](core::Status status) {
        if (seq == seq_) {
          onStep(std::move(status));
        }
      });
      synchronous_ = false;
      if (seq == seq_ && running_) {
        call_ = std::move(handle);
        return;  // completes later
      }
    }
  }

 private:
  void onStep(core::Status status) {
    running_ = false;
    const ChainStep& step = steps_[next_++];
    if (!status.ok()) {
      const core::Error& error = status.error();
      if (cb_.on_error) {
        cb_.on_error(step, error);
      }
      if (error.retryable() || error.code == core::Errc::Conflict) {
        retry_ = true;
        next_ = steps_.size();
      }
    }
    if (!synchronous_) {
      runNext();  // the loop in runNext() continues a synchronous completion itself
    }
  }

  std::vector<ChainStep> steps_;
  ChainCallbacks cb_;
  size_t next_ = 0;
  uint64_t seq_ = 0;
  bool running_ = false;
  bool synchronous_ = false;
  bool cancelled_ = false;
  bool retry_ = false;
  core::CancelablePtr call_;
};

}  // namespace

core::CancelablePtr startChain(std::vector<ChainStep> steps, ChainCallbacks callbacks) {
  auto chain = std::make_unique<Chain>(std::move(steps), std::move(callbacks));
  chain->runNext();
  return chain;
}

}  // namespace od::events
