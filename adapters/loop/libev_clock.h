#pragma once
// LibevClock: core::Clock on an EventLoop. now() is std::chrono::system_clock (wall time for
// timestamps and due times); after() arms an ev_timer on the loop.
// The handle returned by after() owns the timer: destroying or cancelling it stops the timer
// and drops the function. The function may destroy its own handle while it runs.
// Thread affinity: now() any thread; after() and the handles on the loop thread.
// *loop must outlive this clock and every handle it returned.

#include "adapters/loop/event_loop.h"
#include "core/ports/clock.h"

namespace od::adapters::loop {

class LibevClock final : public core::Clock {
 public:
  explicit LibevClock(EventLoop& loop) : loop_(loop) {}

  // core::Clock
  TimePoint now() const override;
  core::CancelablePtr after(std::chrono::milliseconds delay, std::function<void()> fn) override;

 private:
  EventLoop& loop_;
};

}  // namespace od::adapters::loop
