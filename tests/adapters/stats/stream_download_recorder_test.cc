// StreamDownloadRecorder specs: Given downloads recorded from HTTP threads / When the control
// loop (a hand-driven post queue plus FakeClock) works / Then the stream holds one
// ArtifactDownloaded per accepted download, the queue stays bounded and failures retry.
#include "adapters/stats/stream_download_recorder.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <set>
#include <thread>

#include "events/codec.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::adapters::stats {
namespace {

using fakes::FakeClock;
using fakes::FakeEventLog;
using std::chrono::milliseconds;
using Op = FakeEventLog::Op;

const std::string kStream(events::streams::kDownloads);

class CountingRandom final : public core::Random {
 public:
  uint64_t next() override { return ++n_; }  // distinct ids; backoff jitter varies a little

 private:
  uint64_t n_ = 0;
};

core::DownloadRecord download(std::string name, std::string version, int64_t at = 1704067200500) {
  return core::DownloadRecord{"Module", "team-a", std::move(name), std::move(version), "", "",
                              "Terraform/1.11.0", at};
}

class RecorderTest : public ::testing::Test {
 protected:
  RecorderTest()
      : logger_("test", std::make_shared<spdlog::sinks::null_sink_mt>()),
        log_(clock_),
        runtime_{log_, clock_, random_, logger_} {}

  std::unique_ptr<StreamDownloadRecorder> make(DownloadRecorderConfig config) {
    return std::make_unique<StreamDownloadRecorder>(
        runtime_,
        [this](std::function<void()> fn) {
          std::lock_guard<std::mutex> lock(posted_mutex_);
          posted_.push_back(std::move(fn));
        },
        std::move(config));
  }

  size_t postedCount() {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    return posted_.size() + posts_run_;
  }

  // One turn of the control loop: posted closures, then every ready completion.
  void turn() {
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      fns.swap(posted_);
      posts_run_ += fns.size();
    }
    for (auto& fn : fns) {
      fn();
    }
    clock_.runReady();
  }

  std::vector<events::ArtifactDownloaded> appended(std::set<std::string>* ids = nullptr) {
    std::vector<events::ArtifactDownloaded> out;
    for (const auto& entry : log_.entries(kStream)) {
      auto envelope = events::decodeEnvelope(entry.fields);
      EXPECT_TRUE(envelope.ok());
      auto d = events::decodeAs<events::ArtifactDownloaded>(*envelope);
      EXPECT_TRUE(d.ok());
      EXPECT_EQ(envelope->key, d->kind + "/" + d->name_space + "/" + d->name);
      EXPECT_EQ(envelope->ts, d->at);
      if (ids != nullptr) {
        ids->insert(envelope->id);
      }
      out.push_back(*d);
    }
    return out;
  }

  FakeClock clock_;
  CountingRandom random_;
  spdlog::logger logger_;
  FakeEventLog log_;
  events::Runtime runtime_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  size_t posts_run_ = 0;
};

TEST_F(RecorderTest, AppendsOneEventPerDownloadWithItsFields) {
  auto recorder = make({});
  ASSERT_TRUE(recorder->record(core::DownloadRecord{"Provider", "ns", "aws", "5.1.0", "linux",
                                                    "arm64", "OpenTofu/1.9.0", 1704067200123}));
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0", 0)));  // no time: the clock's
  EXPECT_FALSE(recorder->idle());
  turn();
  std::set<std::string> ids;
  auto events = appended(&ids);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "Provider");
  EXPECT_EQ(events[0].os, "linux");
  EXPECT_EQ(events[0].arch, "arm64");
  EXPECT_EQ(events[0].client, "OpenTofu/1.9.0");
  EXPECT_EQ(events[0].at, 1704067200123);
  EXPECT_EQ(events[1].name, "vpc");
  EXPECT_EQ(events[1].at, FakeClock::kDefaultStartMillis);
  EXPECT_EQ(ids.size(), 2u);  // every download is its own event
  auto m = recorder->metrics();
  EXPECT_EQ(m.recorded, 2u);
  EXPECT_EQ(m.appended, 2u);
  EXPECT_EQ(m.dropped, 0u);
  EXPECT_EQ(m.failed, 0u);
  EXPECT_TRUE(recorder->idle());
}

TEST_F(RecorderTest, AFullQueueDropsAndCountsWithoutBlocking) {
  auto recorder = make({.capacity = 3, .batch_size = 10});
  int accepted = 0;
  for (int i = 0; i < 5; ++i) {
    accepted += recorder->record(download("vpc", "1.0." + std::to_string(i))) ? 1 : 0;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(postedCount(), 1u);  // one flush for the whole batch
  auto m = recorder->metrics();
  EXPECT_EQ(m.recorded, 3u);
  EXPECT_EQ(m.dropped, 2u);
  turn();
  ASSERT_EQ(appended().size(), 3u);
  EXPECT_EQ(appended()[2].version, "1.0.2");  // order kept, the late ones dropped
  // Room again once the loop drained the queue.
  EXPECT_TRUE(recorder->record(download("vpc", "2.0.0")));
  EXPECT_EQ(postedCount(), 2u);
  turn();
  EXPECT_EQ(appended().size(), 4u);
}

TEST_F(RecorderTest, BatchesWithOneAppendInFlight) {
  auto recorder = make({.capacity = 100, .batch_size = 4});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(recorder->record(download("vpc", "1.0." + std::to_string(i))));
  }
  EXPECT_EQ(postedCount(), 1u);
  turn();
  EXPECT_EQ(log_.calls(Op::Append), 3u);  // 4 + 4 + 2
  auto events = appended();
  ASSERT_EQ(events.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(events[i].version, "1.0." + std::to_string(i));
  }
  EXPECT_EQ(recorder->metrics().appended, 10u);
  EXPECT_EQ(postedCount(), 1u);
}

