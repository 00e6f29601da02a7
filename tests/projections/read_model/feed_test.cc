// ReadModelFeed specs: Given entries on the resources and facts streams of a FakeEventLog /
// When the feed runs (time driven by FakeClock) / Then snapshots are published into the
// holder, readiness follows catch-up, and no checkpoint is ever stored.
#include "projections/read_model/feed.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"
#include "tests/projections/read_model/read_model_events.h"

namespace od::proj {
namespace {

using fakes::FakeClock;
using fakes::FakeEventLog;
using std::chrono::milliseconds;
using testing::VersionFixture;
using testing::checksumOf;

const std::string kResources = "od:{ctl}:resources";
const std::string kFacts = "od:{ctl}:facts";

// A Signer whose jobs complete when the test says so (the real one runs on the pool).
class ManualSigner final : public core::Signer {
 public:
  struct Job {
    std::string document;
    std::function<void(core::Result<std::string>)> done;
  };
  std::vector<Job> jobs;
  core::CancelablePtr signDetached(std::string document,
                                   std::function<void(core::Result<std::string>)> done) override {
    jobs.push_back(Job{std::move(document), std::move(done)});
    return nullptr;
  }
  std::vector<core::PublicKey> publicKeys() const override { return {}; }
  // Completes job `i` (moved out first: its completion may start another job).
  void finish(size_t i, core::Result<std::string> result) {
    auto done = std::move(jobs[i].done);
    done(std::move(result));
  }
};

class ZeroRandom final : public core::Random {
 public:
  uint64_t next() override { return 0; }
};

struct FeedSpec : ::testing::Test {
  FakeClock clock;
  FakeEventLog log{clock};
  ZeroRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  SnapshotHolder holder;

  std::string add(const std::string& stream, const events::Envelope& e) {
    return log.addNow(events::toAppendRecord(stream, e));
  }
  std::unique_ptr<ReadModelFeed> make(ReadModelFeedOptions options = {}) {
    options.publish_interval = milliseconds(100);
    options.batch = 2;  // several reads per stream
    options.block = milliseconds(1000);
    return std::make_unique<ReadModelFeed>(events::Runtime{log, clock, random, logger}, holder,
                                           std::move(options));
  }
  const ModuleView* vpc() { return holder.load()->findModule("team", "vpc", "aws"); }
};

TEST_F(FeedSpec, PublishesOnceBothStreamsCaughtUpThenFollowsLive) {
  VersionFixture v;
  add(kResources, testing::moduleObserved("team", "vpc", "aws"));
  add(kResources, v.observed());
  add(kFacts, v.synced(checksumOf('a')));
  auto feed = make();
  EXPECT_EQ(holder.load()->sequence(), 0u);  // the empty default
  feed->start();
  EXPECT_FALSE(feed->caughtUp());
  EXPECT_EQ(feed->readiness(), "read model catching up");
  clock.runReady();
  EXPECT_EQ(holder.load()->sequence(), 0u);  // nothing until the publish tick
  clock.advance(milliseconds(100));
  EXPECT_TRUE(feed->caughtUp());
  EXPECT_EQ(feed->readiness(), "");
  ASSERT_NE(vpc(), nullptr);
  ASSERT_EQ(vpc()->versions.size(), 1u);
  SnapshotPtr first = holder.load();

  // nothing new: no new snapshot
  clock.advance(milliseconds(300));
  EXPECT_EQ(holder.load(), first);

  // live: a second version arrives and is published on the next tick
  VersionFixture w;
  w.name = "vpc-2-0-0";
  w.uid = "uid-2";
  w.version = "2.0.0";
  w.file_name = "f2.zip";
  add(kResources, w.observed());
  add(kFacts, w.synced(checksumOf('b')));
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_NE(holder.load(), first);
  EXPECT_EQ(vpc()->versions.size(), 2u);
  EXPECT_EQ(first->findModule("team", "vpc", "aws")->versions.size(), 1u);  // old one intact
  EXPECT_EQ(feed->published(), 2u);

  bool stopped = false;
  feed->stop([&] { stopped = true; });
  clock.runReady();
  EXPECT_TRUE(stopped);
  EXPECT_FALSE(log.checkpoint("read-model").has_value());  // never stored
}

TEST_F(FeedSpec, EmptyStreamsPublishAnEmptySnapshotAndBecomeReady) {
  auto feed = make();
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_TRUE(feed->caughtUp());
  EXPECT_EQ(holder.load()->sequence(), 1u);
  EXPECT_EQ(holder.load()->moduleCount(), 0u);
}

TEST_F(FeedSpec, StartsAfterTheGivenPositions) {
  VersionFixture v;
  add(kResources, testing::moduleObserved("team", "vpc", "aws"));
  add(kResources, v.observed());
  const std::string first_fact = add(kFacts, v.synced(checksumOf('a')));
  ReadModelFeedOptions options;
  options.facts_from = first_fact;  // the first fact is taken as already folded
  auto feed = make(options);
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  ASSERT_NE(vpc(), nullptr);
  EXPECT_TRUE(vpc()->versions.empty());
}

TEST_F(FeedSpec, UndecodableEntriesAreSkippedAndCounted) {
  VersionFixture v;
  log.addNow(core::AppendRecord{kResources, "", {{"type", "ResourceObserved"}}});
  events::Envelope corrupt = v.synced(checksumOf('a'));
  corrupt.id = "corrupt-fact";
  corrupt.data = R"({"generation":[]})";
  add(kFacts, corrupt);
  add(kResources, v.observed());
  add(kFacts, v.synced(checksumOf('a')));
  auto feed = make();
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_EQ(feed->skipped(), 2u);
  EXPECT_EQ(feed->folded(), 4u);
  EXPECT_TRUE(feed->caughtUp());
  ASSERT_NE(vpc(), nullptr);
  EXPECT_EQ(vpc()->versions.size(), 1u);
}

TEST_F(FeedSpec, NewerSchemaOfAKnownTypeHaltsAndReportsNotReady) {
  VersionFixture v;
  events::Envelope newer = v.synced(checksumOf('a'));
  newer.v = 2;
  add(kFacts, newer);
  add(kResources, v.observed());
  auto feed = make();
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_NE(feed->readiness().find("halted"), std::string::npos) << feed->readiness();
  EXPECT_NE(feed->readiness().find("VersionSynced v2"), std::string::npos) << feed->readiness();
}

TEST_F(FeedSpec, UnknownEventTypesAreIgnored) {
  events::Envelope other{"SomethingNew", 3, "id-x", "Version/team/vpc", "", "", 1, "{}"};
  add(kFacts, other);
  auto feed = make();
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_EQ(feed->readiness(), "");
  EXPECT_EQ(feed->skipped(), 0u);
}

TEST_F(FeedSpec, SignsEachUnsignedShasumsOffTheModelAndPublishesTheSignature) {
  testing::ProviderVersionFixture linux;
  add(kResources, linux.observed());
  add(kFacts, linux.synced(checksumOf('a')));
  ManualSigner signer;
  ReadModelFeedOptions options;
  options.signer = &signer;
  options.signing_retry = milliseconds(500);
  auto feed = make(options);
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  const ProviderView* p = holder.load()->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->releases[0].signature, "");  // published at once, unsigned
  EXPECT_FALSE(feed->caughtUp());  // not ready before its first signatures
  EXPECT_EQ(feed->readiness(), "read model signing provider SHA256SUMS");
  ASSERT_EQ(signer.jobs.size(), 1u);
  EXPECT_EQ(signer.jobs[0].document, p->releases[0].shasums);

