#include "adapters/devstore/local_resource_store.h"

#include <gtest/gtest.h>

#include "adapters/devstore/label_selector.h"
#include "tests/adapters/devstore/devstore_fixture.h"

namespace od::adapters::devstore::testing {
namespace {

using SR = core::Result<std::string>;
using core::Errc;
using core::PatchType;
using core::ResourceRef;

core::ListOptions selectorOptions(const std::string& selector) {
  core::ListOptions o;
  o.label_selector = selector;
  return o;
}

class LocalStoreTest : public DevstoreTest {
 protected:
  void SetUp() override { store_ = makeStore(); }

  SR create(const json& obj, const std::string& kind = "Module", const std::string& ns = "") {
    return wait<SR>([&](auto done) { return store_->create(kind, ns, obj.dump(), done); });
  }
  SR get(const std::string& kind, const std::string& name, const std::string& ns = "default") {
    return wait<SR>([&](auto done) { return store_->get(ResourceRef{kind, ns, name}, done); });
  }
  SR patch(const std::string& name, PatchType type, const json& body, bool status = false,
           const std::string& kind = "Module") {
    ResourceRef ref{kind, "default", name};
    return wait<SR>([&](auto done) {
      return status ? store_->patchStatus(ref, type, body.dump(), done)
                    : store_->patch(ref, type, body.dump(), done);
    });
  }
  core::Status remove(const std::string& kind, const std::string& name,
                      core::DeletePreconditions pre = {}) {
    return wait<core::Status>(
        [&](auto done) { return store_->remove(ResourceRef{kind, "default", name}, pre, done); });
  }
  core::Result<core::ListPage> list(const std::string& kind, const std::string& ns,
                                    core::ListOptions options) {
    return wait<core::Result<core::ListPage>>(
        [&](auto done) { return store_->list(kind, ns, options, done); });
  }
  std::vector<std::string> names(const core::ListPage& page) {
    std::vector<std::string> out;
    for (const auto& item : page.items) {
      out.push_back(json::parse(item)["metadata"]["name"]);
    }
    return out;
  }

