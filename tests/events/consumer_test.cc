// Consumer-group runner specs: Given entries on a stream / When the runner works through
// them (time driven by FakeClock) / Then the log holds the expected results, acks and
// parked entries.
#include "events/consumer.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <deque>

#include "events/codec.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::events {
namespace {

using fakes::FakeClock;
using fakes::FakeEventLog;
using std::chrono::milliseconds;
using Op = FakeEventLog::Op;

const std::string kWork(streams::kWork);
const std::string kFacts(streams::kFacts);
const std::string kDead(streams::kDead);
const std::string kGroup = "worker";

class ZeroRandom final : public core::Random {
 public:
  uint64_t next() override { return 0; }  // no jitter: delays are exact
};

class FlagHandle final : public core::Cancelable {
 public:
  explicit FlagHandle(std::shared_ptr<bool> alive) : alive_(std::move(alive)) {}
  ~FlagHandle() override { cancel(); }
  void cancel() override { *alive_ = false; }

 private:
  std::shared_ptr<bool> alive_;
};

// Answers each event with one VersionSynced fact (deterministic id), after a zero-delay
// timer; scripted failures first; or holds the completion for the test to give.
class TestHandler final : public Handler {
 public:
  explicit TestHandler(FakeClock& clock) : clock_(clock) {}

  core::CancelablePtr handle(const Envelope& event, const core::StreamEntry&, Done done) override {
    seen.push_back(event.id);
    auto alive = std::make_shared<bool>(true);
    if (hold) {
      held.push_back({alive, std::move(done), event});
      return std::make_unique<FlagHandle>(alive);
    }
    core::Result<std::vector<core::AppendRecord>> result = resultFor(event);
    if (!failures.empty()) {
      result = failures.front();
      failures.pop_front();
    }
    return clock_.after(milliseconds(0), [done, result] { done(result); });
  }

  static std::vector<core::AppendRecord> resultFor(const Envelope& event) {
    Envelope fact{"VersionSynced", 1, eventId({"VersionSynced", event.id}), event.key,
                  event.corr, event.id, event.ts, "{}"};
    return {toAppendRecord(streams::kFacts, fact)};
  }
  // Completes the i-th held event with its normal result; false if its handle was dropped.
  bool complete(size_t i) {
    if (!*held[i].alive) {
      return false;
    }
    held[i].done(resultFor(held[i].event));
    return true;
  }

  struct Held {
    std::shared_ptr<bool> alive;
    Done done;
    Envelope event;
  };
  bool hold = false;
  std::deque<core::Error> failures;
  std::vector<std::string> seen;
  std::vector<Held> held;

 private:
  FakeClock& clock_;
};

Envelope event(int n, std::string type = "VersionSyncRequested", int v = 1) {
  return Envelope{std::move(type), v, eventId({"test", std::to_string(n)}),
                  "Version/ns/v" + std::to_string(n), "corr", "", 1704067200000,
                  R"({"attempt":1})"};
}

struct ConsumerSpec : ::testing::Test {
  FakeClock clock;
  FakeEventLog log{clock};
  ZeroRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  TestHandler handler{clock};