TEST_F(RecorderTest, RecordsArrivingDuringAnAppendGoOutWithTheNextBatch) {
  auto recorder = make({.capacity = 100, .batch_size = 100});
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0")));
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    fns.swap(posted_);
  }
  fns[0]();  // the append is now in flight (its completion waits on the clock)
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.1")));
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.2")));
  EXPECT_EQ(postedCount(), 0u);  // the loop still owns the queue: no extra post
  clock_.runReady();
  EXPECT_EQ(log_.calls(Op::Append), 2u);
  EXPECT_EQ(appended().size(), 3u);
  EXPECT_TRUE(recorder->idle());
}

TEST_F(RecorderTest, RetriesTheSameBatchAfterAnEventLogFailure) {
  auto recorder = make({.capacity = 2, .batch_size = 10,
                        .retry_backoff = {milliseconds(100), milliseconds(1000), 0.0}});
  log_.failNext(2, core::Errc::Unavailable, Op::Append);
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0")));
  turn();
  EXPECT_TRUE(appended().empty());
  EXPECT_EQ(recorder->metrics().failed, 1u);
  EXPECT_FALSE(recorder->idle());
  // While the retry waits, the queue still bounds what is kept.
  EXPECT_TRUE(recorder->record(download("vpc", "1.0.1")));
  EXPECT_TRUE(recorder->record(download("vpc", "1.0.2")));
  EXPECT_FALSE(recorder->record(download("vpc", "1.0.3")));
  clock_.advance(milliseconds(100));  // second attempt fails too
  EXPECT_EQ(recorder->metrics().failed, 2u);
  EXPECT_TRUE(appended().empty());
  clock_.advance(milliseconds(199));
  EXPECT_TRUE(appended().empty());  // backoff doubled to 200 ms
  clock_.advance(milliseconds(1));
  auto events = appended();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].version, "1.0.0");
  EXPECT_EQ(events[2].version, "1.0.2");
  auto m = recorder->metrics();
  EXPECT_EQ(m.recorded, 3u);
  EXPECT_EQ(m.dropped, 1u);
  EXPECT_EQ(m.appended, 3u);
  EXPECT_TRUE(recorder->idle());
}

TEST_F(RecorderTest, ALostReplyDuplicatesEntriesUnderTheSameEventIds) {
  auto recorder = make({.retry_backoff = {milliseconds(10), milliseconds(10), 0.0}});
  log_.failNext(1, core::Errc::Timeout, Op::Append, FakeEventLog::FaultMode::AfterEffect);
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0")));
  turn();
  clock_.advance(milliseconds(10));
  std::set<std::string> ids;
  EXPECT_EQ(appended(&ids).size(), 2u);
  EXPECT_EQ(ids.size(), 1u);  // the projection counts this id once
  EXPECT_EQ(recorder->metrics().appended, 1u);
}

TEST_F(RecorderTest, ConcurrentRecordersNeverLoseCountOrPostTwice) {
  auto recorder = make({.capacity = 500, .batch_size = 64});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&recorder, t] {
      for (int i = 0; i < 200; ++i) {
        recorder->record(download("m" + std::to_string(t), "1.0." + std::to_string(i)));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  auto m = recorder->metrics();
  EXPECT_EQ(m.recorded + m.dropped, 800u);
  EXPECT_EQ(m.recorded, 500u);
  EXPECT_EQ(postedCount(), 1u);
  turn();
  EXPECT_EQ(appended().size(), 500u);
  EXPECT_EQ(recorder->metrics().appended, 500u);
}

TEST_F(RecorderTest, AFlushPostedBeforeDestructionDoesNothing) {
  auto recorder = make({});
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0")));
  recorder.reset();
  turn();  // runs the stale flush: no crash, nothing appended
  EXPECT_TRUE(appended().empty());
  EXPECT_EQ(log_.calls(Op::Append), 0u);
}

TEST_F(RecorderTest, DestructionWithAnAppendInFlightDropsItsCallback) {
  auto recorder = make({});
  ASSERT_TRUE(recorder->record(download("vpc", "1.0.0")));
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    fns.swap(posted_);
  }
  fns[0]();
  recorder.reset();
  clock_.runReady();  // the completion must not reach the destroyed recorder
  EXPECT_EQ(appended().size(), 1u);
}

}  // namespace
}  // namespace od::adapters::stats
