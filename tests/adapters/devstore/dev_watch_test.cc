#include "adapters/devstore/dev_watch.h"

#include <gtest/gtest.h>

#include "adapters/kube/resource_events.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/streams.h"
#include "tests/adapters/devstore/devstore_fixture.h"
#include "tests/fakes/fake_event_log.h"

namespace od::adapters::devstore::testing {
namespace {

using core::ResourceRef;
using fakes::FakeEventLog;

const std::string kStream(events::streams::kResources);

struct Seen {
  std::string type, key, id, uid, rv;
};

class DevWatchTest : public DevstoreTest {
 protected:
  void SetUp() override {
    store_ = makeStore();
    log_ = std::make_unique<FakeEventLog>(clock_);
  }
  std::unique_ptr<DevWatch> makeWatch() {
    DevWatchOptions o;
    o.batch = 2;
    o.append_backoff_min = std::chrono::milliseconds(1);
    o.append_backoff_max = std::chrono::milliseconds(4);
    return std::make_unique<DevWatch>(*store_, *log_, clock_, o);
  }
  std::vector<Seen> seen() {
    std::vector<Seen> out;
    for (const auto& e : log_->entries(kStream)) {
      auto env = events::decodeEnvelope(e.fields);
      EXPECT_TRUE(env.ok());
      Seen s{env->type, env->key, env->id, "", ""};
      auto data = json::parse(env->data);
      s.uid = data.value("uid", "");
      s.rv = data.value("resourceVersion", "");
      out.push_back(s);
    }
    return out;
  }
  bool settle(DevWatch& w, size_t entries) {
    return loop_.runUntil([&] { return w.idle() && log_->entries(kStream).size() >= entries; },
                          5s);
  }
  std::string create(const json& obj, const std::string& kind = "Module") {
    auto r = store_->createNow(kind, "default", obj.dump());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }

  std::unique_ptr<LocalResourceStore> store_;
  std::unique_ptr<FakeEventLog> log_;
};

TEST_F(DevWatchTest, AppendsTheInitialListingThenEveryChangeInOrder) {
  std::string a = create(moduleObject("a"));
  std::string b = create(moduleObject("b"));
  auto watch = makeWatch();
  watch->start();
  ASSERT_TRUE(settle(*watch, 2));

  std::string c = create(moduleObject("c"));
  auto patched = store_->patchNow(ResourceRef{"Module", "default", "a"}, core::PatchType::Merge,
                                  R"({"status":{"synced":true}})", true);
  ASSERT_TRUE(patched.ok());
  ASSERT_TRUE(store_->removeNow(ResourceRef{"Module", "default", "b"}, {}).ok());
  ASSERT_TRUE(settle(*watch, 5));

  auto s = seen();
  ASSERT_EQ(s.size(), 5u);
  // Exactly the records the cluster watch would append for the same objects.
  int64_t ts = 0;
  EXPECT_EQ(s[0].id, kube::observedRecord("Module", a, std::nullopt, ts)->dedupe_id);
  EXPECT_EQ(s[1].id, kube::observedRecord("Module", b, std::nullopt, ts)->dedupe_id);
  EXPECT_EQ(s[2].id, kube::observedRecord("Module", c, std::nullopt, ts)->dedupe_id);
  EXPECT_EQ(s[3].id, kube::observedRecord("Module", *patched, std::nullopt, ts)->dedupe_id);
  std::vector<std::string> types, keys, rvs;
  for (const auto& e : s) {
    types.push_back(e.type);
    keys.push_back(e.key);
    rvs.push_back(e.rv);
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(types, (V{"ResourceObserved", "ResourceObserved", "ResourceObserved",
                      "ResourceObserved", "ResourceDeleted"}));
  EXPECT_EQ(keys, (V{"Module/default/a", "Module/default/b", "Module/default/c",
                     "Module/default/a", "Module/default/b"}));
  EXPECT_EQ(rvs, (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(s[4].uid, json::parse(b)["metadata"]["uid"]);
  kube::ObjectIdentity deleted{"default", "b", s[4].uid, "5"};
  EXPECT_EQ(s[4].id, kube::deletedRecord("Module", deleted, ts).dedupe_id);
  EXPECT_EQ(watch->stats().observed, 4u);
  EXPECT_EQ(watch->stats().deleted, 1u);
}

TEST_F(DevWatchTest, RetriesAfterAFailedAppendWithoutLosingOrder) {
  for (const char* n : {"a", "b", "c"}) {
    create(moduleObject(n));
  }
  log_->failNext(2, core::Errc::Unavailable, FakeEventLog::Op::Append);
  auto watch = makeWatch();
  watch->start();
  ASSERT_TRUE(settle(*watch, 3));
  auto s = seen();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].key, "Module/default/a");
  EXPECT_EQ(s[1].key, "Module/default/b");
  EXPECT_EQ(s[2].key, "Module/default/c");
  EXPECT_EQ(watch->stats().append_failures, 2u);
  EXPECT_EQ(watch->stats().appended, 3u);
}

TEST_F(DevWatchTest, AFailureAfterTheEffectIsRetriedAsADuplicate) {
  create(moduleObject("a"));
  log_->failNext(1, core::Errc::Timeout, FakeEventLog::Op::Append,
                 FakeEventLog::FaultMode::AfterEffect);
  auto watch = makeWatch();
  watch->start();
  ASSERT_TRUE(loop_.runUntil([&] { return watch->idle() && watch->stats().appended == 1; }, 5s));
  EXPECT_EQ(log_->entries(kStream).size(), 1u);
  EXPECT_EQ(watch->stats().duplicates, 1u);
}

TEST_F(DevWatchTest, ARestartReEmitsTheCurrentStateAsDuplicates) {
  create(moduleObject("a"));
  create(versionObject("a-1", "1.0.0", json::array()), "Version");
  {
    auto watch = makeWatch();
    watch->start();
    ASSERT_TRUE(settle(*watch, 2));
  }
  auto again = makeWatch();
  again->start();
  ASSERT_TRUE(loop_.runUntil([&] { return again->idle() && again->stats().appended == 2; }, 5s));
  EXPECT_EQ(again->stats().duplicates, 2u);
  EXPECT_EQ(log_->entries(kStream).size(), 2u);
}

TEST_F(DevWatchTest, APeriodicResyncAppendsEveryObjectAgain) {
  create(moduleObject("a"));
  DevWatchOptions o;
  o.resync_interval = std::chrono::milliseconds(20);
  DevWatch watch(*store_, *log_, clock_, o);
  watch.start();
  ASSERT_TRUE(settle(watch, 2));
  auto s = seen();
  EXPECT_EQ(s[0].key, s[1].key);
  EXPECT_NE(s[0].id, s[1].id);  // the resync has its own id
}

}  // namespace
}  // namespace od::adapters::devstore::testing
