// Watch: events, bookmarks, 410 after compaction, dropped connections, selectors.
#include <gmock/gmock.h>

#include <atomic>
#include <mutex>

#include "tests/kubeapi/test_fixture.h"

namespace od::testkube {
namespace {

// Runs a watch on a thread and collects its lines.
class Watcher {
 public:
  Watcher(const Client& client, std::string path, long timeout_ms = 10000) {
    thread_ = std::thread([this, &client, path, timeout_ms] {
      status_ = client.Stream(
          path,
          [this](const json& line) {
            std::lock_guard<std::mutex> lock(mu_);
            lines_.push_back(line);
            return true;
          },
          timeout_ms, &clean_, &cancel_);
      done_ = true;
    });
  }
  ~Watcher() {
    cancel_ = true;
    Join();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  std::vector<json> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  // Waits until `pred` holds for the lines seen so far.
  bool WaitFor(const std::function<bool(const std::vector<json>&)>& pred, int ms = 5000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (pred(Lines())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred(Lines());
  }
  bool done() const { return done_; }
  long status() const { return status_; }
  bool clean() const { return clean_; }

 private:
  std::thread thread_;
  std::mutex mu_;
  std::vector<json> lines_;
  std::atomic<bool> done_{false};
  std::atomic<bool> cancel_{false};
  long status_ = 0;
  bool clean_ = false;
};

std::vector<std::string> Types(const std::vector<json>& lines, bool with_bookmarks = false) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (!with_bookmarks && l["type"] == "BOOKMARK") continue;
    out.push_back(l["type"].get<std::string>() + ":" +
                  l["object"]["metadata"].value("name", ""));
  }
  return out;
}

TEST_F(KubeApiTest, WatchStreamsChangesAfterTheListResourceVersion) {
  MustCreate(Widget("before"));
  std::string rv = client_->Get(Widgets()).Json()["metadata"]["resourceVersion"];
  Watcher w(*client_, Widgets() + "?watch=true&resourceVersion=" + rv);
  WaitForWatches(1);
  MustCreate(Widget("a"));
  client_->Patch(Widgets() + "/a", "application/merge-patch+json", R"({"spec":{"size":2}})");
  client_->Delete(Widgets() + "/a");
  ASSERT_TRUE(w.WaitFor([](const auto& l) { return Types(l).size() >= 3; }));
  EXPECT_EQ(Types(w.Lines()), (std::vector<std::string>{"ADDED:a", "MODIFIED:a", "DELETED:a"}));
  EXPECT_EQ(w.Lines()[1]["object"]["spec"]["size"], 2);
}

TEST_F(KubeApiTest, WatchFromZeroStartsWithTheCurrentState) {
  MustCreate(Widget("a"));
  MustCreate(Widget("b"));
  Watcher w(*client_, Widgets() + "?watch=1&resourceVersion=0");
  ASSERT_TRUE(w.WaitFor([](const auto& l) { return l.size() >= 2; }));
  EXPECT_EQ(Types(w.Lines()), (std::vector<std::string>{"ADDED:a", "ADDED:b"}));
}

TEST_F(KubeApiTest, WatchSendsBookmarksWhenAsked) {
  std::string rv = client_->Get(Widgets()).Json()["metadata"]["resourceVersion"];
  Watcher w(*client_, Widgets() + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + rv);
  ASSERT_TRUE(w.WaitFor([](const auto& l) { return !l.empty(); }));
  json b = w.Lines()[0];
  EXPECT_EQ(b["type"], "BOOKMARK");
  EXPECT_EQ(b["object"]["kind"], "Widget");
  EXPECT_EQ(b["object"]["metadata"]["resourceVersion"], rv);
}

TEST_F(KubeApiTest, WatchFromACompactedResourceVersionGetsExpired) {
  std::string rv = client_->Get(Widgets()).Json()["metadata"]["resourceVersion"];
  MustCreate(Widget("a"));
  ASSERT_EQ(client_->Post("/_faults", {{"compact", true}}).status, 200);
  Watcher w(*client_, Widgets() + "?watch=true&resourceVersion=" + rv);
  w.Join();
  EXPECT_EQ(w.status(), 200);
  EXPECT_TRUE(w.clean());
  ASSERT_EQ(w.Lines().size(), 1u);
  json e = w.Lines()[0];
  EXPECT_EQ(e["type"], "ERROR");
  EXPECT_EQ(e["object"]["kind"], "Status");
  EXPECT_EQ(e["object"]["code"], 410);
  EXPECT_EQ(e["object"]["reason"], "Expired");
  // A list continue token from before the compaction is expired too.
  MustCreate(Widget("b"));
  std::string token = client_->Get(Widgets() + "?limit=1").Json()["metadata"]["continue"];
  MustCreate(Widget("c"));
  server_->Compact();
  Reply r = client_->Get(Widgets() + "?limit=1&continue=" + token);
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.Json()["reason"], "Expired");
}

TEST_F(KubeApiTest, DroppedWatchesCloseAndTimeoutsEndCleanly) {
  Watcher dropped(*client_, Widgets() + "?watch=true");
  Watcher ended(*client_, Widgets() + "?watch=true&timeoutSeconds=1");
  WaitForWatches(2);
  client_->Post("/_faults", {{"dropWatches", true}});
  dropped.Join();
  EXPECT_FALSE(dropped.clean());
  ended.Join();
  EXPECT_EQ(server_->active_watches(), 0);
  Watcher timed(*client_, Widgets() + "?watch=true&timeoutSeconds=1");
  timed.Join();
  EXPECT_TRUE(timed.clean());
  EXPECT_EQ(timed.status(), 200);
}

TEST_F(KubeApiTest, WatchWithSelectorsTurnsTransitionsIntoAddedAndDeleted) {
  json w = Widget("a");
  w["metadata"]["labels"] = {{"app", "x"}};
  MustCreate(w);
  Watcher watch(*client_, Widgets() + "?watch=true&labelSelector=app%3Dx&resourceVersion=" +
                              client_->Get(Widgets()).Json()["metadata"]["resourceVersion"].get<std::string>());
  WaitForWatches(1);
  client_->Patch(Widgets() + "/a", "application/merge-patch+json", R"({"metadata":{"labels":{"app":"y"}}})");
  client_->Patch(Widgets() + "/a", "application/merge-patch+json", R"({"spec":{"size":3}})");
  client_->Patch(Widgets() + "/a", "application/merge-patch+json", R"({"metadata":{"labels":{"app":"x"}}})");
  MustCreate(Widget("other"));
  ASSERT_TRUE(watch.WaitFor([](const auto& l) { return Types(l).size() >= 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Types(watch.Lines()), (std::vector<std::string>{"DELETED:a", "ADDED:a"}));
}

TEST_F(KubeApiTest, WatchInOneNamespaceIgnoresOthers) {
  ASSERT_EQ(client_->Post("/api/v1/namespaces", {{"metadata", {{"name", "two"}}}}).status, 201);
  Watcher w(*client_, Widgets("two") + "?watch=true");
  WaitForWatches(1);
  MustCreate(Widget("in-default"));
  MustCreate(Widget("in-two"), "two");
  ASSERT_TRUE(w.WaitFor([](const auto& l) { return !l.empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Types(w.Lines()), (std::vector<std::string>{"ADDED:in-two"}));
}

}  // namespace
}  // namespace od::testkube
