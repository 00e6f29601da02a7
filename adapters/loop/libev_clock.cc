#include "adapters/loop/libev_clock.h"

#include <ev.h>

#include <utility>

namespace od::adapters::loop {
namespace {

class TimerHandle final : public core::Cancelable {
 public:
  TimerHandle(struct ev_loop* loop, std::chrono::milliseconds delay, std::function<void()> fn)
      : loop_(loop), fn_(std::move(fn)) {
    const double seconds = delay.count() <= 0 ? 0.0 : static_cast<double>(delay.count()) / 1000.0;
    ev_timer_init(&timer_, &TimerHandle::onTimer, seconds, 0.0);
    timer_.data = this;
    ev_timer_start(loop_, &timer_);
  }
  ~TimerHandle() override { cancel(); }

  void cancel() override {
    ev_timer_stop(loop_, &timer_);
    fn_ = nullptr;
  }

 private:
  static void onTimer(struct ev_loop* /*loop*/, ev_timer* w, int /*revents*/) noexcept {
    auto* self = static_cast<TimerHandle*>(w->data);
    guarded("LibevClock::timer", [self] {
      // The function may destroy this handle: move it out and touch nothing afterwards.
      std::function<void()> fn = std::move(self->fn_);
      self->fn_ = nullptr;
      if (fn) {
        fn();
      }
    });
  }

  struct ev_loop* loop_;
  ev_timer timer_;
  std::function<void()> fn_;
};

}  // namespace

core::Clock::TimePoint LibevClock::now() const { return std::chrono::system_clock::now(); }

core::CancelablePtr LibevClock::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  return std::make_unique<TimerHandle>(loop_.raw(), delay, std::move(fn));
}

}  // namespace od::adapters::loop