  ConsumerConfig config(std::string name = "c1") {
    ConsumerConfig c;
    c.stream = kWork;
    c.group = kGroup;
    c.consumer = std::move(name);
    c.block = milliseconds(1000);
    c.claim_interval = milliseconds(500);
    c.min_idle = milliseconds(1000);
    c.log_backoff = {milliseconds(100), milliseconds(10000), 0.0};
    c.handler_backoff = {milliseconds(100), milliseconds(10000), 0.0};
    return c;
  }
  std::unique_ptr<Consumer> make(ConsumerConfig c) {
    return std::make_unique<Consumer>(Runtime{log, clock, random, logger}, handler, std::move(c));
  }
  std::string given(const Envelope& e) { return log.addNow(toAppendRecord(kWork, e)); }
  std::string givenRaw(core::StreamFields fields) {
    return log.addNow(core::AppendRecord{kWork, "", std::move(fields)});
  }
  std::string field(const core::StreamEntry& e, std::string_view name) {
    for (const auto& [k, v] : e.fields) {
      if (k == name) {
        return v;
      }
    }
    return "<absent>";
  }
};

TEST_F(ConsumerSpec, HandlesAnEventAppendsItsResultThenAcks) {
  given(event(1));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  ASSERT_EQ(log.entries(kFacts).size(), 1u);
  EXPECT_EQ(field(log.entries(kFacts)[0], "cause"), event(1).id);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(log.acked(kWork, kGroup), 1u);
  EXPECT_EQ(consumer->metrics().handled, 1u);
  EXPECT_TRUE(consumer->ready());
}

TEST_F(ConsumerSpec, DoesNotAckWhenAppendingTheResultFails) {
  given(event(1));
  log.failNext(1, core::Errc::Unavailable, Op::Append);
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_TRUE(log.entries(kFacts).empty());
  EXPECT_EQ(log.calls(Op::Ack), 0u);
  ASSERT_EQ(log.pending(kWork, kGroup).size(), 1u);
  // The append is retried after the backoff, then the entry is acked.
  clock.advance(milliseconds(100));
  EXPECT_EQ(log.entries(kFacts).size(), 1u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(handler.seen.size(), 1u);  // results kept, handler not run again
}

TEST_F(ConsumerSpec, ReplyLostAfterAppendIsAbsorbedByIdempotentAppend) {
  given(event(1));
  log.failNext(1, core::Errc::Timeout, Op::Append, FakeEventLog::FaultMode::AfterEffect);
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_EQ(log.entries(kFacts).size(), 1u);
  EXPECT_EQ(consumer->metrics().duplicates, 1u);
  EXPECT_EQ(consumer->metrics().handled, 1u);
}

TEST_F(ConsumerSpec, SameEventTwiceAppendsOneResult) {
  given(event(1));
  givenRaw(encodeEnvelope(event(1)));  // a copy of the same event (same id), new entry id
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_EQ(log.entries(kFacts).size(), 1u);
  EXPECT_EQ(consumer->metrics().handled, 2u);
  EXPECT_EQ(consumer->metrics().duplicates, 1u);
}

TEST_F(ConsumerSpec, RedeliversOwnPendingEntryAfterACrash) {
  given(event(1));
  handler.hold = true;
  auto crashed = make(config("c1"));
  crashed->start();
  clock.runReady();
  ASSERT_EQ(handler.held.size(), 1u);
  crashed.reset();  // dies without acking
  EXPECT_FALSE(handler.complete(0));
  ASSERT_EQ(log.pending(kWork, kGroup).size(), 1u);
  handler.hold = false;
  auto restarted = make(config("c1"));
  restarted->start();
  clock.runReady();
  EXPECT_EQ(handler.seen.size(), 2u);
  EXPECT_EQ(log.entries(kFacts).size(), 1u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

TEST_F(ConsumerSpec, ClaimsEntriesOfADeadConsumerAfterMinIdle) {
  given(event(1));
  handler.hold = true;
  auto dead = make(config("dead"));
  dead->start();
  clock.runReady();
  dead.reset();
  handler.hold = false;
  auto live = make(config("live"));
  live->start();
  clock.advance(milliseconds(500));  // first claim: idle 500 ms < min idle
  EXPECT_EQ(live->metrics().claimed, 0u);
  clock.advance(milliseconds(500));  // idle 1000 ms: claimed
  EXPECT_EQ(live->metrics().claimed, 1u);
  EXPECT_EQ(live->metrics().handled, 1u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

TEST_F(ConsumerSpec, ParksAnEntryDeliveredMoreThanMaxTimesWithoutHandlingIt) {
  const std::string id = given(event(1));
  auto h = log.ensureGroup(kWork, kGroup, [](auto) {});
  core::GroupRead read{kWork, kGroup, "c1", 10, milliseconds(0), false};
  h = log.readGroup(read, [](auto) {});
  read.pending = true;
  for (int i = 0; i < 4; ++i) {
    h = log.readGroup(read, [](auto) {});  // deliveries 2..5
  }
  clock.runReady();
  auto consumer = make(config("c1"));
  consumer->start();
  clock.runReady();  // the 6th delivery
  EXPECT_TRUE(handler.seen.empty());
  ASSERT_EQ(log.entries(kDead).size(), 1u);
  const auto dead = log.entries(kDead)[0];
  EXPECT_EQ(field(dead, "dead.id"), id);
  EXPECT_EQ(field(dead, "dead.stream"), kWork);
  EXPECT_EQ(field(dead, "dead.deliveries"), "6");
  EXPECT_NE(field(dead, "dead.reason").find("delivered 6 times"), std::string::npos);
  EXPECT_EQ(field(dead, "type"), "VersionSyncRequested");  // the original fields travel along
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(consumer->metrics().parked, 1u);
}

TEST_F(ConsumerSpec, PoisonEventIsRetriedWithBackoffThenParkedAfterFiveDeliveries) {
  given(event(1));
  for (int i = 0; i < 10; ++i) {
    handler.failures.push_back(core::makeError(core::Errc::Unavailable, "upstream down"));
  }
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_EQ(handler.seen.size(), 1u);  // no spinning: the retry waits for the clock
  clock.advance(milliseconds(99));
  EXPECT_EQ(handler.seen.size(), 1u);
  clock.advance(milliseconds(100 + 200 + 400 + 800));
  EXPECT_EQ(handler.seen.size(), 5u);
  ASSERT_EQ(log.entries(kDead).size(), 1u);
  EXPECT_NE(field(log.entries(kDead)[0], "dead.reason").find("upstream down"), std::string::npos);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(consumer->metrics().retries, 4u);
}

TEST_F(ConsumerSpec, NonRetryableHandlerErrorIsParkedAtOnce) {
  given(event(1));
  handler.failures.push_back(core::makeError(core::Errc::Invalid, "spec.version is not a version"));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  ASSERT_EQ(log.entries(kDead).size(), 1u);
  EXPECT_EQ(consumer->metrics().parked, 1u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

TEST_F(ConsumerSpec, SkipsUnknownEventTypesAndAcksThem) {
  given(event(1, "SomethingFromTheFuture"));
  given(event(2));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_EQ(handler.seen, std::vector<std::string>{event(2).id});
  EXPECT_EQ(consumer->metrics().skipped, 1u);
  EXPECT_TRUE(log.entries(kDead).empty());
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

TEST_F(ConsumerSpec, NewerSchemaVersionStopsTheConsumerAndMakesItNotReady) {
  const std::string id = given(event(1, "VersionSyncRequested", 2));
  given(event(2));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  clock.advance(milliseconds(5000));
  EXPECT_FALSE(consumer->ready());
  EXPECT_NE(consumer->notReadyReason().find("v2"), std::string::npos);
  EXPECT_TRUE(handler.seen.empty());
  EXPECT_EQ(log.acked(kWork, kGroup), 0u);
  ASSERT_FALSE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(log.pending(kWork, kGroup)[0].id, id);
  EXPECT_TRUE(log.entries(kDead).empty());
}

TEST_F(ConsumerSpec, CorruptEntriesAreParkedAndTheConsumerGoesOn) {
  auto good = encodeEnvelope(event(9));
  auto missing = good;
  missing.erase(missing.begin());  // no "type"
  auto bad_json = good;
  bad_json.back().second = "{not json";
  auto huge = good;
  huge.back().second = "{\"x\":\"" + std::string(kMaxDataBytes + 1, 'a') + "\"}";
  givenRaw(missing);
  givenRaw(bad_json);
  givenRaw(huge);
  given(event(1));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  ASSERT_EQ(log.entries(kDead).size(), 3u);
  EXPECT_NE(field(log.entries(kDead)[0], "dead.reason").find("missing field 'type'"),
            std::string::npos);
  EXPECT_NE(field(log.entries(kDead)[1], "dead.reason").find("data"), std::string::npos);
  EXPECT_NE(field(log.entries(kDead)[2], "dead.reason").find("exceeds"), std::string::npos);
  EXPECT_EQ(handler.seen, std::vector<std::string>{event(1).id});
  EXPECT_TRUE(consumer->ready());
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

TEST_F(ConsumerSpec, LogErrorsBackOffExponentiallyAndRecover) {
  given(event(1));
  log.failNext(2, core::Errc::Unavailable, Op::ReadGroup);
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_EQ(consumer->metrics().errors, 1u);
  clock.advance(milliseconds(100));
  EXPECT_EQ(consumer->metrics().errors, 2u);
  EXPECT_TRUE(handler.seen.empty());
  clock.advance(milliseconds(199));
  EXPECT_TRUE(handler.seen.empty());
  clock.advance(milliseconds(1));
  EXPECT_EQ(handler.seen.size(), 1u);
  EXPECT_TRUE(consumer->ready());
}

TEST_F(ConsumerSpec, EnsureGroupErrorsAreRetried) {
  log.failNext(1, core::Errc::Timeout, Op::EnsureGroup);
  given(event(1));
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  EXPECT_FALSE(consumer->ready());
  clock.advance(milliseconds(100));
  EXPECT_TRUE(consumer->ready());
  EXPECT_EQ(consumer->metrics().handled, 1u);
}

TEST_F(ConsumerSpec, NeverHoldsMoreThanMaxInFlight) {
  for (int i = 0; i < 5; ++i) {
    given(event(i));
  }
  handler.hold = true;
  auto c = config();
  c.max_in_flight = 2;
  auto consumer = make(c);
  consumer->start();
  clock.runReady();
  EXPECT_EQ(handler.held.size(), 2u);
  EXPECT_EQ(log.pending(kWork, kGroup).size(), 2u);  // nothing read beyond the free slots
  ASSERT_TRUE(handler.complete(0));
  clock.runReady();
  EXPECT_EQ(handler.held.size(), 3u);
  EXPECT_EQ(consumer->inFlight(), 2u);
}

TEST_F(ConsumerSpec, StopWaitsForInFlightWorkThenReports) {
  given(event(1));
  handler.hold = true;
  auto consumer = make(config());
  consumer->start();
  clock.runReady();
  bool stopped = false;
  consumer->stop([&] { stopped = true; });
  EXPECT_FALSE(stopped);
  ASSERT_TRUE(handler.complete(0));
  clock.runReady();
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  given(event(2));
  clock.advance(milliseconds(5000));
  EXPECT_EQ(handler.held.size(), 1u);  // nothing read after stop
}

TEST_F(ConsumerSpec, PendingEntryWhoseStreamEntryWasTrimmedIsAcked) {
  const std::string id = given(event(1));
  handler.hold = true;
  auto crashed = make(config("c1"));
  crashed->start();
  clock.runReady();
  crashed.reset();
  log.trim(kWork, id);
  handler.hold = false;
  auto restarted = make(config("c1"));
  restarted->start();
  clock.runReady();
  EXPECT_EQ(restarted->metrics().trimmed, 1u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
  EXPECT_EQ(handler.seen.size(), 1u);
}

TEST_F(ConsumerSpec, PagesThroughALongPendingList) {
  handler.hold = true;
  for (int i = 0; i < 7; ++i) {
    given(event(i));
  }
  auto crashed = make(config("c1"));
  crashed->start();
  clock.runReady();
  crashed.reset();
  handler.hold = false;
  auto c = config("c1");
  c.batch_size = 2;
  auto restarted = make(c);
  restarted->start();
  clock.runReady();
  EXPECT_EQ(restarted->metrics().handled, 7u);
  EXPECT_TRUE(log.pending(kWork, kGroup).empty());
}

}  // namespace
}  // namespace od::events
