#pragma once
// FakeClock: a hand-driven core::Clock for unit tests (house style §10: no sleeps).
// now() returns a settable time; after() queues a timer that runs only when the test moves
// time forward with advance() (or runReady() for timers that are already due, such as the
// zero-delay completions FakeEventLog posts). Timers run in due-time order, ties in the
// order they were created; a timer created by a running timer runs in the same advance()
// when it falls due inside the window.
//
// Cancellation: destroying or cancelling the handle returned by after() drops the timer and
// its function (and what it captured) at once. Handles may outlive the clock.
// Thread affinity: the test thread only (it plays the loop thread).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "core/ports/clock.h"

namespace od::fakes {

class FakeClock final : public core::Clock {
 public:
  // 2024-01-01T00:00:00Z unless told otherwise, so ids and timestamps are stable.
  static constexpr int64_t kDefaultStartMillis = 1704067200000;

  FakeClock();
  explicit FakeClock(TimePoint start);
  ~FakeClock() override;

  // core::Clock
  TimePoint now() const override { return now_; }
  core::CancelablePtr after(std::chrono::milliseconds delay, std::function<void()> fn) override;

  // Sets the time without running timers (may move backwards, like a wall clock).
  void setNow(TimePoint t) { now_ = t; }
  // Moves time forward by `delta`, running every timer that falls due on the way, each
  // with now() set to its due time. Returns how many timers ran.
  size_t advance(std::chrono::milliseconds delta);
  // Runs the timers already due (zero-delay completions included) until none is left.
  size_t runReady() { return advance(std::chrono::milliseconds(0)); }
  // Live (not cancelled, not yet run) timers.
  size_t pendingTimers() const;
  // Due time of the earliest live timer.
  std::optional<TimePoint> nextDue() const;

  // Safety net against a test that makes code spin on zero-delay timers: advance() aborts
  // (OD_CHECK) after this many timers in one call.
  void setRunLimit(size_t limit) { run_limit_ = limit; }

  struct Timer {
    std::function<void()> fn;
    bool cancelled = false;
  };

 private:
  using Key = std::pair<TimePoint, uint64_t>;
  TimePoint now_;
  uint64_t next_seq_ = 0;
  size_t run_limit_ = 1000000;
  std::map<Key, std::shared_ptr<Timer>> timers_;
};

}  // namespace od::fakes