  std::unique_ptr<LocalResourceStore> store_;
};

TEST_F(LocalStoreTest, CreateFillsSystemMetadataDropsStatusAndDefaultsTheNamespace) {
  json obj = moduleObject("vpc");
  obj["status"] = {{"synced", true}};
  auto created = create(obj);
  ASSERT_TRUE(created.ok()) << created.error().message;
  json o = json::parse(*created);
  EXPECT_EQ(o["metadata"]["namespace"], "default");
  EXPECT_EQ(o["metadata"]["generation"], 1);
  EXPECT_EQ(o["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(o["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(o["metadata"]["uid"].get<std::string>()[14], '4');
  EXPECT_FALSE(o["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_FALSE(o.contains("status"));
  EXPECT_EQ(json::parse(*get("Module", "vpc")), o);
}

TEST_F(LocalStoreTest, CreateOfAnExistingNameIsConflict) {
  ASSERT_TRUE(create(moduleObject("vpc")).ok());
  auto again = create(moduleObject("vpc"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::Conflict);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  // The same name in another namespace is another object.
  EXPECT_TRUE(create(moduleObject("vpc"), "Module", "team-a").ok());
}

TEST_F(LocalStoreTest, CreateRefusesInvalidObjects) {
  json with_rv = moduleObject("vpc");
  with_rv["metadata"]["resourceVersion"] = "7";
  EXPECT_EQ(create(with_rv).error().code, Errc::Invalid);

  json no_versions = moduleObject("vpc", json::array());
  auto r = create(no_versions);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Invalid);
  EXPECT_NE(r.error().message.find("spec.versions"), std::string::npos) << r.error().message;

  EXPECT_EQ(create(moduleObject("vpc"), "ConfigMap").error().code, Errc::Invalid);
  EXPECT_EQ(create(moduleObject("vpc"), "Provider").error().code, Errc::Invalid);  // kind differs
  json other_ns = moduleObject("vpc");
  other_ns["metadata"]["namespace"] = "a";
  EXPECT_EQ(create(other_ns, "Module", "b").error().code, Errc::Invalid);
  EXPECT_EQ(store_->resourceVersion(), 0u);  // nothing consumed a resourceVersion
}

TEST_F(LocalStoreTest, ResourceVersionIsOneCounterAcrossKinds) {
  ASSERT_TRUE(create(moduleObject("a")).ok());
  json v = versionObject("a-1-0-0", "1.0.0", json::array());
  auto version = create(v, "Version");
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(json::parse(*version)["metadata"]["resourceVersion"], "2");
  auto page = list("Module", "", {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "2");
}

TEST_F(LocalStoreTest, GenerationMovesOnlyWhenTheSpecChanges) {
  ASSERT_TRUE(create(moduleObject("vpc")).ok());
  auto labelled = patch("vpc", PatchType::Merge, {{"metadata", {{"labels", {{"team", "a"}}}}}});
  ASSERT_TRUE(labelled.ok()) << labelled.error().message;
  json o = json::parse(*labelled);
  EXPECT_EQ(o["metadata"]["generation"], 1);
  EXPECT_EQ(o["metadata"]["resourceVersion"], "2");

  auto spec = patch("vpc", PatchType::Merge, {{"spec", {{"forceSync", true}}}});
  ASSERT_TRUE(spec.ok());
  o = json::parse(*spec);
  EXPECT_EQ(o["metadata"]["generation"], 2);
  EXPECT_EQ(o["metadata"]["resourceVersion"], "3");

  // A patch that changes nothing does not write.
  auto same = patch("vpc", PatchType::Merge, {{"spec", {{"forceSync", true}}}});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(json::parse(*same)["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(store_->resourceVersion(), 3u);
}

TEST_F(LocalStoreTest, ObjectPatchNeverChangesStatusAndStatusPatchOnlyStatus) {
  ASSERT_TRUE(create(moduleObject("vpc")).ok());
  auto status = patch("vpc", PatchType::Merge,
                      {{"status", {{"synced", true}}}, {"spec", {{"forceSync", true}}},
                       {"metadata", {{"labels", {{"x", "y"}}}}}},
                      true);
  ASSERT_TRUE(status.ok()) << status.error().message;
  json o = json::parse(*status);
  EXPECT_EQ(o["status"]["synced"], true);
  EXPECT_FALSE(o["spec"].contains("forceSync"));
  EXPECT_FALSE(o["metadata"].contains("labels"));
  EXPECT_EQ(o["metadata"]["generation"], 1);
  EXPECT_EQ(o["metadata"]["resourceVersion"], "2");

  auto object = patch("vpc", PatchType::Merge,
                      {{"status", {{"synced", false}}}, {"spec", {{"forceSync", true}}}});
  ASSERT_TRUE(object.ok());
  o = json::parse(*object);
  EXPECT_EQ(o["status"]["synced"], true);
  EXPECT_EQ(o["spec"]["forceSync"], true);
  EXPECT_EQ(o["metadata"]["generation"], 2);

  // System metadata cannot be patched.
  auto uid_before = o["metadata"]["creationTimestamp"];
  auto sys = patch(
      "vpc", PatchType::Merge,
      {{"metadata", {{"generation", 99}, {"creationTimestamp", "2000-01-01T00:00:00Z"}}}});
  ASSERT_TRUE(sys.ok());
  EXPECT_EQ(json::parse(*sys)["metadata"]["generation"], 2);
  EXPECT_EQ(json::parse(*sys)["metadata"]["creationTimestamp"], uid_before);
}

TEST_F(LocalStoreTest, JsonPatchAppliesAndAFailedTestIsInvalid) {
  ASSERT_TRUE(create(moduleObject("vpc", {"1.0.0"})).ok());
  auto added = patch("vpc", PatchType::Json,
                     json::array({{{"op", "test"}, {"path", "/spec/versions/0/version"},
                                   {"value", "1.0.0"}},
                                  {{"op", "add"}, {"path", "/spec/versions/-"},
                                   {"value", {{"version", "1.1.0"}}}}}));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(json::parse(*added)["spec"]["versions"].size(), 2u);
  EXPECT_EQ(json::parse(*added)["metadata"]["generation"], 2);

  auto failed = patch("vpc", PatchType::Json,
                      json::array({{{"op", "test"}, {"path", "/spec/versions/0/version"},
                                    {"value", "9.9.9"}}}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::Invalid);

  auto status = patch("vpc", PatchType::Json,
                      json::array({{{"op", "add"}, {"path", "/status"},
                                    {"value", {{"syncStatus", "ok"}}}}}),
                      true);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(json::parse(*status)["status"]["syncStatus"], "ok");

  auto invalid = patch("vpc", PatchType::Merge, {{"spec", {{"versions", json::array()}}}});
  EXPECT_EQ(invalid.error().code, Errc::Invalid);
  EXPECT_EQ(patch("nope", PatchType::Merge, json::object()).error().code, Errc::NotFound);
}

TEST_F(LocalStoreTest, PatchWithAStaleResourceVersionIsConflict) {
  ASSERT_TRUE(create(moduleObject("vpc")).ok());
  ASSERT_TRUE(patch("vpc", PatchType::Merge, {{"spec", {{"forceSync", true}}}}).ok());
  auto stale = patch("vpc", PatchType::Merge,
                     {{"metadata", {{"resourceVersion", "1"}}}, {"spec", {{"forceSync", false}}}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::Conflict);
  auto fresh = patch("vpc", PatchType::Merge,
                     {{"metadata", {{"resourceVersion", "2"}}}, {"spec", {{"forceSync", false}}}});
  EXPECT_TRUE(fresh.ok());
  auto rename = patch("vpc", PatchType::Merge, {{"metadata", {{"name", "other"}}}});
  EXPECT_EQ(rename.error().code, Errc::Invalid);
}

TEST_F(LocalStoreTest, DeleteChecksPreconditions) {
  json o = json::parse(*create(moduleObject("vpc")));
  std::string uid = o["metadata"]["uid"];
  EXPECT_EQ(remove("Module", "vpc", {std::string("wrong"), std::nullopt}).error().code,
            Errc::Conflict);
  EXPECT_EQ(remove("Module", "vpc", {uid, std::string("99")}).error().code, Errc::Conflict);
  EXPECT_TRUE(remove("Module", "vpc", {uid, std::string("1")}).ok());
  EXPECT_EQ(get("Module", "vpc").error().code, Errc::NotFound);
  EXPECT_EQ(remove("Module", "vpc").error().code, Errc::NotFound);
  EXPECT_EQ(store_->resourceVersion(), 2u);  // the deletion has its own resourceVersion
}

TEST_F(LocalStoreTest, DeletingAModuleDeletesTheVersionsItOwns) {
  json module = json::parse(*create(moduleObject("vpc")));
  json other = json::parse(*create(moduleObject("other")));
  ASSERT_TRUE(create(versionObject("vpc-1", "1.0.0", {ownerRef(module)}), "Version").ok());
  ASSERT_TRUE(create(versionObject("vpc-2", "2.0.0", {ownerRef(module)}), "Version").ok());
  ASSERT_TRUE(
      create(versionObject("shared", "3.0.0", {ownerRef(module), ownerRef(other)}), "Version")
          .ok());
  ASSERT_TRUE(create(versionObject("alone", "4.0.0", json::array()), "Version").ok());

  ASSERT_TRUE(remove("Module", "vpc").ok());
  EXPECT_EQ(get("Version", "vpc-1").error().code, Errc::NotFound);
  EXPECT_EQ(get("Version", "vpc-2").error().code, Errc::NotFound);
  EXPECT_TRUE(get("Version", "shared").ok());  // another owner remains
  EXPECT_TRUE(get("Version", "alone").ok());

  ASSERT_TRUE(remove("Module", "other").ok());
  EXPECT_EQ(get("Version", "shared").error().code, Errc::NotFound);
}

TEST_F(LocalStoreTest, FinalizersKeepAnObjectUntilTheyAreRemoved) {
  json module = json::parse(*create(moduleObject("vpc")));
  json v = versionObject("vpc-1", "1.0.0", {ownerRef(module)});
  v["metadata"]["finalizers"] = {"opendepot.defdev.io/finalizer"};
  ASSERT_TRUE(create(v, "Version").ok());
  ASSERT_TRUE(remove("Module", "vpc").ok());
  auto terminating = get("Version", "vpc-1");
  ASSERT_TRUE(terminating.ok());
  EXPECT_TRUE(json::parse(*terminating)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(patch("vpc-1", PatchType::Merge, {{"metadata", {{"finalizers", nullptr}}}}, false,
                    "Version")
                  .ok());
  EXPECT_EQ(get("Version", "vpc-1").error().code, Errc::NotFound);
}

TEST_F(LocalStoreTest, ListFiltersByLabelSelectorAndNamespace) {
  ASSERT_TRUE(create(moduleObject("a", {"1.0.0"}, {{"team", "x"}, {"tier", "1"}})).ok());
  ASSERT_TRUE(create(moduleObject("b", {"1.0.0"}, {{"team", "y"}})).ok());
  ASSERT_TRUE(create(moduleObject("c")).ok());
  ASSERT_TRUE(create(moduleObject("d", {"1.0.0"}, {{"team", "x"}}), "Module", "other").ok());
  auto sel = [&](const std::string& s, const std::string& ns = "") {
    auto page = list("Module", ns, selectorOptions(s));
    EXPECT_TRUE(page.ok()) << s;
    return page.ok() ? names(*page) : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(sel(""), (V{"a", "b", "c", "d"}));
  EXPECT_EQ(sel("", "default"), (V{"a", "b", "c"}));
  EXPECT_EQ(sel("team=x"), (V{"a", "d"}));
  EXPECT_EQ(sel("team==x,tier=1"), (V{"a"}));
  EXPECT_EQ(sel("team!=x"), (V{"b", "c"}));
  EXPECT_EQ(sel("team"), (V{"a", "b", "d"}));
  EXPECT_EQ(sel("!team"), (V{"c"}));
  EXPECT_EQ(sel("team in (y, z)"), (V{"b"}));
  EXPECT_EQ(sel("team notin (x),team"), (V{"b"}));
  EXPECT_EQ(list("Module", "", selectorOptions("team in (x")).error().code, Errc::Invalid);
  EXPECT_EQ(list("Module", "", selectorOptions("=x")).error().code, Errc::Invalid);
}

TEST_F(LocalStoreTest, ListPagesWithLimitAndContinue) {
  for (const char* n : {"e", "a", "d", "b", "c"}) {
    ASSERT_TRUE(create(moduleObject(n)).ok());
  }
  std::vector<std::string> all;
  std::vector<size_t> sizes;
  core::ListOptions options;
  options.limit = 2;
  do {
    auto page = list("Module", "default", options);
    ASSERT_TRUE(page.ok());
    auto n = names(*page);
    sizes.push_back(n.size());
    all.insert(all.end(), n.begin(), n.end());
    options.continue_token = page->continue_token;
  } while (!options.continue_token.empty());
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
  options.continue_token = "not a token";
  EXPECT_EQ(list("Module", "", options).error().code, Errc::Invalid);
}

TEST_F(LocalStoreTest, CallbacksArePostedAndACancelledOneNeverRuns) {
  bool ran = false;
  auto handle = store_->create("Module", "", moduleObject("vpc").dump(), [&](SR) { ran = true; });
  handle->cancel();
  drain();
  EXPECT_FALSE(ran);
  EXPECT_TRUE(get("Module", "vpc").ok());  // the effect happened
  {
    auto dropped = store_->get(ResourceRef{"Module", "default", "vpc"}, [&](SR) { ran = true; });
  }
  drain();
  EXPECT_FALSE(ran);
}

TEST_F(LocalStoreTest, SubscribersSeeEveryChangeInOrder) {
  std::vector<Change> changes;
  auto sub = store_->subscribe([&](const Change& c) { changes.push_back(c); });
  ASSERT_TRUE(create(moduleObject("vpc")).ok());
  ASSERT_TRUE(patch("vpc", PatchType::Merge, {{"status", {{"synced", true}}}}, true).ok());
  ASSERT_TRUE(remove("Module", "vpc").ok());
  drain();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].id.resource_version, "1");
  EXPECT_EQ(changes[1].id.resource_version, "2");
  EXPECT_EQ(json::parse(changes[1].object)["status"]["synced"], true);
  EXPECT_TRUE(changes[2].deleted);
  EXPECT_EQ(changes[2].id.resource_version, "3");
  EXPECT_EQ(changes[2].id.uid, changes[0].id.uid);
  EXPECT_EQ(changes[2].kind, "Module");
  sub.reset();
  ASSERT_TRUE(create(moduleObject("again")).ok());
  drain();
  EXPECT_EQ(changes.size(), 3u);
}

TEST_F(LocalStoreTest, StateSurvivesARestart) {
  std::string state = dir_.file("state/store.json");
  std::string uid;
  {
    auto store = makeStore(state);
    ASSERT_TRUE(store->open().ok());
    store_ = std::move(store);
    uid = json::parse(*create(moduleObject("vpc")))["metadata"]["uid"];
    ASSERT_TRUE(
        store_->createNow("Module", "", moduleObject("mine").dump(), kOriginManifests).ok());
    ASSERT_TRUE(patch("vpc", PatchType::Merge, {{"status", {{"synced", true}}}}, true).ok());
    drain();  // the coalesced save runs
    auto on_disk = readStateFile(state);
    ASSERT_TRUE(on_disk.ok()) << on_disk.error().message;
    EXPECT_EQ(on_disk->objects.size(), 2u);
    store_.reset();
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_.file("state"))) {
    EXPECT_EQ(entry.path().filename(), "store.json");  // no temp file left behind
  }
  store_ = makeStore(state);
  auto report = store_->open();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->objects, 2u);
  json o = json::parse(*get("Module", "vpc"));
  EXPECT_EQ(o["metadata"]["uid"], uid);
  EXPECT_EQ(o["status"]["synced"], true);
  EXPECT_EQ(store_->originOf(ResourceRef{"Module", "default", "mine"}), kOriginManifests);
  EXPECT_EQ(store_->originOf(ResourceRef{"Module", "default", "vpc"}), kOriginApi);
  auto next = create(moduleObject("later"));
  EXPECT_EQ(json::parse(*next)["metadata"]["resourceVersion"], "4");
}

TEST_F(LocalStoreTest, ACorruptStateFileIsMovedAsideAndReported) {
  std::string state = dir_.file("store.json");
  writeFile(state, "{\"format\":\"opendepot-devstore/v1\",\"objects\":[");
  store_ = makeStore(state);
  auto report = store_->open();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->problem.empty());
  ASSERT_FALSE(report->moved_aside.empty());
  EXPECT_EQ(readFile(report->moved_aside), "{\"format\":\"opendepot-devstore/v1\",\"objects\":[");
  EXPECT_FALSE(std::filesystem::exists(state));
  EXPECT_TRUE(store_->objects().empty());

  // A well-formed file with a broken object is corrupt too.
  writeFile(state, R"({"format":"opendepot-devstore/v1","resourceVersion":"3","objects":[)"
                   R"({"origin":"api","object":{"kind":"Module","metadata":{"name":"x"}}}]})");
  auto read = readStateFile(state);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::Corrupt);
  EXPECT_NE(read.error().message.find("objects[0]"), std::string::npos);
}

TEST(LabelSelector, ParsesTheKubernetesGrammar) {
  auto s = LabelSelector::parse("a=b, c!=d, e, !f, g in (h,i), j notin (k)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->matches({{"a", "b"}, {"e", ""}, {"g", "i"}}));
  EXPECT_FALSE(s->matches({{"a", "b"}, {"e", ""}, {"g", "i"}, {"f", "1"}}));
  EXPECT_FALSE(s->matches({{"a", "b"}, {"c", "d"}, {"e", ""}, {"g", "i"}}));
  EXPECT_FALSE(s->matches({{"a", "b"}, {"e", ""}, {"g", "i"}, {"j", "k"}}));
  EXPECT_FALSE(LabelSelector::parse("a=b,,c").ok());
  EXPECT_FALSE(LabelSelector::parse("a=b c").ok());
  EXPECT_TRUE(LabelSelector::parse("").ok());
}

}  // namespace
}  // namespace od::adapters::devstore::testing
