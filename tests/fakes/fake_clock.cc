#include "tests/fakes/fake_clock.h"

#include "core/result.h"

namespace od::fakes {
namespace {

class TimerHandle final : public core::Cancelable {
 public:
  explicit TimerHandle(std::weak_ptr<FakeClock::Timer> timer) : timer_(std::move(timer)) {}
  ~TimerHandle() override { cancel(); }
  void cancel() override {
    if (auto timer = timer_.lock()) {
      timer->cancelled = true;
      timer->fn = nullptr;  // release captures now, as a real cancelled watcher would
    }
    timer_.reset();
  }

 private:
  std::weak_ptr<FakeClock::Timer> timer_;
};

}  // namespace

FakeClock::FakeClock()
    : FakeClock(TimePoint(std::chrono::milliseconds(kDefaultStartMillis))) {}

FakeClock::FakeClock(TimePoint start) : now_(start) {}

FakeClock::~FakeClock() = default;

core::CancelablePtr FakeClock::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (delay.count() < 0) {
    delay = std::chrono::milliseconds(0);
  }
  auto timer = std::make_shared<Timer>();
  timer->fn = std::move(fn);
  timers_.emplace(Key{now_ + delay, next_seq_++}, timer);
  return std::make_unique<TimerHandle>(timer);
}

size_t FakeClock::advance(std::chrono::milliseconds delta) {
  const TimePoint target = now_ + delta;
  size_t ran = 0;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > target) {
      break;
    }
    std::shared_ptr<Timer> timer = std::move(it->second);
    const TimePoint due = it->first.first;
    timers_.erase(it);
    if (timer->cancelled || !timer->fn) {
      continue;
    }
    if (due > now_) {
      now_ = due;
    }
    // Move the function out first: it may destroy its own handle while it runs.
    std::function<void()> fn = std::move(timer->fn);
    timer->fn = nullptr;
    timer->cancelled = true;
    fn();
    ++ran;
    OD_CHECK(ran < run_limit_);
  }
  if (target > now_) {
    now_ = target;
  }
  return ran;
}

size_t FakeClock::pendingTimers() const {
  size_t n = 0;
  for (const auto& [key, timer] : timers_) {
    if (!timer->cancelled && timer->fn) {
      ++n;
    }
  }
  return n;
}

std::optional<core::Clock::TimePoint> FakeClock::nextDue() const {
  for (const auto& [key, timer] : timers_) {
    if (!timer->cancelled && timer->fn) {
      return key.first;
    }
  }
  return std::nullopt;
}

}  // namespace od::fakes
