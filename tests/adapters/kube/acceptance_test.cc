// Acceptance (label integration): 500 Module manifests applied, then re-applied with
// changes, patched (merge and json) and partly deleted by the REAL kubectl, while the test
// API server drops every watch every 2 s and expires resourceVersions once; the watch
// adapter appends into a real redis-server through ValkeyEventLog, holding a ValkeyLease.
// The resources stream must end holding the final state of every object. Also: ValkeyLease
// semantics against the real server.
#include <gmock/gmock.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/kube/resource_events.h"
#include "adapters/kube/watch_adapter.h"
#include "adapters/loop/libev_clock.h"
#include "adapters/valkey/valkey_event_log.h"
#include "adapters/valkey/valkey_lease.h"
#include "events/codec.h"
#include "events/streams.h"
#include "tests/adapters/kube/kube_fixture.h"
#include "tests/integration/redis_fixture.h"

namespace od::adapters::kube::testing {
namespace {

namespace fs = std::filesystem;
constexpr int kModules = 500;
constexpr int kFiles = 5;
const char* kKubectl = "/usr/bin/kubectl";

std::string moduleYaml(int i, bool changed) {
  return "---\napiVersion: opendepot.defdev.io/v1alpha1\nkind: Module\nmetadata:\n  name: mod-" +
         std::to_string(i) + "\n  namespace: default\n" +
         (changed ? "  labels:\n    round: \"2\"\n" : "") +
         "spec:\n  moduleConfig:\n    provider: " + (changed ? "gcp" : "aws") +
         "\n    repoOwner: acme\n    fileFormat: zip\n    storageConfig:\n      fileSystem:\n"
         "        directoryPath: /data/modules\n  versions:\n    - version: \"1.0.0\"\n";
}

class Acceptance : public KubeTest {
 protected:
  void SetUp() override {
    if (::access(kKubectl, X_OK) != 0) {
      GTEST_SKIP() << "kubectl is absent at " << kKubectl;
    }
    KubeTest::SetUp();
    char tmpl[] = "/tmp/od-kube-accept-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    server_->WriteKubeconfig(dir_ + "/kubeconfig");
    ASSERT_TRUE(redis_.start());
  }
  void TearDown() override {
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }
  void writeManifests(const std::string& sub, bool changed) {
    fs::create_directories(dir_ + "/" + sub);
    for (int f = 0; f < kFiles; ++f) {
      std::ofstream out(dir_ + "/" + sub + "/modules-" + std::to_string(f) + ".yaml");
      for (int i = f; i < kModules; i += kFiles) {
        out << moduleYaml(i, changed);
      }
    }
  }
  int kubectl(const std::string& args) {
    std::string cmd = "KUBECACHEDIR=" + dir_ + "/cache KUBECONFIG=" + dir_ + "/kubeconfig " +
                      kKubectl + " " + args + " >>" + dir_ + "/kubectl.log 2>&1";
    return std::system(cmd.c_str());
  }
  // kubectl's whole script; returns the number of failed commands.
  int script() {
    int failures = 0;
    writeManifests("round1", false);
    writeManifests("round2", true);
    failures += kubectl("apply -f " + dir_ + "/round1") != 0;
    server_->Compact();  // history expires once, mid-run
    failures += kubectl("apply -f " + dir_ + "/round2") != 0;
    failures += kubectl("patch module mod-1 -n default --type merge -p "
                        "'{\"metadata\":{\"labels\":{\"p\":\"merge\"}}}'") != 0;
    failures += kubectl("patch module mod-2 -n default --type json -p "
                        "'[{\"op\":\"replace\",\"path\":\"/spec/moduleConfig/provider\","
                        "\"value\":\"azure\"}]'") != 0;
    failures += kubectl("delete module mod-3 mod-4 mod-5 -n default") != 0;
    return failures;
  }

