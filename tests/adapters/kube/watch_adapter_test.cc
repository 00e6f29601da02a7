// WatchAdapter with the test API server, a FakeEventLog and a FakeLease: observations and
// deletions with deterministic ids, relist after 410 with deletions of vanished objects,
// append failures retried in order, periodic resync re-emitting with distinct ids, and the
// lease gating everything.
#include <gmock/gmock.h>

#include <set>

#include "adapters/kube/watch_adapter.h"
#include "adapters/loop/libev_clock.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/streams.h"
#include "tests/adapters/kube/fake_lease.h"
#include "tests/adapters/kube/kube_fixture.h"
#include "tests/fakes/fake_event_log.h"

namespace od::adapters::kube::testing {
namespace {

using Fold = std::map<std::string, std::string>;  // key -> resourceVersion

class WatchAdapterTest : public KubeTest {
 protected:
  WatchAdapterOptions options() {
    WatchAdapterOptions o;
    o.lease_token = "me";
    o.lease_ttl = std::chrono::milliseconds(3000);
    o.append_backoff_min = std::chrono::milliseconds(10);
    o.reflector.backoff_min = std::chrono::milliseconds(20);
    return o;
  }
  void startAdapter(WatchAdapterOptions o) {
    adapter_ = std::make_unique<WatchAdapter>(*client_, log_, lease_, clock_, std::move(o));
    adapter_->start();
  }
  std::vector<events::Envelope> envelopes() {
    std::vector<events::Envelope> out;
    for (const auto& e : log_.entries(std::string(events::streams::kResources))) {
      auto env = events::decodeEnvelope(e.fields);
      EXPECT_TRUE(env);
      out.push_back(*env);
    }
    return out;
  }
  Fold fold() {
    Fold f;
    for (const auto& env : envelopes()) {
      if (env.type == events::type::kResourceObserved) {
        f[env.key] = events::decodeAs<events::ResourceObserved>(env)->resource_version;
      } else {
        f.erase(env.key);
      }
    }
    return f;
  }
  Fold listed() {
    Fold f;
    auto page = await<core::ListPage>([&](auto cb) { return client_->list("Module", "", {}, cb); });
    for (const auto& item : page->items) {
      ObjectIdentity id = objectIdentity(item);
      f["Module/" + id.name_space + "/" + id.name] = id.resource_version;
    }
    return f;
  }
  bool converges() {
    // listed() runs the loop itself, so remember a match instead of re-evaluating it.
    bool ok = false;
    loop_.runUntil([&] { return ok = ok || (adapter_->queued() == 0 && fold() == listed()); },
                   std::chrono::seconds(15));
    if (!ok) {
      for (const auto& [k, v] : fold()) ADD_FAILURE() << "fold " << k << " " << v;
      for (const auto& [k, v] : listed()) ADD_FAILURE() << "list " << k << " " << v;
    }
    return ok;
  }
  void patchLabel(const std::string& name, const std::string& value) {
    ASSERT_TRUE(await<std::string>([&](auto cb) {
      return client_->patch({"Module", "default", name}, core::PatchType::Merge,
                            R"({"metadata":{"labels":{"v":")" + value + R"("}}})", cb);
    }));
  }
  void removeModule(const std::string& name) {
    ASSERT_TRUE(await<core::Unit>([&](auto cb) {
      return client_->remove({"Module", "default", name}, {}, [cb](core::Status s) {
        s ? cb(core::Unit{}) : cb(s.error());
      });
    }));
  }