  clock.advance(milliseconds(100));
  EXPECT_EQ(signer.jobs.size(), 1u);  // one job per document in flight

  signer.finish(0, core::makeError(core::Errc::Unavailable, "pool full"));
  clock.advance(milliseconds(100));
  EXPECT_EQ(signer.jobs.size(), 1u);  // a failure waits signing_retry
  EXPECT_EQ(feed->signatureFailures(), 1u);
  clock.advance(milliseconds(500));
  ASSERT_EQ(signer.jobs.size(), 2u);

  signer.finish(1, std::string("binary-sig"));
  clock.advance(milliseconds(100));
  EXPECT_EQ(holder.load()->findProvider("team", "aws")->releases[0].signature, "binary-sig");
  EXPECT_EQ(feed->signaturesMade(), 1u);
  EXPECT_TRUE(feed->caughtUp());
  EXPECT_EQ(feed->readiness(), "");
  clock.advance(milliseconds(300));
  EXPECT_EQ(signer.jobs.size(), 2u);  // nothing left to sign
}

TEST_F(FeedSpec, ReadinessWaitsForFirstSignaturesOnlySoLong) {
  testing::ProviderVersionFixture linux;
  add(kResources, linux.observed());
  add(kFacts, linux.synced(checksumOf('a')));
  ManualSigner signer;  // never completes
  ReadModelFeedOptions options;
  options.signer = &signer;
  options.signing_ready_wait = milliseconds(300);
  auto feed = make(options);
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  EXPECT_NE(holder.load()->findProvider("team", "aws"), nullptr);  // published all the same
  EXPECT_FALSE(feed->caughtUp());
  clock.advance(milliseconds(200));
  EXPECT_FALSE(feed->caughtUp());
  clock.advance(milliseconds(100));
  EXPECT_TRUE(feed->caughtUp());  // ready unsigned rather than never
}

TEST_F(FeedSpec, AtMostFourSignaturesRunAndAFinishedOneStartsTheNextAtOnce) {
  for (int i = 0; i < 6; ++i) {
    testing::ProviderVersionFixture v;
    v.version = "1." + std::to_string(i) + ".0";
    add(kResources, v.observed());
    add(kFacts, v.synced(checksumOf('a')));
  }
  ManualSigner signer;
  ReadModelFeedOptions options;
  options.signer = &signer;
  auto feed = make(options);
  feed->start();
  clock.runReady();
  clock.advance(milliseconds(100));
  ASSERT_EQ(signer.jobs.size(), 4u);
  signer.finish(0, std::string("sig-0"));
  EXPECT_EQ(signer.jobs.size(), 5u);  // no tick in between
  for (size_t i = 1; i < signer.jobs.size(); ++i) {
    signer.finish(i, std::string("sig-") + std::to_string(i));
  }
  clock.advance(milliseconds(100));
  EXPECT_EQ(signer.jobs.size(), 6u);
  EXPECT_EQ(feed->signaturesMade(), 6u);
  const ProviderView* p = holder.load()->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->releases.size(), 6u);
  for (const ProviderRelease& r : p->releases) {
    EXPECT_FALSE(r.signature.empty()) << r.version;
  }
}

}  // namespace
}  // namespace od::proj
