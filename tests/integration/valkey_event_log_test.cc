// ValkeyEventLog against a real redis-server under faults: paused server (timeouts), killed
// and restarted server (reconnect, FUNCTION reload), lost groups, wrong key types.

#include "adapters/valkey/valkey_event_log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "adapters/loop/event_loop.h"
#include "tests/integration/redis_fixture.h"

namespace od::adapters::valkey {
namespace {

using core::Errc;
using core::Result;
using std::chrono::milliseconds;
using testing::awaitResult;

const std::string kS = "od:{ctl}:it";

class ValkeyEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    log_ = make(server_.port());
  }
  std::unique_ptr<ValkeyEventLog> make(int port) {
    ValkeyOptions options;
    options.port = port;
    options.command_timeout = milliseconds(300);
    options.connect_timeout = milliseconds(300);
    options.reconnect_backoff_min = milliseconds(20);
    options.reconnect_backoff_max = milliseconds(200);
    return std::make_unique<ValkeyEventLog>(loop_, options, *spdlog::default_logger());
  }
  core::Status ping() {
    return awaitResult<void>(loop_, [&](auto done) { return log_->ping(done); });
  }
  // Pings until one succeeds (the log reconnects by itself).
  bool waitConnected(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ping().ok()) {
        return true;
      }
      loop_.runUntil([] { return false; }, milliseconds(20));
    }
    return false;
  }
  Result<std::vector<core::AppendResult>> append(const std::string& stream, std::string dedupe) {
    std::vector<core::AppendRecord> records{{stream, std::move(dedupe), {{"k", "v"}}}};
    return awaitResult<std::vector<core::AppendResult>>(
        loop_, [&](auto done) { return log_->append(records, done); });
  }
  core::Status ensure(const std::string& stream) {
    return awaitResult<void>(loop_, [&](auto done) { return log_->ensureGroup(stream, "g", done); });
  }
  Result<std::vector<core::Delivery>> readGroup(const std::string& stream, milliseconds block) {
    core::GroupRead request{stream, "g", "c", 10, block, false};
    return awaitResult<std::vector<core::Delivery>>(
        loop_, [&](auto done) { return log_->readGroup(request, done); });
  }

  testing::RedisServer server_;
  loop::EventLoop loop_;
  std::unique_ptr<ValkeyEventLog> log_;
};

TEST_F(ValkeyEventLogTest, CommandAgainstPausedServerTimesOutThenRecovers) {
  ASSERT_TRUE(waitConnected());
  server_.pause();
  const auto start = std::chrono::steady_clock::now();
  auto r = append(kS, "t-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout) << r.error().describe();
  EXPECT_TRUE(r.error().retryable());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  server_.resume();
  ASSERT_TRUE(waitConnected());
  // The timed-out append may or may not have happened; the retry is idempotent.
  auto retry = append(kS, "t-1");
  ASSERT_TRUE(retry.ok()) << retry.error().describe();
  EXPECT_EQ(server_.integer({"XLEN", kS}), 1);
}

TEST_F(ValkeyEventLogTest, KilledServerIsUnavailableAndRestartReconnectsWithFunctions) {
  ASSERT_TRUE(waitConnected());
  ASSERT_TRUE(append(kS, "before").ok());
  const uint64_t connects = log_->connects();
  server_.kill();
  auto r = append(kS, "during");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == Errc::Unavailable || r.error().code == Errc::Timeout)
      << r.error().describe();
  EXPECT_FALSE(log_->connected());
  ASSERT_TRUE(server_.start());  // same port, empty data (no persistence): no functions
  ASSERT_TRUE(waitConnected());
  EXPECT_GT(log_->connects(), connects);
  auto after = append(kS, "during");
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_FALSE((*after)[0].duplicate);
  EXPECT_EQ(server_.text({"FUNCTION", "LIST", "LIBRARYNAME", "opendepot"}), "[1]");
}

