#include "events/scheduler.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::events {
namespace {

using fakes::FakeClock;
using fakes::FakeEventLog;
using std::chrono::milliseconds;

class FixedRandom final : public core::Random {
 public:
  uint64_t next() override { return value; }
  uint64_t value = 0;
};

core::AppendRecord record(std::string dedupe, std::string value) {
  return core::AppendRecord{"od:{ctl}:work", std::move(dedupe), {{"k", std::move(value)}}};
}

struct SchedulerFixture : ::testing::Test {
  FakeClock clock;
  FakeEventLog log{clock};
  FixedRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  Runtime rt{log, clock, random, logger};
};

TEST(Backoff, DoublesFromBaseUpToCap) {
  BackoffPolicy p{milliseconds(100), milliseconds(1000), 0.0};
  EXPECT_EQ(backoff(1, p, 0), milliseconds(100));
  EXPECT_EQ(backoff(2, p, 0), milliseconds(200));
  EXPECT_EQ(backoff(4, p, 0), milliseconds(800));
  EXPECT_EQ(backoff(5, p, 0), milliseconds(1000));
  EXPECT_EQ(backoff(500, p, 0), milliseconds(1000));
  EXPECT_EQ(backoff(0, p, 0), milliseconds(100));
}

TEST(Backoff, JitterTakesOffUpToItsFractionDeterministically) {
  BackoffPolicy p{milliseconds(1000), milliseconds(60000), 0.5};
  EXPECT_EQ(backoff(1, p, 0), milliseconds(1000));
  EXPECT_EQ(backoff(1, p, ~0ULL), milliseconds(501));
  EXPECT_EQ(backoff(1, p, 1ULL << 63), milliseconds(750));
  EXPECT_EQ(backoff(3, p, 1ULL << 63), backoff(3, p, 1ULL << 63));
}

TEST_F(SchedulerFixture, ReleasesARecordAtItsDueTimeNotBefore) {
  // Given a scheduler polling every second
  Scheduler scheduler(rt, SchedulerConfig{milliseconds(1000), 16, {}});
  bool scheduled = false;
  auto h = scheduler.schedule(clock.now() + milliseconds(5000), record("retry-1", "x"),
                              [&](core::Status st) { scheduled = st.ok(); });
  scheduler.start();
  clock.runReady();
  ASSERT_TRUE(scheduled);
  // When time passes short of the due time, Then nothing is released
  clock.advance(milliseconds(4000));
  EXPECT_TRUE(log.entries("od:{ctl}:work").empty());
  // When the due time passes, Then the record is in its stream exactly once
  clock.advance(milliseconds(1000));
  clock.advance(milliseconds(3000));
  EXPECT_EQ(log.entries("od:{ctl}:work").size(), 1u);
  EXPECT_EQ(scheduler.released(), 1u);
  EXPECT_TRUE(log.due().empty());
}

TEST_F(SchedulerFixture, ReschedulingReplacesAndAlreadyAppendedIdIsNotAppendedAgain) {
  Scheduler scheduler(rt, SchedulerConfig{milliseconds(1000), 16, {}});
  auto h1 = scheduler.schedule(clock.now() + milliseconds(1000), record("r", "a"), [](auto) {});
  auto h2 = scheduler.schedule(clock.now() + milliseconds(2000), record("r", "b"), [](auto) {});
  scheduler.start();
  clock.advance(milliseconds(2000));
  ASSERT_EQ(log.entries("od:{ctl}:work").size(), 1u);
  EXPECT_EQ(log.entries("od:{ctl}:work")[0].fields[0].second, "b");
  auto h3 = scheduler.schedule(clock.now(), record("r", "c"), [](auto) {});
  clock.advance(milliseconds(1000));
  EXPECT_EQ(log.entries("od:{ctl}:work").size(), 1u);  // same dedupe id: idempotent
}

TEST_F(SchedulerFixture, LogErrorsBackOffAndRecover) {
  Scheduler scheduler(rt, SchedulerConfig{milliseconds(1000), 16,
                                          {milliseconds(200), milliseconds(10000), 0.0}});
  auto h = scheduler.schedule(clock.now(), record("r", "a"), [](auto) {});
  clock.runReady();
  log.failNext(3, core::Errc::Unavailable, FakeEventLog::Op::ReleaseDue);
  scheduler.start();
  clock.runReady();
  EXPECT_EQ(scheduler.errors(), 1u);
  clock.advance(milliseconds(199));
  EXPECT_EQ(scheduler.errors(), 1u);
  clock.advance(milliseconds(1));  // 200 ms: second try fails
  EXPECT_EQ(scheduler.errors(), 2u);
  clock.advance(milliseconds(400));  // 400 ms: third try fails
  EXPECT_EQ(scheduler.errors(), 3u);
  clock.advance(milliseconds(800));  // 800 ms: succeeds
  EXPECT_EQ(scheduler.released(), 1u);
  EXPECT_EQ(log.calls(FakeEventLog::Op::ReleaseDue), 4u);
}

TEST_F(SchedulerFixture, StopCancelsTheLoop) {
  Scheduler scheduler(rt, SchedulerConfig{milliseconds(1000), 16, {}});
  scheduler.start();
  clock.runReady();
  scheduler.stop();
  const size_t calls = log.calls(FakeEventLog::Op::ReleaseDue);
  clock.advance(milliseconds(10000));
  EXPECT_EQ(log.calls(FakeEventLog::Op::ReleaseDue), calls);
  EXPECT_EQ(clock.pendingTimers(), 0u);
}

}  // namespace
}  // namespace od::events
