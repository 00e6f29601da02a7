// StatsProjection specs against a real redis-server: Given ArtifactDownloaded events / When
// the projection handles them (directly, or behind a Consumer fed by the recorder) / Then
// the reference's stats:* keys hold exact counts, once per event id.
#include "adapters/stats/stats_projection.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "adapters/loop/libev_clock.h"
#include "adapters/stats/stream_download_recorder.h"
#include "adapters/valkey/valkey_event_log.h"
#include "events/codec.h"
#include "events/consumer.h"
#include "tests/integration/redis_fixture.h"

namespace od::adapters::stats {
namespace {

using std::chrono::milliseconds;
using testing::awaitResult;
using Records = std::vector<core::AppendRecord>;

class CountingRandom final : public core::Random {
 public:
  uint64_t next() override { return ++n_; }

 private:
  uint64_t n_ = 0;
};

events::Envelope downloadEvent(const std::string& id, events::ArtifactDownloaded d) {
  std::string key = d.kind + "/" + d.name_space + "/" + d.name;
  int64_t at = d.at;
  return events::makeEnvelope(d, events::EnvelopeMeta{id, key, "", "", at});
}

events::ArtifactDownloaded module(std::string ns, std::string name, std::string version,
                                  int64_t at) {
  return events::ArtifactDownloaded{"Module", std::move(ns), std::move(name), std::move(version),
                                    "", "", "Terraform/1.11.0", at};
}

// Today's UTC midnight: day counters expire 90 days after their day, so a fixed past date
// would be gone at once.
const int64_t kDay = core::unixMillis(std::chrono::system_clock::now()) / 86400000 * 86400000;
const std::string kToday = utcDate(kDay);
const int64_t kDayExpireAt = kDay / 1000 + 90 * 86400;

class StatsProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start()) << "redis-server could not be started";
    options_.port = server_.port();
    options_.command_timeout = milliseconds(2000);
    projection_ = std::make_unique<StatsProjection>(loop_, options_, logger_);
  }

  core::Result<Records> handle(const events::Envelope& e) {
    core::StreamEntry raw{"1-0", events::encodeEnvelope(e)};
    return awaitResult<Records>(
        loop_, [&](auto done) { return projection_->handle(e, raw, std::move(done)); });
  }

  std::string hget(const std::string& key, const std::string& field) {
    return server_.text({"HGET", key, field});
  }

  testing::RedisServer server_;
  adapters::loop::EventLoop loop_;
  spdlog::logger logger_{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  valkey::ValkeyOptions options_;
  std::unique_ptr<StatsProjection> projection_;
};

TEST_F(StatsProjectionTest, CountsMatchTheDownloadsInTheReferenceKeys) {
  int n = 0;
  auto add = [&](events::ArtifactDownloaded d) {
    auto r = handle(downloadEvent("ev" + std::to_string(++n), std::move(d)));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->empty());
  };
  for (int i = 0; i < 5; ++i) {
    add(module("team-a", "vpc", "1.0.0", kDay + 1000 * i));
  }
  for (int i = 0; i < 3; ++i) {
    add(module("team-a", "vpc", "1.1.0", kDay + 10000 + i));
  }
  add(events::ArtifactDownloaded{"Provider", "team-b", "aws", "5.0.0", "linux", "amd64", "",
                                 kDay + 20000});
  add(events::ArtifactDownloaded{"Provider", "team-b", "aws", "5.0.0", "darwin", "arm64", "",
                                 kDay + 30000});

  EXPECT_EQ(server_.text({"GET", "stats:total"}), "10");
  EXPECT_EQ(server_.text({"GET", "stats:ns:team-a"}), "8");
  EXPECT_EQ(server_.text({"GET", "stats:ns:team-b"}), "2");
  EXPECT_EQ(hget("stats:resource:team-a:module:vpc", "count"), "8");
  EXPECT_EQ(hget("stats:resource:team-a:module:vpc", "lastAt"), formatRfc3339Millis(kDay + 10002));
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:1.0.0", "count"), "5");
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:1.0.0", "lastAt"), formatRfc3339Millis(kDay + 4000));
  EXPECT_EQ(hget("stats:version:team-b:provider:aws:5.0.0", "count"), "2");
  EXPECT_EQ(server_.text({"ZSCORE", "stats:leaderboard:global", "team-a/module/vpc/1.0.0"}), "5");
  EXPECT_EQ(server_.text({"ZSCORE", "stats:leaderboard:global", "team-b/provider/aws/5.0.0"}), "2");
  EXPECT_EQ(server_.text({"ZSCORE", "stats:leaderboard:team-a", "team-a/module/vpc/1.1.0"}), "3");
  EXPECT_EQ(server_.integer({"ZCARD", "stats:leaderboard:team-a"}), 2);
  EXPECT_EQ(server_.integer({"ZCARD", "stats:leaderboard:global"}), 3);
  EXPECT_EQ(server_.text({"ZREVRANGE", "stats:leaderboard:global", "0", "0"}), "[1]");
  auto top = server_.command({"ZREVRANGE", "stats:leaderboard:global", "0", "0"});
  ASSERT_TRUE(top && top->type == REDIS_REPLY_ARRAY && top->elements == 1);
  EXPECT_EQ(std::string(top->element[0]->str), "team-a/module/vpc/1.0.0");

  const std::string day = "stats:day:" + kToday + ":team-a:module:vpc:1.0.0";
  EXPECT_EQ(server_.text({"GET", day}), "5");
  // EXPIREAT midnight UTC of that day + 90 days.
  EXPECT_EQ(server_.integer({"EXPIRETIME", day}), kDayExpireAt);
  EXPECT_EQ(server_.integer({"EXPIRETIME", "stats:total"}), -1);  // counters never expire
  EXPECT_GT(server_.integer({"TTL", "od:{stats}:counted:ev1"}), 604000);
  EXPECT_EQ(projection_->metrics().counted, 10u);
}

