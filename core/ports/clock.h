#pragma once
// Clock: the one door to time (LevelDB's Env). now() is wall-clock time for timestamps and
// due times; after() runs a function later on the loop thread (timeouts, backoff, polling).
// Tests use FakeClock and advance time by hand.
// Thread affinity: now() any thread; after() loop thread only.

#include <chrono>
#include <functional>

#include "core/cancelable.h"

namespace od::core {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Calls `fn` once, `delay` from now, unless the handle is cancelled or destroyed first.
  virtual CancelablePtr after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

// Milliseconds since the Unix epoch.
inline int64_t unixMillis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace od::core
