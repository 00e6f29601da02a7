#pragma once
// The due-time scheduler (ARCHITECTURE: retries with backoff and Depot polling live in the
// sorted set od:{ctl}:due). schedule() puts a record in the set (replacing one with the same
// dedupe_id, so rescheduling is idempotent); the release loop calls EventLog::releaseDue()
// every `interval` through the Clock and at once again while full batches come back. A log
// error backs off exponentially with jitter; nothing is lost, because the set is durable
// and release is idempotent.
//
// backoff() is the one exponential-backoff-with-jitter formula of events/ (consumer and
// scheduler use it; handlers use it to compute a retry's due time).
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents must outlive the
// Scheduler. Destroying it cancels every pending call and timer.

#include <chrono>
#include <cstdint>

#include "core/ports/event_log.h"
#include "events/runtime.h"

namespace od::events {

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};   // the first delay
  std::chrono::milliseconds cap{300000};  // no delay is longer
  double jitter = 0.5;                    // fraction of the delay taken off at random, 0..1
};

// attempt 1 -> base, doubling per attempt up to cap; then up to `jitter` of it is removed
// according to `random_bits` (uniform 64 bits), so the result lies in
// [delay * (1 - jitter), delay]. Pure: the same inputs give the same delay.
std::chrono::milliseconds backoff(uint64_t attempt, const BackoffPolicy& policy,
                                  uint64_t random_bits);

struct SchedulerConfig {
  std::chrono::milliseconds interval{1000};  // between releaseDue calls
  size_t batch = 256;                        // records released per call
  BackoffPolicy error_backoff{std::chrono::milliseconds(200), std::chrono::milliseconds(30000),
                              0.5};
};

class Scheduler {
 public:
  Scheduler(Runtime runtime, SchedulerConfig config);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Puts `record` into the due set for `at`. The caller holds the returned handle.
  core::CancelablePtr schedule(core::Clock::TimePoint at, core::AppendRecord record,
                               core::EventLog::StatusCallback done);

  // Starts (or, after stop(), restarts) the release loop; the first release runs at once.
  void start();
  // Stops the loop and cancels an outstanding call; nothing runs afterwards.
  void stop();

  uint64_t released() const { return released_; }
  uint64_t errors() const { return errors_; }

 private:
  void tick();
  void onReleased(core::Result<size_t> result);
  void wait(std::chrono::milliseconds delay);

  Runtime rt_;
  SchedulerConfig config_;
  bool running_ = false;
  uint64_t failures_ = 0;
  uint64_t released_ = 0;
  uint64_t errors_ = 0;
  uint64_t seq_ = 0;  // guards against completions of superseded calls
  core::CancelablePtr call_;
};

}  // namespace od::events
