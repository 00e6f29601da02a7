// ModuleController specs: Given manifests in the (fake) cluster and facts on the streams /
// When the controller runs (time driven by FakeClock) / Then the Versions, the appended
// work and facts, and the artifacts deleted.
#include "events/reconcile/controller.h"

#include <algorithm>
#include <set>

#include "events/streams.h"
#include "tests/events/reconcile/reconcile_fixture.h"

namespace od::events::testing {
namespace {

using Op = fakes::FakeResourceStore::Op;

std::set<std::string> specVersions(const std::vector<json>& objects) {
  std::set<std::string> out;
  for (const auto& o : objects) {
    out.insert(o["spec"]["version"].get<std::string>());
  }
  return out;
}

class ControllerSpec : public ReconcileWorld {};

TEST_F(ControllerSpec, CreatesOneVersionPerEntryWithFileNamesAndRequestsEachSyncOnce) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0", "v2.0.0"}));
  auto controller = startController();
  ASSERT_TRUE(controller->ready());

  auto created = versions();
  ASSERT_EQ(created.size(), 3u);
  std::set<std::string> files;
  for (const auto& v : created) {
    const std::string file = v["spec"].value("fileName", "");
    EXPECT_TRUE(file.size() > 4 && file.substr(file.size() - 4) == ".zip") << file;
    files.insert(file);
    EXPECT_EQ(v["metadata"]["labels"]["opendepot.defdev.io/module"], "vpc");
    EXPECT_EQ(v["metadata"]["ownerReferences"][0]["kind"], "Module");
  }
  EXPECT_EQ(files.size(), 3u);
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.reason, SyncReason::New);
    EXPECT_EQ(r.generation, 1);
    EXPECT_NE(r.spec.find("fileName"), std::string::npos);
  }
  auto applied = events(streams::kFacts, type::kChildrenApplied);
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].key, "Module/ns/vpc");
  auto data = decodeAs<ChildrenApplied>(applied[0]);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->created.size(), 3u);
  EXPECT_EQ(data->latest_version, "v2.0.0");
  json module = store.object("Module", "ns", "vpc");
  EXPECT_EQ(module["status"]["latestVersion"], "v2.0.0");
  EXPECT_EQ(module["status"]["moduleVersionRefs"].size(), 3u);
  EXPECT_FALSE(module["status"]["synced"].get<bool>());

  // The watch re-emits everything (a relist), then the controller restarts and replays the
  // whole log: nothing new is written or requested.
  const size_t writes = store.count(Op::Create) + store.count(Op::Patch);
  store.relist();
  settle();
  EXPECT_EQ(syncRequests().size(), 3u);
  EXPECT_EQ(controller->metrics().creates, 3u);
  controller.reset();
  auto replayed = startController();
  EXPECT_EQ(syncRequests().size(), 3u);
  EXPECT_EQ(events(streams::kFacts, type::kChildrenApplied).size(), 1u);
  EXPECT_EQ(store.count(Op::Create) + store.count(Op::Patch), writes);
}

TEST_F(ControllerSpec, ARestartedControllerRequestsNothingAlreadyRequestedOrSynced) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0", "1.2.0"}));
  auto first = startController();
  answerAllRequests();
  settle();
  first.reset();

  auto second = startController();
  EXPECT_TRUE(second->ready());
  EXPECT_EQ(syncRequests().size(), 3u);
  EXPECT_EQ(versions().size(), 3u);
  EXPECT_EQ(second->metrics().sync_requests, 0u);

  // Not yet answered requests are not repeated either.
  store.putNow(moduleManifest("dns", {"0.1.0"}));
  settle();
  ASSERT_EQ(syncRequests().size(), 4u);
  second.reset();
  auto third = startController();
  EXPECT_EQ(syncRequests().size(), 4u);
}

TEST_F(ControllerSpec, AnAddedVersionIsCreatedAndRequestedAlone) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0"}));
  auto controller = startController();
  ASSERT_EQ(syncRequests().size(), 2u);
  patchModuleSpec("vpc", {{"versions", json::array({{{"version", "1.0.0"}},
                                                    {{"version", "1.1.0"}},
                                                    {{"version", "1.2.0"}}})}});
  settle();
  EXPECT_EQ(specVersions(versions()), (std::set<std::string>{"1.0.0", "1.1.0", "1.2.0"}));
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[2].spec.find("1.2.0"), std::string::npos);
  EXPECT_EQ(events(streams::kFacts, type::kChildrenApplied).size(), 2u);
}

