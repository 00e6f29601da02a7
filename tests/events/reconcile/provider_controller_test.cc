// ModuleController specs for Provider parents: the same write path as Modules (creates,
// deletes with their artifacts, forceSync requests and reset, ChildrenApplied, /status),
// with one Version per version x OS x architecture.
#include <set>
#include <string>
#include <vector>

#include "events/reconcile/controller.h"
#include "events/streams.h"
#include "tests/events/reconcile/reconcile_fixture.h"

namespace od::events::testing {
namespace {

using Op = fakes::FakeResourceStore::Op;

json providerManifest(const std::string& name, const std::vector<std::string>& versions,
                      const std::vector<std::string>& oses) {
  json list = json::array();
  for (const auto& v : versions) {
    list.push_back({{"version", v}});
  }
  json config = {{"name", name},
                 {"operatingSystems", oses},
                 {"architectures", json::array({"amd64"})},
                 {"storageConfig", {{"fileSystem", {{"directoryPath", "/data/providers"}}}}}};
  return {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
          {"kind", "Provider"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"spec", {{"providerConfig", config}, {"versions", list}}}};
}

std::set<std::string> names(const std::vector<json>& objects) {
  std::set<std::string> out;
  for (const auto& o : objects) {
    out.insert(o["metadata"]["name"].get<std::string>());
  }
  return out;
}

class ProviderControllerSpec : public ReconcileWorld {
 protected:
  void patchProviderSpec(const std::string& name, const json& spec_patch) {
    bool done = false;
    auto h = store.patch({"Provider", "ns", name}, core::PatchType::Merge,
                         json{{"spec", spec_patch}}.dump(),
                         [&](core::Result<std::string> r) { done = r.ok(); });
    settle();
    ASSERT_TRUE(done);
  }
};

TEST_F(ProviderControllerSpec, CreatesOneVersionPerVersionOsAndArchAndRequestsEachSyncOnce) {
  const std::string uid =
      store.putNow(providerManifest("aws", {"5.0.0", "v5.1.0"}, {"linux", "darwin"}));
  auto controller = startController();
  ASSERT_TRUE(controller->ready());

  auto created = versions();
  EXPECT_EQ(names(created),
            (std::set<std::string>{"aws-5-0-0-linux-amd64", "aws-5-0-0-darwin-amd64",
                                   "aws-5-1-0-linux-amd64", "aws-5-1-0-darwin-amd64"}));
  std::set<std::string> files;
  for (const auto& v : created) {
    const auto& labels = v["metadata"]["labels"];
    EXPECT_EQ(labels["opendepot.defdev.io/provider"], "aws");
    EXPECT_EQ(labels["opendepot.defdev.io/provider-arch"], "amd64");
    const std::string os = labels["opendepot.defdev.io/provider-os"];
    EXPECT_NE(v["metadata"]["name"].get<std::string>().find("-" + os + "-"), std::string::npos);
    const auto& owner = v["metadata"]["ownerReferences"][0];
    EXPECT_EQ(owner["kind"], "Provider");
    EXPECT_EQ(owner["name"], "aws");
    EXPECT_EQ(owner["uid"], uid);
    EXPECT_TRUE(owner["controller"].get<bool>());
    EXPECT_EQ(v["spec"]["type"], "Provider");
    EXPECT_EQ(v["spec"]["providerConfigRef"]["namespace"], "hashicorp");
    files.insert(v["spec"].value("fileName", ""));
  }
  EXPECT_EQ(files.size(), 4u);
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 4u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.reason, SyncReason::New);
  }
  auto applied = events(streams::kFacts, type::kChildrenApplied);
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].key, "Provider/ns/aws");
  auto data = decodeAs<ChildrenApplied>(applied[0]);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->created.size(), 4u);
  json provider = store.object("Provider", "ns", "aws");
  EXPECT_EQ(provider["status"]["latestVersion"], "v5.1.0");
  EXPECT_EQ(provider["status"]["providerVersionRefs"].size(), 4u);

  // A relist, then a restart replaying the whole log: nothing new is written or appended.
  const size_t writes = store.count(Op::Create) + store.count(Op::Patch);
  store.relist();
  settle();
  controller.reset();
  auto replayed = startController();
  EXPECT_EQ(syncRequests().size(), 4u);
  EXPECT_EQ(events(streams::kFacts, type::kChildrenApplied).size(), 1u);
  EXPECT_EQ(store.count(Op::Create) + store.count(Op::Patch), writes);
  EXPECT_EQ(replayed->metrics().sync_requests, 0u);
  EXPECT_EQ(replayed->metrics().children_applied, 0u);
}

