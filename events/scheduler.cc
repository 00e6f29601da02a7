#include "events/scheduler.h"

#include <algorithm>
#include <cmath>

namespace od::events {

std::chrono::milliseconds backoff(uint64_t attempt, const BackoffPolicy& policy,
                                  uint64_t random_bits) {
  const int64_t base = std::max<int64_t>(policy.base.count(), 0);
  const int64_t cap = std::max<int64_t>(policy.cap.count(), base);
  int64_t delay = base;
  for (uint64_t i = 1; i < attempt && delay < cap; ++i) {
    delay = delay > cap / 2 ? cap : delay * 2;
  }
  delay = std::min(delay, cap);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  // Top 53 bits -> [0, 1) exactly representable as a double.
  const double u = static_cast<double>(random_bits >> 11) / static_cast<double>(1ULL << 53);
  const auto cut = static_cast<int64_t>(std::floor(static_cast<double>(delay) * jitter * u));
  return std::chrono::milliseconds(delay - cut);
}

Scheduler::Scheduler(Runtime runtime, SchedulerConfig config)
    : rt_(runtime), config_(std::move(config)) {}

Scheduler::~Scheduler() = default;

core::CancelablePtr Scheduler::schedule(core::Clock::TimePoint at, core::AppendRecord record,
                                        core::EventLog::StatusCallback done) {
  return rt_.log.schedule(core::DueRecord{at, std::move(record)}, std::move(done));
}

void Scheduler::start() {
  if (running_) {
    return;
  }
  running_ = true;
  failures_ = 0;
  tick();
}

void Scheduler::stop() {
  running_ = false;
  ++seq_;
  call_.reset();
}

void Scheduler::tick() {
  if (!running_) {
    return;
  }
  const uint64_t seq = ++seq_;
  auto handle = rt_.log.releaseDue(rt_.clock.now(), config_.batch,
                                   [this, seq](core::Result<size_t> result) {
                                     if (seq == seq_) {
                                       onReleased(std::move(result));
                                     }
                                   });
  if (seq == seq_) {  // a synchronous completion may already have moved on
    call_ = std::move(handle);
  }
}

void Scheduler::onReleased(core::Result<size_t> result) {
  if (!result.ok()) {
    ++errors_;
    ++failures_;
    const auto delay = backoff(failures_, config_.error_backoff, rt_.random.next());
    rt_.logger.warn("event=DueReleaseFailed error=\"{}\" attempt={} retry_ms={}",
                    result.error().describe(), failures_, delay.count());
    wait(delay);
    return;
  }
  failures_ = 0;
  released_ += *result;
  if (*result > 0) {
    rt_.logger.debug("event=DueReleased count={}", *result);
  }
  if (*result >= config_.batch) {
    tick();  // a full batch: more may be due right now
    return;
  }
  wait(config_.interval);
}

void Scheduler::wait(std::chrono::milliseconds delay) {
  const uint64_t seq = ++seq_;
  auto handle = rt_.clock.after(delay, [this, seq] {
    if (seq == seq_) {
      tick();
    }
  });
  if (seq == seq_) {
    call_ = std::move(handle);
  }
}

}  // namespace od::events