TEST_F(ControllerSpec, ARemovedVersionIsDeletedWithItsArtifact) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0"}));
  auto controller = startController();
  json old;
  for (const auto& v : versions()) {
    if (v["spec"]["version"] == "1.0.0") {
      old = v;
    }
  }
  ASSERT_FALSE(old.is_null());
  const std::string key = "modules/vpc/" + old["spec"]["fileName"].get<std::string>();
  patchModuleSpec("vpc", {{"versions", json::array({{{"version", "1.1.0"}}})}});
  settle();

  EXPECT_EQ(specVersions(versions()), (std::set<std::string>{"1.1.0"}));
  ASSERT_FALSE(objects.removed.empty());
  EXPECT_TRUE(std::all_of(objects.removed.begin(), objects.removed.end(),
                          [&](const std::string& k) { return k == key; }));
  EXPECT_GE(controller->metrics().artifacts_deleted, 1u);
  auto applied = events(streams::kFacts, type::kChildrenApplied);
  ASSERT_EQ(applied.size(), 2u);
  auto data = decodeAs<ChildrenApplied>(applied[1]);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->deleted, std::vector<std::string>{old["metadata"]["name"].get<std::string>()});
  EXPECT_EQ(syncRequests().size(), 2u);
}

TEST_F(ControllerSpec, AVersionDeletedByHandLosesItsArtifactAndFinalizer) {
  store.putNow(moduleManifest("vpc", {"1.0.0"}));
  auto controller = startController();
  const json v = versions().at(0);
  const std::string name = v["metadata"]["name"];
  bool removed = false;
  auto h = store.remove({"Version", "ns", name}, {}, [&](core::Status st) { removed = st.ok(); });
  settle();
  ASSERT_TRUE(removed);
  // Recreated by the Module (it still lists 1.0.0) once the old one is gone, with a new uid.
  ASSERT_EQ(versions().size(), 1u);
  EXPECT_NE(versions()[0]["metadata"]["uid"], v["metadata"]["uid"]);
  EXPECT_EQ(objects.removed,
            std::vector<std::string>{"modules/vpc/" + v["spec"]["fileName"].get<std::string>()});
  EXPECT_EQ(syncRequests().size(), 2u);  // the new object is a new Version
}

TEST_F(ControllerSpec, AStaleViewWritesNoStatusUntilTheWatchCatchesUp) {
  const std::string module_uid = store.putNow(moduleManifest("vpc", {"1.0.0"}));
  store.watchInto(nullptr);  // a Version made by an earlier run, not observed yet
  store.putNow(json{
      {"apiVersion", "opendepot.defdev.io/v1alpha1"},
      {"kind", "Version"},
      {"metadata",
       {{"name", "vpc-1-0-0"},
        {"namespace", "ns"},
        {"labels", {{"opendepot.defdev.io/module", "vpc"}}},
        {"ownerReferences", json::array({{{"apiVersion", "opendepot.defdev.io/v1alpha1"},
                                          {"kind", "Module"},
                                          {"name", "vpc"},
                                          {"uid", module_uid},
                                          {"controller", true}}})}}},
      {"spec", {{"type", "Module"}, {"version", "1.0.0"}, {"fileName", "a.zip"}}}});
  store.watchInto(&log);
  auto controller = startController();
  EXPECT_EQ(store.count(Op::Create), 1u);  // 409: it exists
  EXPECT_EQ(store.count(Op::PatchStatus), 0u);
  EXPECT_TRUE(events(streams::kFacts, type::kChildrenApplied).empty());
  store.relist();
  settle();
  EXPECT_EQ(store.count(Op::Create), 1u);
  EXPECT_EQ(store.count(Op::PatchStatus), 1u);
  EXPECT_EQ(store.object("Module", "ns", "vpc")["status"]["moduleVersionRefs"]["1.0.0"]["fileName"],
            "a.zip");
}

TEST_F(ControllerSpec, AVersionOfTheSameNameThatIsNotItsOwnIsLeftAloneAndReported) {
  store.putNow(json{{"apiVersion", "opendepot.defdev.io/v1alpha1"},
                    {"kind", "Version"},
                    {"metadata", {{"name", "vpc-1-0-0"}, {"namespace", "ns"}}},
                    {"spec", {{"type", "Module"}, {"version", "1.0.0"}, {"fileName", "a.zip"}}}});
  store.putNow(moduleManifest("vpc", {"1.0.0"}));
  auto controller = startController();
  EXPECT_EQ(store.count(Op::Create), 0u);
  EXPECT_EQ(store.count(Op::Remove), 0u);
  const std::string ready =
      store.object("Module", "ns", "vpc")["status"]["conditions"][0].value("message", "");
  EXPECT_NE(ready.find("not controlled by Module"), std::string::npos) << ready;
}

