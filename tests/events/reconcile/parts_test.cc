// The parts the two roles are built from: SyncLedger, WorkQueue, StepChain, the observed
// helpers.
#include <gtest/gtest.h>

#include "events/reconcile/observed.h"
#include "events/reconcile/step_chain.h"
#include "events/reconcile/sync_ledger.h"
#include "events/reconcile/tail_set.h"
#include "events/reconcile/work_queue.h"
#include "events/streams.h"
#include "tests/events/reconcile/reconcile_fixture.h"

namespace od::events::testing {
namespace {

const std::string kKey = "Version/ns/vpc-1-0-0";

Envelope requestEvent(int64_t generation, int64_t attempt, std::string spec = "{}",
                      std::string uid = "u1") {
  VersionSyncRequested d{generation, std::move(spec), attempt, SyncReason::New};
  return makeEnvelope(d, EnvelopeMeta{"r" + std::to_string(generation) + std::to_string(attempt),
                                      kKey, std::move(uid), "", 0});
}

Envelope syncedEvent(int64_t generation, int64_t attempt) {
  VersionSynced d{generation, "f.zip", "sum", 10, attempt, std::nullopt};
  return makeEnvelope(d, EnvelopeMeta{"s" + std::to_string(generation) + std::to_string(attempt),
                                      kKey, "", "", 0});
}

Envelope failedEvent(int64_t generation, int64_t attempt, bool retryable) {
  VersionSyncFailed d{generation, "boom", retryable, attempt, std::nullopt};
  return makeEnvelope(d, EnvelopeMeta{"f" + std::to_string(generation) + std::to_string(attempt),
                                      kKey, "", "", 0});
}

core::Version versionAt(int64_t generation, std::string uid = "u1") {
  core::Version v;
  v.metadata.name = "vpc-1-0-0";
  v.metadata.uid = std::move(uid);
  v.metadata.generation = generation;
  v.spec.type = "Module";
  v.spec.version = "1.0.0";
  v.spec.file_name = "f.zip";
  return v;
}

TEST(SyncLedger, AResultFoldedBeforeItsRequestStillAnswersIt) {
  SyncLedger ledger;
  ASSERT_TRUE(ledger.apply(syncedEvent(1, 1)).ok());
  ASSERT_TRUE(ledger.apply(requestEvent(1, 1)).ok());
  auto h = ledger.history(kKey, versionAt(1));
  EXPECT_FALSE(h.pending_generation.has_value());
  EXPECT_EQ(h.result_generation, 1);
  EXPECT_EQ(h.last_outcome, core::SyncOutcome::Synced);
  EXPECT_EQ(ledger.nextAttempt(kKey, 1), 2);
  EXPECT_EQ(ledger.nextAttempt(kKey, 2), 1);
}

TEST(SyncLedger, ARetryRequestIsPendingUntilItsOwnAttemptIsAnswered) {
  SyncLedger ledger;
  ASSERT_TRUE(ledger.apply(requestEvent(1, 1)).ok());
  ASSERT_TRUE(ledger.apply(failedEvent(1, 1, true)).ok());
  EXPECT_EQ(ledger.history(kKey, versionAt(1)).last_outcome,
            core::SyncOutcome::FailedRetryable);
  ASSERT_TRUE(ledger.apply(requestEvent(1, 2)).ok());
  EXPECT_EQ(ledger.history(kKey, versionAt(1)).pending_generation, 1);
  ASSERT_TRUE(ledger.apply(failedEvent(1, 2, false)).ok());
  auto h = ledger.history(kKey, versionAt(1));
  EXPECT_FALSE(h.pending_generation.has_value());
  EXPECT_EQ(h.last_outcome, core::SyncOutcome::FailedTerminal);
}

TEST(SyncLedger, AnOlderResultArrivingLateDoesNotReplaceANewerOne) {
  SyncLedger ledger;
  ASSERT_TRUE(ledger.apply(syncedEvent(2, 1)).ok());
  ASSERT_TRUE(ledger.apply(failedEvent(1, 1, false)).ok());
  EXPECT_EQ(ledger.history(kKey, versionAt(2)).last_outcome, core::SyncOutcome::Synced);
  EXPECT_EQ(ledger.find(kKey)->synced->generation, 2);
}

TEST(SyncLedger, TheForceSyncResetCountsAsSyncedButARealChangeDoesNot) {
  SyncLedger ledger;
  const std::string forced =
      R"({"type":"Module","version":"1.0.0","fileName":"f.zip","forceSync":true})";
  ASSERT_TRUE(ledger.apply(requestEvent(2, 1, forced)).ok());
  ASSERT_TRUE(ledger.apply(syncedEvent(2, 1)).ok());
  EXPECT_EQ(ledger.history(kKey, versionAt(3)).reset_generation, 3);
  core::Version changed = versionAt(3);
  changed.spec.version = "1.0.1";
  EXPECT_FALSE(ledger.history(kKey, changed).reset_generation.has_value());
}

TEST(SyncLedger, TheHistoryOfAnEarlierObjectWithTheSameNameIsIgnored) {
  SyncLedger ledger;
  ASSERT_TRUE(ledger.apply(requestEvent(1, 1, "{}", "old-uid")).ok());
  ASSERT_TRUE(ledger.apply(syncedEvent(1, 1)).ok());
  auto h = ledger.history(kKey, versionAt(1, "new-uid"));
  EXPECT_FALSE(h.result_generation.has_value());
  EXPECT_FALSE(h.pending_generation.has_value());
}

TEST(SyncLedger, CorruptDataIsAnErrorAndOtherTypesAreIgnored) {
  SyncLedger ledger;
  Envelope bad{"VersionSynced", 1, "x", kKey, "", "", 0, R"({"generation":"one"})"};
  auto r = ledger.apply(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
  Envelope other{"ArtifactScanned", 1, "y", kKey, "", "", 0, "{}"};
  EXPECT_EQ(ledger.apply(other).value(), SyncLedger::Change::None);
  EXPECT_EQ(ledger.size(), 0u);
}

TEST(Observed, WithResourceVersionAddsOrReplacesThePrecondition) {
  EXPECT_EQ(withResourceVersion(R"({"spec":{"forceSync":false}})", "7").value(),
            R"({"spec":{"forceSync":false},"metadata":{"resourceVersion":"7"}})");
  EXPECT_EQ(withResourceVersion(R"({"metadata":{"labels":{"a":"b"},"resourceVersion":"1"}})", "9")
                .value(),
            R"({"metadata":{"labels":{"a":"b"},"resourceVersion":"9"}})");
  EXPECT_FALSE(withResourceVersion("[1]", "1").ok());
  EXPECT_FALSE(withResourceVersion("{", "1").ok());
}

class QueueSpec : public ReconcileWorld {
 protected:
  struct Running {
    std::string key;
    WorkQueue::Done done;
  };
  std::vector<Running> running;
  std::vector<std::string> started;
  WorkQueue queue{runtime(),
                  WorkQueueConfig{std::chrono::milliseconds(50), 2,
                                  {std::chrono::milliseconds(100), std::chrono::milliseconds(800),
                                   0.0}},
                  [this](const std::string& key, WorkQueue::Done done) {
                    started.push_back(key);
                    running.push_back(Running{key, std::move(done)});
                    return core::completedHandle();
                  }};
  void finishFirst(WorkQueue::Outcome outcome) {
    auto r = std::move(running.front());
    running.erase(running.begin());
    r.done(outcome);
  }
};

TEST_F(QueueSpec, ABurstCoalescesIntoOneRunAfterTheDebounce) {
  queue.add("a");
  queue.add("a");
  clock.advance(std::chrono::milliseconds(20));
  queue.add("a");
  EXPECT_TRUE(started.empty());
  clock.advance(std::chrono::milliseconds(30));
  EXPECT_EQ(started, std::vector<std::string>{"a"});
}

TEST_F(QueueSpec, AtMostMaxActiveRunAndAKeyNeverRunsTwiceAtOnce) {
  for (const char* k : {"a", "b", "c"}) {
    queue.add(k);
  }
  clock.advance(std::chrono::milliseconds(50));
  EXPECT_EQ(started, (std::vector<std::string>{"a", "b"}));
  queue.add("a");  // changed while running: runs again afterwards, not now
  clock.advance(std::chrono::milliseconds(50));
  EXPECT_EQ(started.size(), 2u);
  finishFirst(WorkQueue::Outcome::Done);  // a
  clock.advance(std::chrono::milliseconds(0));
  EXPECT_EQ(started, (std::vector<std::string>{"a", "b", "c"}));
  finishFirst(WorkQueue::Outcome::Done);  // b
  clock.advance(std::chrono::milliseconds(50));
  EXPECT_EQ(started, (std::vector<std::string>{"a", "b", "c", "a"}));
}

TEST_F(QueueSpec, ARetryComesBackWithGrowingBackoff) {
  queue.add("a");
  clock.advance(std::chrono::milliseconds(50));
  finishFirst(WorkQueue::Outcome::Retry);
  clock.advance(std::chrono::milliseconds(99));
  EXPECT_EQ(started.size(), 1u);
  clock.advance(std::chrono::milliseconds(1));
  ASSERT_EQ(started.size(), 2u);
  finishFirst(WorkQueue::Outcome::Retry);
  clock.advance(std::chrono::milliseconds(199));
  EXPECT_EQ(started.size(), 2u);
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(started.size(), 3u);
  EXPECT_EQ(queue.retries(), 2u);
}

class TailSetSpec : public ReconcileWorld {
 protected:
  std::vector<TailSet::Sync> syncs;
  size_t folded = 0;
  TailSet tails{runtime(),
                TailSetConfig{256, std::chrono::milliseconds(5000), std::chrono::minutes(1)},
                {{std::string(streams::kResources), [](const Envelope&) {}},
                 {std::string(streams::kFacts), [this](const Envelope&) { ++folded; }}},
                [this](TailSet::Sync why) { syncs.push_back(why); }};
};

TEST_F(TailSetSpec, QueuesAllOnceCaughtUpThenAtEveryResyncAndAtARestart) {
  log.addNow(toAppendRecord(streams::kFacts, syncedEvent(1, 1)));
  EXPECT_FALSE(tails.ready());
  EXPECT_EQ(tails.notReadyReason(), "catching up on the streams");
  tails.start();
  settle();
  EXPECT_TRUE(tails.caughtUp());
  EXPECT_TRUE(tails.ready());
  EXPECT_TRUE(tails.initialDone());
  EXPECT_EQ(tails.notReadyReason(), "");
  EXPECT_EQ(folded, 1u);
  EXPECT_EQ(syncs, std::vector<TailSet::Sync>{TailSet::Sync::CaughtUp});
  clock.advance(std::chrono::minutes(1));
  EXPECT_EQ(syncs, (std::vector<TailSet::Sync>{TailSet::Sync::CaughtUp, TailSet::Sync::Resync}));
  tails.stop();
  clock.advance(std::chrono::minutes(2));
  EXPECT_EQ(syncs.size(), 2u);  // stopped: no resync
  tails.start();
  EXPECT_EQ(syncs.back(), TailSet::Sync::Restart);
  clock.advance(std::chrono::minutes(1));
  EXPECT_EQ(syncs.back(), TailSet::Sync::Resync);
  EXPECT_EQ(folded, 1u);  // the tails resumed where they were
  tails.stop();
}

TEST(StepChain, StopsAtARetryableErrorButRunsPastATerminalOne) {
  std::vector<std::string> ran;
  std::vector<std::string> errors;
  auto step = [&](std::string name, core::Status result) {
    return ChainStep{name, [&ran, name, result](std::function<void(core::Status)> done) {
                       ran.push_back(name);
                       done(result);  // synchronous completion
                       return core::completedHandle();
                     }};
  };
  std::optional<bool> retry;
  auto chain = startChain(
      {step("a", core::Status()), step("b", core::makeError(core::Errc::Invalid, "bad")),
       step("c", core::makeError(core::Errc::Unavailable, "down")), step("d", core::Status())},
      ChainCallbacks{[&](const ChainStep& s, const core::Error&) { errors.push_back(s.what); },
                     [&](bool r) { retry = r; }});
  EXPECT_EQ(ran, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(errors, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(retry, true);
}

TEST(StepChain, ACancelledChainNeverCallsBack) {
  fakes::FakeClock clock;
  bool called = false;
  auto chain = startChain({ChainStep{"a", [&](std::function<void(core::Status)> done) {
                             return clock.after(std::chrono::milliseconds(10),
                                                [done] { done(core::Status()); });
                           }}},
                          ChainCallbacks{nullptr, [&](bool) { called = true; }});
  chain.reset();
  clock.advance(std::chrono::milliseconds(10));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace od::events::testing