  std::map<std::string, std::string> foldStream() {
    std::map<std::string, std::string> fold;
    od::testing::ReplyPtr r =
        redis_.command({"XRANGE", std::string(events::streams::kResources), "-", "+"});
    if (!r || r->type != REDIS_REPLY_ARRAY) {
      return fold;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      core::StreamFields fields;
      const redisReply* kv = r->element[i]->element[1];
      for (size_t j = 0; j + 1 < kv->elements; j += 2) {
        fields.emplace_back(kv->element[j]->str, kv->element[j + 1]->str);
      }
      auto env = events::decodeEnvelope(fields);
      if (env && env->type == events::type::kResourceObserved) {
        auto d = events::decodeAs<events::ResourceObserved>(*env);
        fold[env->key] = d->resource_version + " " + d->spec;
      } else if (env) {
        fold.erase(env->key);
      }
    }
    return fold;
  }
  std::map<std::string, std::string> finalList() {
    std::map<std::string, std::string> out;
    core::ListOptions options;
    do {
      auto page = await<core::ListPage>([&](auto cb) {
        return client_->list("Module", "default", options, cb);
      });
      if (!page) {
        return {};
      }
      for (const auto& item : page->items) {
        auto rec = observedRecord("Module", item, std::nullopt, 0);
        auto env = events::decodeEnvelope(rec->fields);
        auto d = events::decodeAs<events::ResourceObserved>(*env);
        out[env->key] = d->resource_version + " " + d->spec;
      }
      options.continue_token = page->continue_token;
    } while (!options.continue_token.empty());
    return out;
  }

  std::string dir_;
  od::testing::RedisServer redis_;
};

TEST_F(Acceptance, StreamHoldsTheFinalStateOfEveryModuleDespiteDropsAndExpiry) {
  valkey::ValkeyOptions vo;
  vo.port = redis_.port();
  valkey::ValkeyEventLog log(loop_, vo, *testLogger());
  valkey::ValkeyLease lease(loop_, vo, *testLogger());
  loop::LibevClock clock(loop_);
  WatchAdapterOptions o;
  o.lease_token = "acceptance";
  o.namespaces = {"default"};
  WatchAdapter adapter(*client_, log, lease, clock, o);
  adapter.start();

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread faults([&] {
    while (!done) {
      for (int i = 0; i < 20 && !done; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      server_->DropWatches(true);
    }
  });
  std::thread script([&] {
    failures = this->script();
    done = true;
  });
  loop_.runUntil([&] { return done.load(); }, std::chrono::seconds(50));
  script.join();
  faults.join();
  ASSERT_TRUE(done) << "kubectl did not finish";
  ASSERT_EQ(failures, 0) << "see " << dir_ << "/kubectl.log";

  std::map<std::string, std::string> want = finalList();
  ASSERT_EQ(want.size(), static_cast<size_t>(kModules - 3));
  bool ok = false;
  loop_.runUntil([&] { return ok = ok || (adapter.queued() == 0 && foldStream() == want); },
                 std::chrono::seconds(20));
  EXPECT_TRUE(ok) << "stream fold differs from the final list";
  EXPECT_GE(adapter.reflectorStats().expired + adapter.reflectorStats().drops, 1u);
  auto fold = foldStream();
  EXPECT_THAT(fold["Module/default/mod-2"], ::testing::HasSubstr("\"provider\":\"azure\""));
  EXPECT_EQ(fold.count("Module/default/mod-3"), 0u);
  adapter.stop();
}

TEST_F(Acceptance, ValkeyLeaseIsSingleHolderAndTokenChecked) {
  valkey::ValkeyOptions vo;
  vo.port = redis_.port();
  valkey::ValkeyLease lease(loop_, vo, *testLogger());
  auto call = [&](auto start) { return await<bool>(start); };
  const std::string key = events::streams::leaseKey("watch");
  auto ttl = std::chrono::milliseconds(5000);
  EXPECT_TRUE(*call([&](auto cb) { return lease.acquire(key, "a", ttl, cb); }));
  EXPECT_TRUE(*call([&](auto cb) { return lease.acquire(key, "a", ttl, cb); }));  // restart
  EXPECT_FALSE(*call([&](auto cb) { return lease.acquire(key, "b", ttl, cb); }));
  EXPECT_FALSE(*call([&](auto cb) { return lease.renew(key, "b", ttl, cb); }));
  EXPECT_TRUE(*call([&](auto cb) { return lease.renew(key, "a", ttl, cb); }));
  auto released = await<core::Unit>([&](auto cb) {
    return lease.release(key, "b", [cb](core::Status s) { s ? cb(core::Unit{}) : cb(s.error()); });
  });
  ASSERT_TRUE(released);
  EXPECT_EQ(redis_.text({"GET", key}), "a");  // b could not release a's lease
  ASSERT_TRUE(await<core::Unit>([&](auto cb) {
    return lease.release(key, "a", [cb](core::Status s) { s ? cb(core::Unit{}) : cb(s.error()); });
  }));
  EXPECT_TRUE(*call([&](auto cb) { return lease.acquire(key, "b", ttl, cb); }));
}

}  // namespace
}  // namespace od::adapters::kube::testing