TEST_F(ControllerSpec, VersionHistoryLimitKeepsTheHighestAndPrunesTheRest) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0", "2.0.0"}, {{"versionHistoryLimit", 2}}));
  auto controller = startController();
  EXPECT_EQ(specVersions(versions()), (std::set<std::string>{"1.1.0", "2.0.0"}));
  EXPECT_EQ(syncRequests().size(), 2u);
  const std::string ready =
      store.object("Module", "ns", "vpc")["status"]["conditions"][0].value("message", "");
  EXPECT_NE(ready.find("pruned by versionHistoryLimit=2: 1.0.0"), std::string::npos) << ready;

  // Lowering the limit prunes an existing Version and its artifact.
  patchModuleSpec("vpc", {{"moduleConfig", {{"versionHistoryLimit", 1}}}});
  settle();
  EXPECT_EQ(specVersions(versions()), (std::set<std::string>{"2.0.0"}));
  EXPECT_FALSE(objects.removed.empty());
  // The user's spec.versions is never rewritten.
  EXPECT_EQ(store.object("Module", "ns", "vpc")["spec"]["versions"].size(), 3u);
}

TEST_F(ControllerSpec, ModuleForceSyncResyncsEveryVersionOnceAndIsReset) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0", "1.2.0"}));
  auto controller = startController();
  answerAllRequests();
  settle();
  EXPECT_TRUE(store.object("Module", "ns", "vpc")["status"]["synced"].is_boolean());

  patchModuleSpec("vpc", {{"forceSync", true}});
  settle();
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 6u);
  for (size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(requests[i].reason, SyncReason::ForceSync);
    EXPECT_EQ(requests[i].attempt, 2);
  }
  EXPECT_FALSE(store.object("Module", "ns", "vpc")["spec"]["forceSync"].get<bool>());

  answerAllRequests();
  settle();
  auto restarted = (controller.reset(), startController());
  EXPECT_EQ(syncRequests().size(), 6u);
}

TEST_F(ControllerSpec, VersionForceSyncIsResetAfterTheForcedSyncWithoutAnotherDownload) {
  store.putNow(moduleManifest("vpc", {"1.0.0"}));
  auto controller = startController();
  answerAllRequests();
  settle();
  const std::string name = versions().at(0)["metadata"]["name"];
  patchVersionSpec(name, {{"forceSync", true}});
  settle();
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].reason, SyncReason::ForceSync);
  EXPECT_EQ(requests[1].generation, 2);

  answerAllRequests();
  settle();
  json v = version(name);
  EXPECT_FALSE(v["spec"]["forceSync"].get<bool>());
  EXPECT_EQ(v["metadata"]["generation"], 3);  // the reset
  EXPECT_EQ(syncRequests().size(), 2u);
  controller.reset();
  auto restarted = startController();
  EXPECT_EQ(syncRequests().size(), 2u);
}

TEST_F(ControllerSpec, ARetryableStoreErrorIsRetriedWithBackoff) {
  store.putNow(moduleManifest("vpc", {"1.0.0", "1.1.0"}));
  store.failNext(1, core::Errc::Unavailable, Op::Create);
  auto controller = startController();
  EXPECT_LT(versions().size(), 2u);
  EXPECT_GE(controller->retries(), 1u);
  clock.advance(std::chrono::milliseconds(100));
  settle();
  EXPECT_EQ(versions().size(), 2u);
  EXPECT_EQ(syncRequests().size(), 2u);
  EXPECT_GE(controller->metrics().write_errors, 1u);
}

TEST_F(ControllerSpec, NeverMoreWritesInFlightThanConfigured) {
  for (int i = 0; i < 6; ++i) {
    store.putNow(moduleManifest("m" + std::to_string(i), {"1.0.0", "1.1.0", "1.2.0"}));
  }
  auto controller = startController();  // max_writes_in_flight = 2
  EXPECT_EQ(versions().size(), 18u);
  EXPECT_EQ(syncRequests().size(), 18u);
  EXPECT_EQ(store.maxInFlight(), 2u);
}