TEST_F(StatsProjectionTest, TheSameEventHandledTwiceCountsOnce) {
  auto event = downloadEvent("dup-1", module("team-a", "vpc", "1.0.0", kDay));
  ASSERT_TRUE(handle(event).ok());
  auto again = handle(event);  // a redelivered entry, or the recorder's retried append
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(server_.text({"GET", "stats:total"}), "1");
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:1.0.0", "count"), "1");
  EXPECT_EQ(server_.text({"ZSCORE", "stats:leaderboard:team-a", "team-a/module/vpc/1.0.0"}), "1");
  EXPECT_EQ(server_.text({"GET", "stats:day:" + kToday + ":team-a:module:vpc:1.0.0"}), "1");
  EXPECT_EQ(projection_->metrics().counted, 1u);
  EXPECT_EQ(projection_->metrics().duplicates, 1u);
}

TEST_F(StatsProjectionTest, AnEventOlderThanTheDayRetentionCountsWithoutADayKey) {
  const int64_t old = kDay - 91LL * 86400000;  // replayed from a long backlog
  ASSERT_TRUE(handle(downloadEvent("old-1", module("team-a", "vpc", "1.0.0", old))).ok());
  EXPECT_EQ(server_.text({"GET", "stats:total"}), "1");
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:1.0.0", "lastAt"), formatRfc3339Millis(old));
  EXPECT_EQ(server_.integer({"EXISTS", "stats:day:" + utcDate(old) + ":team-a:module:vpc:1.0.0"}),
            0);
}

TEST_F(StatsProjectionTest, LastAtNeverMovesBackwards) {
  ASSERT_TRUE(handle(downloadEvent("late", module("team-a", "vpc", "1.0.0", kDay + 5000))).ok());
  ASSERT_TRUE(handle(downloadEvent("early", module("team-a", "vpc", "1.0.0", kDay + 1000))).ok());
  EXPECT_EQ(hget("stats:resource:team-a:module:vpc", "lastAt"), formatRfc3339Millis(kDay + 5000));
  EXPECT_EQ(hget("stats:resource:team-a:module:vpc", "count"), "2");
}

TEST_F(StatsProjectionTest, InvalidEventsAreRefusedWithoutWritingAnything) {
  auto bad_ns = handle(downloadEvent("bad-1", module("Team:A", "vpc", "1.0.0", kDay)));
  ASSERT_FALSE(bad_ns.ok());
  EXPECT_FALSE(bad_ns.error().retryable());
  EXPECT_NE(bad_ns.error().message.find("namespace"), std::string::npos);
  auto bad_version = handle(downloadEvent("bad-2", module("team-a", "vpc", "1/0", kDay)));
  ASSERT_FALSE(bad_version.ok());
  EXPECT_FALSE(bad_version.error().retryable());
  events::Envelope other{"VersionSynced", 1, "bad-3", "Version/ns/n", "", "", kDay, "{}"};
  auto wrong_type = handle(other);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_FALSE(wrong_type.error().retryable());
  events::Envelope corrupt{"ArtifactDownloaded", 1, "bad-4", "Module/ns/n", "", "", kDay,
                           R"({"kind":"Module"})"};
  auto undecodable = handle(corrupt);
  ASSERT_FALSE(undecodable.ok());
  EXPECT_FALSE(undecodable.error().retryable());
  EXPECT_EQ(server_.integer({"DBSIZE"}), 0);
  EXPECT_EQ(projection_->metrics().rejected, 4u);
}