TEST_F(ValkeyEventLogTest, FlushedFunctionsAreLoadedAgain) {
  ASSERT_TRUE(waitConnected());
  ASSERT_EQ(server_.text({"FUNCTION", "FLUSH"}), "OK");
  auto r = append(kS, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable) << r.error().describe();
  ASSERT_TRUE(waitConnected());
  auto again = append(kS, "x");
  ASSERT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(ValkeyEventLogTest, KeyOfTheWrongTypeIsAnErrorNotACrash) {
  ASSERT_EQ(server_.text({"SET", kS, "not a stream"}), "OK");
  auto r = append(kS, "w-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Corrupt) << r.error().describe();
  EXPECT_FALSE(ensure(kS).ok());
  auto read = awaitResult<std::vector<core::StreamEntry>>(
      loop_, [&](auto done) { return log_->read(kS, "0", 10, milliseconds(0), done); });
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::Corrupt);
  // A failed append leaves no seen-marker behind: once the key is fixed it goes through.
  server_.text({"DEL", kS});
  auto fixed = append(kS, "w-1");
  ASSERT_TRUE(fixed.ok());
  EXPECT_FALSE((*fixed)[0].duplicate);
}

TEST_F(ValkeyEventLogTest, DueRecordThatCannotBeAppendedIsParkedOnDead) {
  ASSERT_EQ(server_.text({"SET", kS, "not a stream"}), "OK");
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(awaitResult<void>(loop_, [&](auto done) {
                return log_->schedule({now, {kS, "p-1", {{"k", "v"}}}}, done);
              }).ok());
  auto released = awaitResult<size_t>(loop_, [&](auto done) { return log_->releaseDue(now, 10, done); });
  ASSERT_TRUE(released.ok()) << released.error().describe();
  EXPECT_EQ(server_.integer({"XLEN", kDeadStream}), 1);
  EXPECT_EQ(server_.integer({"ZCARD", kDueKey}), 0);
}

TEST_F(ValkeyEventLogTest, LostGroupIsRecreated) {
  ASSERT_TRUE(ensure(kS).ok());
  server_.text({"FLUSHALL"});
  auto lost = readGroup(kS, milliseconds(0));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, Errc::Unavailable) << lost.error().describe();
  auto again = readGroup(kS, milliseconds(0));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_TRUE(again->empty());
}

TEST_F(ValkeyEventLogTest, BlockingReadDoesNotDelayAppends) {
  ASSERT_TRUE(ensure(kS).ok());
  std::optional<Result<std::vector<core::Delivery>>> blocked;
  core::GroupRead request{kS, "g", "c", 10, milliseconds(3000), false};
  auto handle = log_->readGroup(request, [&](auto r) { blocked.emplace(std::move(r)); });
  loop_.runUntil([] { return false; }, milliseconds(50));  // the read is parked on the server
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(append(kS, "").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(250));
  ASSERT_TRUE(loop_.runUntil([&] { return blocked.has_value(); }, milliseconds(3000)));
  ASSERT_TRUE(blocked->ok()) << blocked->error().describe();
  EXPECT_EQ((*blocked)->size(), 1u);
}

TEST_F(ValkeyEventLogTest, BlockingReadWithNothingNewReturnsEmptyAfterBlock) {
  ASSERT_TRUE(ensure(kS).ok());
  auto r = readGroup(kS, milliseconds(100));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->empty());
}

TEST_F(ValkeyEventLogTest, CancelledOrAbandonedCallsNeverCallBack) {
  ASSERT_TRUE(waitConnected());
  int called = 0;
  auto cancelled = log_->ping([&](core::Status) { ++called; });
  cancelled->cancel();
  log_->ping([&](core::Status) { ++called; }).reset();
  auto outlives = log_->ping([&](core::Status) { ++called; });
  log_.reset();  // destroying the log with calls in flight: no callback, no crash
  loop_.runUntil([] { return false; }, milliseconds(100));
  outlives->cancel();
  outlives.reset();
  EXPECT_EQ(called, 0);
}

TEST_F(ValkeyEventLogTest, NothingListeningMeansUnavailable) {
  log_ = make(testing::freePort());
  auto r = ping();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable) << r.error().describe();
  EXPECT_FALSE(log_->connected());
}

}  // namespace
}  // namespace od::adapters::valkey