TEST_F(ProviderControllerSpec, ARemovedOperatingSystemDeletesItsVersionsAndArtifacts) {
  store.putNow(providerManifest("aws", {"5.0.0", "5.1.0"}, {"linux", "darwin"}));
  auto controller = startController();
  std::set<std::string> darwin_keys;
  std::set<std::string> darwin_names;
  for (const auto& v : versions()) {
    if (v["metadata"]["labels"]["opendepot.defdev.io/provider-os"] == "darwin") {
      darwin_keys.insert("providers/aws/" + v["spec"]["fileName"].get<std::string>());
      darwin_names.insert(v["metadata"]["name"].get<std::string>());
    }
  }
  ASSERT_EQ(darwin_keys.size(), 2u);

  patchProviderSpec("aws", {{"providerConfig", {{"operatingSystems", json::array({"linux"})}}}});
  EXPECT_EQ(names(versions()),
            (std::set<std::string>{"aws-5-0-0-linux-amd64", "aws-5-1-0-linux-amd64"}));
  EXPECT_EQ(std::set<std::string>(objects.removed.begin(), objects.removed.end()), darwin_keys);
  // The parent's delete and then the Version's finalizer each remove it (idempotent).
  EXPECT_GE(controller->metrics().artifacts_deleted, 2u);
  auto applied = events(streams::kFacts, type::kChildrenApplied);
  ASSERT_EQ(applied.size(), 2u);
  auto data = decodeAs<ChildrenApplied>(applied[1]);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(std::set<std::string>(data->deleted.begin(), data->deleted.end()), darwin_names);
  EXPECT_TRUE(data->created.empty());
  // The linux Versions' specs do not carry the OS list: they are not patched, keep their
  // generation, and no new VersionSyncRequested is appended for them (nor for darwin).
  EXPECT_EQ(events(streams::kWork, type::kVersionSyncRequested).size(), 4u);
  for (const auto& v : versions()) {
    EXPECT_EQ(v["metadata"]["generation"], 1) << v["metadata"]["name"];
    EXPECT_FALSE(v["spec"]["providerConfigRef"].contains("operatingSystems"));
    EXPECT_EQ(v["spec"]["providerConfigRef"]["storageConfig"]["fileSystem"]["directoryPath"], "/data/providers");
  }
  EXPECT_EQ(store.object("Provider", "ns", "aws")["status"]["providerVersionRefs"].size(), 2u);
}

TEST_F(ProviderControllerSpec, ForceSyncRequestsEveryVersionOnceAndIsReset) {
  store.putNow(providerManifest("aws", {"5.0.0", "5.1.0"}, {"linux", "darwin"}));
  auto controller = startController();
  answerAllRequests();
  settle();
  ASSERT_EQ(syncRequests().size(), 4u);

  patchProviderSpec("aws", {{"forceSync", true}});
  auto requests = syncRequests();
  ASSERT_EQ(requests.size(), 8u);
  for (size_t i = 4; i < 8; ++i) {
    EXPECT_EQ(requests[i].reason, SyncReason::ForceSync);
    EXPECT_EQ(requests[i].attempt, 2);
  }
  std::set<std::string> forced;  // each Version once
  auto envelopes = events(streams::kWork, type::kVersionSyncRequested);
  for (size_t i = 4; i < envelopes.size(); ++i) {
    forced.insert(envelopes[i].key);
  }
  EXPECT_EQ(forced.size(), 4u);
  EXPECT_FALSE(store.object("Provider", "ns", "aws")["spec"]["forceSync"].get<bool>());

  answerAllRequests();
  settle();
  controller.reset();
  auto restarted = startController();
  EXPECT_EQ(syncRequests().size(), 8u);
  EXPECT_EQ(restarted->metrics().sync_requests, 0u);
}

TEST_F(ProviderControllerSpec, AChangedVersionQueuesItsProvider) {
  store.putNow(providerManifest("aws", {"5.0.0"}, {"linux"}));
  auto controller = startController();
  ASSERT_EQ(versions().size(), 1u);
  // Deleted by hand: the Provider still lists it, so it is made again (a new uid).
  const json v = versions().at(0);
  bool removed = false;
  auto h = store.remove({"Version", "ns", v["metadata"]["name"].get<std::string>()}, {},
                        [&](core::Status st) { removed = st.ok(); });
  settle();
  ASSERT_TRUE(removed);
  ASSERT_EQ(versions().size(), 1u);
  EXPECT_NE(versions()[0]["metadata"]["uid"], v["metadata"]["uid"]);
  EXPECT_EQ(objects.removed,
            std::vector<std::string>{"providers/aws/" + v["spec"]["fileName"].get<std::string>()});
}

}  // namespace
}  // namespace od::events::testing