TEST_F(StatsProjectionTest, AKeyOfTheWrongTypeParksTheEventAndWritesNothing) {
  ASSERT_EQ(server_.text({"SET", "stats:leaderboard:team-a", "oops"}), "OK");
  auto r = handle(downloadEvent("wt-1", module("team-a", "vpc", "1.0.0", kDay)));
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().retryable());
  EXPECT_NE(r.error().message.find("stats:leaderboard:team-a"), std::string::npos);
  EXPECT_EQ(server_.text({"GET", "stats:total"}), "(nil)");
  EXPECT_EQ(server_.integer({"EXISTS", "od:{stats}:counted:wt-1"}), 0);
}

TEST_F(StatsProjectionTest, AMissingFunctionIsRetryableAndReloadedOnReconnect) {
  ASSERT_TRUE(handle(downloadEvent("f-1", module("team-a", "vpc", "1.0.0", kDay))).ok());
  ASSERT_EQ(server_.text({"FUNCTION", "DELETE", "opendepot_stats"}), "OK");
  auto missing = handle(downloadEvent("f-2", module("team-a", "vpc", "1.0.0", kDay)));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().retryable());
  core::Result<Records> retried = core::makeError(core::Errc::Internal, "not run");
  for (int i = 0; i < 50 && !retried.ok(); ++i) {
    loop_.runUntil([] { return false; }, milliseconds(20));
    retried = handle(downloadEvent("f-2", module("team-a", "vpc", "1.0.0", kDay)));
  }
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(server_.text({"GET", "stats:total"}), "2");
}

TEST_F(StatsProjectionTest, TrimsTheDownloadsStreamToItsCap) {
  const std::string stream(events::streams::kDownloads);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(server_.command({"XADD", stream, "*", "f", std::to_string(i)}));
  }
  StatsProjectionConfig config;
  config.stream_max_len = 100;
  config.trim_every = 2;
  projection_ = std::make_unique<StatsProjection>(loop_, options_, logger_, config);
  ASSERT_TRUE(handle(downloadEvent("t-1", module("team-a", "vpc", "1.0.0", kDay))).ok());
  loop_.runUntil([] { return false; }, milliseconds(50));
  EXPECT_EQ(projection_->metrics().trims, 0u);  // not yet: every second event
  EXPECT_EQ(server_.integer({"XLEN", stream}), 1000);
  ASSERT_TRUE(handle(downloadEvent("t-2", module("team-a", "vpc", "1.0.0", kDay))).ok());
  ASSERT_TRUE(loop_.runUntil([&] { return projection_->metrics().trims == 1; },
                             std::chrono::seconds(5)));
  long long len = server_.integer({"XLEN", stream});
  EXPECT_GE(len, 100);  // approximate trimming keeps at least the cap
  EXPECT_LT(len, 1000);
}

TEST_F(StatsProjectionTest, RecorderToConsumerToKeysEndToEnd) {
  adapters::loop::LibevClock clock(loop_);
  CountingRandom random;
  valkey::ValkeyEventLog log(loop_, options_, logger_);
  events::Runtime runtime{log, clock, random, logger_};
  StreamDownloadRecorder recorder(
      runtime, [this](std::function<void()> fn) { loop_.post(std::move(fn)); },
      DownloadRecorderConfig{.capacity = 100, .batch_size = 8});
  auto config = statsConsumerConfig("stats-test");
  config.block = milliseconds(100);
  config.handler_backoff = {milliseconds(10), milliseconds(20), 0.0};
  config.max_deliveries = 2;
  events::Consumer consumer(runtime, *projection_, config);
  consumer.start();

  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(recorder.record(core::DownloadRecord{"Module", "team-a", "vpc",
                                                     i % 2 == 0 ? "1.0.0" : "2.0.0", "", "",
                                                     "Terraform/1.11.0", kDay + i}));
  }
  // A poison entry on the same stream: parked, never counted.
  events::Envelope poison = downloadEvent("poison", module("team-a", "vpc", "x/y", kDay));
  server_.command([&] {
    std::vector<std::string> args{"XADD", std::string(events::streams::kDownloads), "*"};
    for (auto& [k, v] : events::encodeEnvelope(poison)) {
      args.push_back(k);
      args.push_back(v);
    }
    return args;
  }());

  bool done = loop_.runUntil(
      [&] { return consumer.metrics().handled == 20 && consumer.metrics().parked == 1; },
      std::chrono::seconds(10));
  ASSERT_TRUE(done) << "handled " << consumer.metrics().handled << " parked "
                    << consumer.metrics().parked;
  EXPECT_EQ(server_.text({"GET", "stats:total"}), "20");
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:1.0.0", "count"), "10");
  EXPECT_EQ(hget("stats:version:team-a:module:vpc:2.0.0", "count"), "10");
  EXPECT_EQ(server_.integer({"XLEN", std::string(events::streams::kDead)}), 1);
  EXPECT_EQ(recorder.metrics().appended, 20u);
  EXPECT_TRUE(recorder.idle());

  bool stopped = false;
  consumer.stop([&] { stopped = true; });
  loop_.runUntil([&] { return stopped; }, std::chrono::seconds(5));
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace od::adapters::stats
