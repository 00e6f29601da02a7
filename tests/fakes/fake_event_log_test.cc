// Sanity tests of the fakes themselves (the full EventLog contract lives in tests/contract/).
#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::fakes {
namespace {

using std::chrono::milliseconds;

core::AppendRecord rec(std::string stream, std::string dedupe, std::string value) {
  return core::AppendRecord{std::move(stream), std::move(dedupe), {{"k", std::move(value)}}};
}

TEST(FakeClock, RunsTimersInDueOrderAndHonoursCancel) {
  FakeClock clock;
  std::vector<int> ran;
  auto a = clock.after(milliseconds(20), [&] { ran.push_back(2); });
  auto b = clock.after(milliseconds(10), [&] { ran.push_back(1); });
  auto c = clock.after(milliseconds(15), [&] { ran.push_back(99); });
  c.reset();
  EXPECT_EQ(clock.advance(milliseconds(9)), 0u);
  EXPECT_EQ(clock.advance(milliseconds(100)), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(FakeClock, TimerCreatedByTimerRunsInSameWindow) {
  FakeClock clock;
  int ran = 0;
  core::CancelablePtr inner;
  auto outer = clock.after(milliseconds(5), [&] {
    inner = clock.after(milliseconds(5), [&] { ++ran; });
  });
  clock.advance(milliseconds(10));
  EXPECT_EQ(ran, 1);
}

TEST(FakeEventLog, CompletionsAreQueuedUntilTheClockRuns) {
  FakeClock clock;
  FakeEventLog log(clock);
  bool called = false;
  auto h = log.append({rec("s", "", "1")}, [&](auto r) {
    ASSERT_TRUE(r.ok());
    called = true;
  });
  EXPECT_FALSE(called);
  EXPECT_EQ(log.entries("s").size(), 1u);
  clock.runReady();
  EXPECT_TRUE(called);
}

TEST(FakeEventLog, AppendDedupesAndIdsIncrease) {
  FakeClock clock;
  FakeEventLog log(clock);
  std::vector<core::AppendResult> results;
  auto h = log.append({rec("s", "x", "1"), rec("s", "x", "2"), rec("s", "", "3")},
                      [&](auto r) { results = r.value(); });
  clock.runReady();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_TRUE(results[1].duplicate);
  EXPECT_EQ(results[0].entry_id, std::to_string(FakeClock::kDefaultStartMillis) + "-0");
  EXPECT_EQ(results[2].entry_id, std::to_string(FakeClock::kDefaultStartMillis) + "-1");
}

TEST(FakeEventLog, GroupPendingClaimAndTrim) {
  FakeClock clock;
  FakeEventLog log(clock);
  log.addNow(rec("s", "", "1"));
  log.addNow(rec("s", "", "2"));
  auto h = log.ensureGroup("s", "g", [](core::Status st) { ASSERT_TRUE(st.ok()); });
  std::vector<core::Delivery> got;
  auto cb = [&](core::Result<std::vector<core::Delivery>> r) { got = r.value(); };
  h = log.readGroup(core::GroupRead{"s", "g", "c1", 10, milliseconds(0), false}, cb);
  clock.runReady();
  ASSERT_EQ(got.size(), 2u);
  h = log.readGroup(core::GroupRead{"s", "g", "c1", 10, milliseconds(0), true}, cb);
  clock.runReady();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].deliveries, 2u);
  log.trim("s", got[0].entry.id);
  core::ClaimResult claim;
  h = log.claimIdle(core::ClaimRequest{"s", "g", "c2", milliseconds(100), 10},
                    [&](auto r) { claim = r.value(); });
  clock.runReady();
  EXPECT_TRUE(claim.claimed.empty());
  clock.advance(milliseconds(100));
  h = log.claimIdle(core::ClaimRequest{"s", "g", "c2", milliseconds(100), 10},
                    [&](auto r) { claim = r.value(); });
  clock.runReady();
  ASSERT_EQ(claim.claimed.size(), 1u);
  EXPECT_EQ(claim.claimed[0].deliveries, 3u);
  EXPECT_EQ(claim.deleted_ids.size(), 1u);
  EXPECT_EQ(log.pending("s", "g").size(), 1u);
}

TEST(FakeEventLog, BlockingReadWakesOnAppendOrTimesOut) {
  FakeClock clock;
  FakeEventLog log(clock);
  std::optional<size_t> n;
  auto h = log.read("s", "0", 10, milliseconds(1000), [&](auto r) { n = r->size(); });
  clock.runReady();
  EXPECT_FALSE(n.has_value());
  log.addNow(rec("s", "", "1"));
  clock.runReady();
  EXPECT_EQ(n, 1u);
  n.reset();
  h = log.read("s", "999999999999999", 10, milliseconds(1000), [&](auto r) { n = r->size(); });
  clock.advance(milliseconds(1000));
  EXPECT_EQ(n, 0u);
}

TEST(FakeEventLog, FaultInjectionAndCancel) {
  FakeClock clock;
  FakeEventLog log(clock);
  log.failNext(1, core::Errc::Timeout, FakeEventLog::Op::Append);
  std::optional<core::Errc> code;
  auto h = log.append({rec("s", "", "1")}, [&](auto r) { code = r.error().code; });
  clock.runReady();
  EXPECT_EQ(code, core::Errc::Timeout);
  EXPECT_TRUE(log.entries("s").empty());
  bool called = false;
  h = log.append({rec("s", "", "1")}, [&](auto) { called = true; });
  h.reset();
  clock.runReady();
  EXPECT_FALSE(called);
  EXPECT_EQ(log.entries("s").size(), 1u);
}

TEST(FakeEventLog, DueSetReplacesByDedupeIdAndReleasesOnce) {
  FakeClock clock;
  FakeEventLog log(clock);
  auto at = clock.now() + milliseconds(50);
  auto h = log.schedule(core::DueRecord{at, rec("w", "r1", "a")}, [](core::Status) {});
  h = log.schedule(core::DueRecord{at, rec("w", "r1", "b")}, [](core::Status) {});
  EXPECT_EQ(log.due().size(), 1u);
  size_t released = 99;
  h = log.releaseDue(clock.now(), 10, [&](auto r) { released = r.value(); });
  clock.runReady();
  EXPECT_EQ(released, 0u);
  h = log.releaseDue(at, 10, [&](auto r) { released = r.value(); });
  clock.runReady();
  EXPECT_EQ(released, 1u);
  ASSERT_EQ(log.entries("w").size(), 1u);
  EXPECT_EQ(log.entries("w")[0].fields[0].second, "b");
}

}  // namespace
}  // namespace od::fakes