  loop::LibevClock clock_{loop_};
  fakes::FakeEventLog log_{clock_};
  FakeLease lease_{clock_};
  std::unique_ptr<WatchAdapter> adapter_;
};

TEST_F(WatchAdapterTest, AppendsTheWholeObjectAndDeletions) {
  ASSERT_TRUE(createModule("m1"));
  startAdapter(options());
  ASSERT_TRUE(converges());
  ASSERT_TRUE(await<std::string>([&](auto cb) {
    return client_->patchStatus({"Module", "default", "m1"}, core::PatchType::Merge,
                                R"({"status":{"synced":true,"syncStatus":"ok"}})", cb);
  }));
  patchLabel("m1", "2");
  ASSERT_TRUE(converges());
  auto last = envelopes().back();
  EXPECT_EQ(last.key, "Module/default/m1");
  auto observed = events::decodeAs<events::ResourceObserved>(last);
  ASSERT_TRUE(observed);
  EXPECT_EQ(observed->labels.at("v"), "2");
  EXPECT_THAT(observed->spec, ::testing::HasSubstr("\"provider\":\"aws\""));
  EXPECT_THAT(observed->status, ::testing::HasSubstr("\"syncStatus\":\"ok\""));
  EXPECT_EQ(observed->generation, 1);
  EXPECT_EQ(last.id, events::eventId({"ResourceObserved", observed->uid,
                                      observed->resource_version}));
  removeModule("m1");
  ASSERT_TRUE(converges());
  EXPECT_EQ(envelopes().back().type, "ResourceDeleted");
}

TEST_F(WatchAdapterTest, RelistsAfterExpiryAndReportsWhatVanished) {
  ASSERT_TRUE(createModule("keep"));
  ASSERT_TRUE(createModule("gone"));
  startAdapter(options());
  ASSERT_TRUE(converges());
  // While the watch is down, one object goes, one changes, one comes, history expires.
  server_->AddFault({"watch", "", 503, 1000, 0});
  server_->DropWatches(true);
  removeModule("gone");
  patchLabel("keep", "x");
  ASSERT_TRUE(createModule("new"));
  server_->Compact();
  server_->ResetFaults();
  ASSERT_TRUE(converges());
  EXPECT_GE(adapter_->reflectorStats().expired + adapter_->reflectorStats().lists, 6u);
  auto f = fold();
  EXPECT_EQ(f.count("Module/default/gone"), 0u);
  EXPECT_EQ(f.count("Module/default/new"), 1u);
}

TEST_F(WatchAdapterTest, RetriesFailedAppendsWithoutLosingOrReordering) {
  startAdapter(options());
  ASSERT_TRUE(loop_.runUntil([&] { return adapter_->reflectorStats().watches >= 5; },
                             std::chrono::seconds(5)));
  log_.failNext(5, core::Errc::Unavailable, fakes::FakeEventLog::Op::Append);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(createModule("m" + std::to_string(i)));
    patchLabel("m" + std::to_string(i), "1");
  }
  ASSERT_TRUE(converges());
  EXPECT_GE(adapter_->stats().append_failures, 5u);
}

TEST_F(WatchAdapterTest, ResyncReEmitsEveryObjectWithADistinctId) {
  ASSERT_TRUE(createModule("m1"));
  auto o = options();
  o.resync_interval = std::chrono::milliseconds(300);
  startAdapter(o);
  ASSERT_TRUE(converges());
  ASSERT_TRUE(loop_.runUntil([&] { return envelopes().size() >= 3; }, std::chrono::seconds(5)));
  auto all = envelopes();
  std::set<std::string> ids;
  for (const auto& e : all) {
    ids.insert(e.id);
  }
  EXPECT_EQ(ids.size(), all.size());
  EXPECT_EQ(all.back().key, "Module/default/m1");
}

TEST_F(WatchAdapterTest, AppendsNothingWithoutTheLease) {
  ASSERT_TRUE(createModule("m1"));
  lease_.steal(events::streams::leaseKey("watch"), std::chrono::seconds(60));
  startAdapter(options());
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(500));
  EXPECT_FALSE(adapter_->leader());
  EXPECT_TRUE(envelopes().empty());
}

TEST_F(WatchAdapterTest, LosingTheLeaseStopsWatchingAndCompetesAgain) {
  ASSERT_TRUE(createModule("m1"));
  startAdapter(options());
  ASSERT_TRUE(converges());
  lease_.steal(events::streams::leaseKey("watch"), std::chrono::milliseconds(1500));
  ASSERT_TRUE(loop_.runUntil([&] { return !adapter_->leader(); }, std::chrono::seconds(5)));
  EXPECT_EQ(adapter_->stats().lease_losses, 1u);
  ASSERT_TRUE(loop_.runUntil([&] { return adapter_->leader(); }, std::chrono::seconds(5)));
  patchLabel("m1", "after");
  ASSERT_TRUE(converges());
}

}  // namespace
}  // namespace od::adapters::kube::testing
