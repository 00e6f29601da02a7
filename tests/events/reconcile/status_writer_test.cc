// StatusWriter specs: Given Versions and facts on the streams / When the writer runs / Then
// the /status patches sent (and only those).
#include "events/reconcile/status_writer.h"

#include "core/reconcile/standalone.h"
#include "events/streams.h"
#include "tests/events/reconcile/reconcile_fixture.h"

namespace od::events::testing {
namespace {

using Op = fakes::FakeResourceStore::Op;

json versionManifest(const std::string& name) {
  return {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
          {"kind", "Version"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"spec", {{"type", "Module"}, {"version", "1.0.0"}, {"fileName", "0190.zip"},
                    {"moduleConfigRef", {{"name", "vpc"}, {"fileFormat", "zip"}}}}}};
}

class StatusSpec : public ReconcileWorld {};

TEST_F(StatusSpec, ASyncedVersionIsPatchedOnceWithChecksumAndSize) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  ASSERT_TRUE(writer->ready());
  EXPECT_EQ(store.count(Op::PatchStatus), 0u);  // nothing to say before a result

  appendSynced("vpc-1-0-0", 1);
  settle();
  ASSERT_EQ(store.count(Op::PatchStatus), 1u);
  json status = version("vpc-1-0-0")["status"];
  EXPECT_TRUE(status["synced"].get<bool>());
  EXPECT_EQ(status["syncStatus"], "Successfully synced version");
  EXPECT_EQ(status["checksum"], "c2hhMjU2LW9mLXRoZS1hcnRpZmFjdA==");
  EXPECT_EQ(status["archiveSizeBytes"], 4096);
  EXPECT_EQ(status["observedGeneration"], 1);
  ASSERT_EQ(status["conditions"].size(), 2u);
  EXPECT_EQ(status["conditions"][0]["type"], "Ready");
  EXPECT_EQ(status["conditions"][0]["status"], "True");
  EXPECT_FALSE(status["conditions"][0].value("lastTransitionTime", "").empty());

  // The same fact again (another id), and a restart replaying everything: no second patch.
  appendSynced("vpc-1-0-0", 1, 1, "again");
  settle();
  writer.reset();
  auto restarted = startStatusWriter();
  EXPECT_EQ(store.count(Op::PatchStatus), 1u);
  EXPECT_GE(restarted->metrics().unchanged, 1u);
}

TEST_F(StatusSpec, NoSecondPatchWhileTheWatchHasNotShownTheFirst) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  store.watchInto(nullptr);  // the watch lags: the patched status is not observed yet
  appendSynced("vpc-1-0-0", 1);
  settle();
  appendSynced("vpc-1-0-0", 1, 1, "duplicate");
  settle();
  EXPECT_EQ(store.count(Op::PatchStatus), 1u);
  EXPECT_EQ(writer->metrics().patches, 1u);
}

TEST_F(StatusSpec, AFailedSyncShowsItsReasonAndKeepsTheLastChecksum) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  appendSynced("vpc-1-0-0", 1);
  settle();
  patchVersionSpec("vpc-1-0-0", {{"version", "1.0.1"}});  // generation 2
  appendFailed("vpc-1-0-0", 2, "Failed to retrieve module archive: 404 Not Found", false);
  settle();
  json status = version("vpc-1-0-0")["status"];
  EXPECT_FALSE(status["synced"].get<bool>());
  EXPECT_EQ(status["syncStatus"], "Failed to retrieve module archive: 404 Not Found");
  EXPECT_EQ(status["observedGeneration"], 2);
  EXPECT_EQ(status["checksum"], "c2hhMjU2LW9mLXRoZS1hcnRpZmFjdA==");
  EXPECT_EQ(status["conditions"][1]["reason"], "SyncFailed");
  EXPECT_EQ(store.count(Op::PatchStatus), 2u);
}

TEST_F(StatusSpec, ARetryableFailureSaysWhenTheRetryIsDue) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  appendFailed("vpc-1-0-0", 1, "upstream unavailable", true);
  settle();
  json status = version("vpc-1-0-0")["status"];
  EXPECT_FALSE(status["synced"].get<bool>());
  EXPECT_EQ(status["syncStatus"], "upstream unavailable; retry at 2024-01-01T00:01:00Z");
  EXPECT_EQ(status["conditions"][0]["reason"], "RetryScheduled");
}

TEST_F(StatusSpec, AVersionTheReferenceRefusesGetsATerminalStatus) {
  json bad = versionManifest("vpc-1.0.0");
  store.putNow(bad);
  auto writer = startStatusWriter();
  json status = version("vpc-1.0.0")["status"];
  EXPECT_FALSE(status["synced"].get<bool>());
  EXPECT_EQ(status["syncStatus"], core::dotNameMessage("vpc-1.0.0"));
  EXPECT_EQ(status["conditions"][0]["reason"], "InvalidName");
  EXPECT_EQ(store.count(Op::PatchStatus), 1u);
}

TEST_F(StatusSpec, AResultForAGenerationNotObservedYetWaits) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  appendSynced("vpc-1-0-0", 5);
  settle();
  EXPECT_EQ(store.count(Op::PatchStatus), 0u);
}

TEST_F(StatusSpec, ARetryableStoreErrorIsRetried) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  store.failNext(1, core::Errc::Timeout, Op::PatchStatus);
  appendSynced("vpc-1-0-0", 1);
  settle();
  EXPECT_EQ(writer->metrics().write_errors, 1u);
  EXPECT_TRUE(version("vpc-1-0-0").value("status", json::object()).empty());
  clock.advance(std::chrono::milliseconds(100));
  settle();
  EXPECT_TRUE(version("vpc-1-0-0")["status"].value("synced", false));
  EXPECT_EQ(writer->retries(), 1u);
}

TEST_F(StatusSpec, AWriterStoppedWithWorkQueuedWritesItWhenStartedAgain) {
  store.putNow(versionManifest("vpc-1-0-0"));
  auto writer = startStatusWriter();
  store.failNext(1, core::Errc::Timeout, Op::PatchStatus);
  appendSynced("vpc-1-0-0", 1);
  settle();
  EXPECT_EQ(writer->metrics().write_errors, 1u);
  writer->stop();  // the lease is lost while the patch waits for its retry
  clock.advance(std::chrono::seconds(10));
  settle();
  EXPECT_TRUE(version("vpc-1-0-0").value("status", json::object()).empty());
  writer->start();  // ... and won back: nothing new happens on the streams
  settle();
  clock.advance(std::chrono::milliseconds(200));
  settle();
  EXPECT_TRUE(version("vpc-1-0-0")["status"].value("synced", false));
}

TEST_F(StatusSpec, TheControllerAndTheWriterTogetherBringAModuleToSynced) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0"}));
  auto controller = startController();
  auto writer = startStatusWriter();
  answerAllRequests();
  settle();
  for (const auto& v : versions()) {
    EXPECT_TRUE(v["status"]["synced"].get<bool>()) << v.dump();
  }
  json module = store.object("Module", "ns", "vpc");
  EXPECT_TRUE(module["status"]["synced"].get<bool>()) << module["status"].dump();
  EXPECT_EQ(module["status"]["syncStatus"], "Successfully synced module");
  EXPECT_EQ(syncRequests().size(), 2u);
}

}  // namespace
}  // namespace od::events::testing
