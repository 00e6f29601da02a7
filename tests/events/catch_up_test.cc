// Catch-up reader specs: Given a stream and a checkpoint / When the reader runs (time driven
// by FakeClock) / Then the fold saw the right entries and the checkpoint moved.
#include "events/catch_up.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::events {
namespace {

using fakes::FakeClock;
using fakes::FakeEventLog;
using std::chrono::milliseconds;

const std::string kStream = "od:{ctl}:facts";

class ZeroRandom final : public core::Random {
 public:
  uint64_t next() override { return 0; }
};

struct CatchUpSpec : ::testing::Test {
  FakeClock clock;
  FakeEventLog log{clock};
  ZeroRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  std::vector<std::string> folded;  // the "n" field of each folded entry

  std::vector<std::string> givenEntries(int from, int to) {
    std::vector<std::string> ids;
    for (int i = from; i < to; ++i) {
      ids.push_back(log.addNow(core::AppendRecord{kStream, "", {{"n", std::to_string(i)}}}));
    }
    return ids;
  }
  CatchUpConfig config() {
    CatchUpConfig c;
    c.stream = kStream;
    c.checkpoint_name = "readmodel";
    c.batch = 4;
    c.block = milliseconds(1000);
    c.checkpoint_every = 5;
    c.checkpoint_interval = milliseconds(10000);
    c.error_backoff = {milliseconds(100), milliseconds(10000), 0.0};
    return c;
  }
  std::unique_ptr<CatchUpReader> make(CatchUpConfig c) {
    return std::make_unique<CatchUpReader>(
        Runtime{log, clock, random, logger}, std::move(c),
        [this](const core::StreamEntry& e) { folded.push_back(e.fields.at(0).second); });
  }
};

TEST_F(CatchUpSpec, FoldsEverythingInBatchesThenReportsCaughtUp) {
  auto ids = givenEntries(0, 10);
  auto reader = make(config());
  reader->start();
  EXPECT_FALSE(reader->caughtUp());
  clock.runReady();
  ASSERT_EQ(folded.size(), 10u);
  EXPECT_EQ(folded.front(), "0");
  EXPECT_EQ(folded.back(), "9");
  EXPECT_TRUE(reader->caughtUp());
  EXPECT_EQ(reader->position(), ids.back());
  // every 5 entries: stored after the batch that crossed 5 (entry 7, index 7)
  EXPECT_EQ(log.checkpoint("readmodel"), ids[7]);
}

TEST_F(CatchUpSpec, StoresTheCheckpointOnStopAndResumesFromIt) {
  auto ids = givenEntries(0, 3);
  auto reader = make(config());
  reader->start();
  clock.runReady();
  EXPECT_EQ(log.checkpoint("readmodel"), std::nullopt);  // fewer than checkpoint_every
  bool stopped = false;
  reader->stop([&] { stopped = true; });
  clock.runReady();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(log.checkpoint("readmodel"), ids.back());
  // Given more entries while stopped, When a new reader starts, Then it folds only those.
  givenEntries(3, 6);
  folded.clear();
  auto restarted = make(config());
  restarted->start();
  clock.runReady();
  EXPECT_EQ(folded, (std::vector<std::string>{"3", "4", "5"}));
}

TEST_F(CatchUpSpec, FollowsNewEntriesLiveAfterCatchingUp) {
  givenEntries(0, 2);
  auto reader = make(config());
  reader->start();
  clock.runReady();
  ASSERT_TRUE(reader->caughtUp());
  givenEntries(2, 3);
  clock.runReady();  // the blocking read wakes on the append
  EXPECT_EQ(folded.size(), 3u);
  clock.advance(milliseconds(3000));  // idle blocking reads time out and repeat
  givenEntries(3, 4);
  clock.runReady();
  EXPECT_EQ(folded.size(), 4u);
}

TEST_F(CatchUpSpec, StoresTheCheckpointOnTheIntervalWhenItMoved) {
  auto ids = givenEntries(0, 2);
  auto reader = make(config());
  reader->start();
  clock.runReady();
  EXPECT_EQ(log.checkpoint("readmodel"), std::nullopt);
  clock.advance(milliseconds(10000));
  EXPECT_EQ(log.checkpoint("readmodel"), ids.back());
  const size_t stores = log.calls(FakeEventLog::Op::StoreCheckpoint);
  clock.advance(milliseconds(10000));  // nothing new: no store
  EXPECT_EQ(log.calls(FakeEventLog::Op::StoreCheckpoint), stores);
}

TEST_F(CatchUpSpec, LogErrorsBackOffAndNothingIsSkipped) {
  givenEntries(0, 3);
  log.failNext(1, core::Errc::Unavailable, FakeEventLog::Op::LoadCheckpoint);
  log.failNext(1, core::Errc::Timeout, FakeEventLog::Op::Read);
  auto reader = make(config());
  reader->start();
  clock.runReady();
  EXPECT_TRUE(folded.empty());
  clock.advance(milliseconds(100));  // load retried; the first read fails
  EXPECT_TRUE(folded.empty());
  clock.advance(milliseconds(100));
  EXPECT_EQ(folded.size(), 3u);
  EXPECT_EQ(reader->errors(), 2u);
  EXPECT_TRUE(reader->caughtUp());
}

TEST_F(CatchUpSpec, CaughtUpOnAnEmptyStream) {
  auto reader = make(config());
  reader->start();
  clock.runReady();
  EXPECT_TRUE(reader->caughtUp());
  EXPECT_EQ(reader->position(), "0");
}

}  // namespace
}  // namespace od::events