TEST_F(ControllerSpec, AStandaloneVersionGetsItsFileNameOnceThenOneRequest) {
  json v = {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
            {"kind", "Version"},
            {"metadata", {{"name", "solo-1-0-0"}, {"namespace", "ns"}}},
            {"spec",
             {{"type", "Module"},
              {"version", "1.0.0"},
              {"moduleConfigRef", {{"name", "solo"}, {"repoOwner", "acme"},
                                   {"provider", "aws"}, {"fileFormat", "tar"}}}}}};
  store.putNow(v);
  auto controller = startController();
  json got = version("solo-1-0-0");
  const std::string file = got["spec"].value("fileName", "");
  ASSERT_GT(file.size(), 7u);
  EXPECT_EQ(file.substr(file.size() - 7), ".tar.gz");
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].generation, 2);
  store.relist();
  settle();
  EXPECT_EQ(version("solo-1-0-0")["spec"]["fileName"], file);
  EXPECT_EQ(syncRequests().size(), 1u);
}

TEST_F(ControllerSpec, AVersionTheGuardsRefuseIsNeverRequested) {
  json v = {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
            {"kind", "Version"},
            {"metadata", {{"name", "bad.name"}, {"namespace", "ns"}}},
            {"spec", {{"type", "Module"}, {"version", "1.0.0"}, {"fileName", "x.zip"},
                      {"moduleConfigRef", {{"name", "m"}, {"fileFormat", "zip"}}}}}};
  store.putNow(v);
  auto controller = startController();
  EXPECT_TRUE(syncRequests().empty());
  EXPECT_EQ(store.count(Op::Patch), 0u);
}

TEST_F(ControllerSpec, ARetryTheWorkerDidNotDeliverIsRequestedAfterTheGrace) {
  store.putNow(moduleManifest("vpc", {"1.0.0"}));
  ModuleControllerConfig config = controllerConfig();
  config.resync_interval = std::chrono::milliseconds(30000);
  config.retry_grace = std::chrono::milliseconds(30000);
  ModuleController controller(runtime(), store, &objects, config);
  controller.start();
  settle();
  const std::string name = versions().at(0)["metadata"]["name"];
  appendFailed(name, 1, "Failed to retrieve module archive: 503", true);  // next in 60 s
  settle();
  clock.advance(std::chrono::milliseconds(60000));
  EXPECT_EQ(syncRequests().size(), 1u);  // at nextAttemptAt the worker's retry is due first
  clock.advance(std::chrono::milliseconds(30000));  // no retry came: the fallback
  settle();
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].reason, SyncReason::Retry);
  EXPECT_EQ(requests[1].attempt, 2);
}

TEST_F(ControllerSpec, TheWorkersOwnRetryIsNotRequestedTwice) {
  store.putNow(moduleManifest("vpc", {"1.0.0"}));
  ModuleControllerConfig config = controllerConfig();
  config.resync_interval = std::chrono::milliseconds(30000);
  config.retry_grace = std::chrono::milliseconds(0);
  ModuleController controller(runtime(), store, &objects, config);
  controller.start();
  settle();
  const json v = versions().at(0);
  const std::string name = v["metadata"]["name"];
  appendFailed(name, 1, "503", true);
  // The worker's retry, released from the due set at nextAttemptAt (corr = the Version uid).
  VersionSyncRequested retry{1, v["spec"].dump(), 2, SyncReason::Retry};
  log.addNow(toAppendRecord(
      streams::kWork, makeEnvelope(retry, EnvelopeMeta{"worker-retry", "Version/ns/" + name,
                                                       v["metadata"]["uid"], "", 0})));
  clock.advance(std::chrono::milliseconds(90000));
  settle();
  EXPECT_EQ(syncRequests().size(), 2u);
}

TEST_F(ControllerSpec, ANewerSchemaVersionHaltsTheRoleAndReportsWhy) {
  Envelope future{"ResourceObserved", 2, "future-1", "Module/ns/x", "", "", 0, "{}"};
  log.addNow(toAppendRecord(streams::kResources, future));
  auto controller = startController();
  EXPECT_FALSE(controller->ready());
  EXPECT_NE(controller->notReadyReason().find("ResourceObserved v2"), std::string::npos);
}

TEST_F(ControllerSpec, ABadModuleSpecGetsAnInvalidSpecStatusAndNoVersions) {
  json m = moduleManifest("vpc", {"1.0.0"}, {{"fileFormat", "rar"}});
  store.putNow(m);
  auto controller = startController();
  EXPECT_TRUE(versions().empty());
  json status = store.object("Module", "ns", "vpc")["status"];
  EXPECT_EQ(status["conditions"][0]["reason"], "InvalidSpec");
}

}  // namespace
}  // namespace od::events::testing
