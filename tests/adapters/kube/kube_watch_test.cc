// WatchStream against the test API server: events, bookmarks, a dropped watch ending with
// its resume point, 410 Expired after a compaction, and the bounded line buffer.
#include <gmock/gmock.h>

#include "adapters/kube/kube_watch.h"
#include "tests/adapters/kube/kube_fixture.h"

namespace od::adapters::kube::testing {
namespace {

class KubeWatchTest : public KubeTest {
 protected:
  std::string listVersion() {
    auto page = await<core::ListPage>([&](auto cb) { return client_->list("Module", "", {}, cb); });
    EXPECT_TRUE(page);
    return page ? page->resource_version : "";
  }
  core::CancelablePtr watch(std::string rv, size_t max_line = 4u << 20) {
    WatchRequest request{"Module", "", std::move(rv), "", 30, max_line};
    return startWatch(
        *client_, request, [this](WatchEvent e) { events_.push_back(std::move(e)); },
        [this](WatchEnd e) { end_ = std::move(e); });
  }
  bool runUntil(const std::function<bool()>& done) {
    return loop_.runUntil(done, std::chrono::seconds(10));
  }
  size_t count(WatchEventType type) const {
    return std::count_if(events_.begin(), events_.end(),
                         [type](const WatchEvent& e) { return e.type == type; });
  }

  std::vector<WatchEvent> events_;
  std::optional<WatchEnd> end_;
};

TEST_F(KubeWatchTest, StreamsAddsModifiesDeletesAndBookmarks) {
  ASSERT_TRUE(createModule("before"));
  auto handle = watch(listVersion());
  ASSERT_TRUE(createModule("m1"));
  ASSERT_TRUE(await<std::string>([&](auto cb) {
    return client_->patch({"Module", "default", "m1"}, core::PatchType::Merge,
                          R"({"metadata":{"labels":{"a":"b"}}})", cb);
  }));
  ASSERT_TRUE(await<core::Unit>([&](auto cb) {
    return client_->remove({"Module", "default", "m1"}, {}, [cb](core::Status s) {
      s ? cb(core::Unit{}) : cb(s.error());
    });
  }));
  ASSERT_TRUE(runUntil([&] {
    return count(WatchEventType::Deleted) == 1 && count(WatchEventType::Bookmark) >= 1;
  }));
  EXPECT_EQ(count(WatchEventType::Added), 1u);  // "before" came with the list, not the watch
  EXPECT_EQ(count(WatchEventType::Modified), 1u);
  EXPECT_THAT(events_[0].object, ::testing::HasSubstr("\"name\":\"m1\""));
  EXPECT_FALSE(end_.has_value());
}

TEST_F(KubeWatchTest, ADroppedWatchEndsWithItsResumePoint) {
  auto handle = watch(listVersion());
  ASSERT_TRUE(createModule("m1"));
  ASSERT_TRUE(runUntil([&] { return count(WatchEventType::Added) == 1; }));
  server_->DropWatches(true);
  ASSERT_TRUE(runUntil([&] { return end_.has_value(); }));
  EXPECT_EQ(end_->reason, WatchEndReason::Dropped);
  EXPECT_GE(std::stoll(end_->last_resource_version), std::stoll(events_[0].resource_version));
  // Resuming from it misses nothing.
  end_.reset();
  ASSERT_TRUE(createModule("m2"));
  auto resumed = watch(events_.back().resource_version);
  ASSERT_TRUE(runUntil([&] { return count(WatchEventType::Added) == 2; }));
  EXPECT_THAT(events_.back().object, ::testing::HasSubstr("\"name\":\"m2\""));
}

TEST_F(KubeWatchTest, ACleanEndIsClosed) {
  auto handle = watch(listVersion());
  ASSERT_TRUE(runUntil([&] { return server_->active_watches() == 1; }));
  server_->DropWatches(false);
  ASSERT_TRUE(runUntil([&] { return end_.has_value(); }));
  EXPECT_EQ(end_->reason, WatchEndReason::Closed);
}

TEST_F(KubeWatchTest, AnExpiredResourceVersionEndsWithExpired) {
  std::string rv = listVersion();
  ASSERT_TRUE(createModule("m1"));
  server_->Compact();
  auto handle = watch(rv);
  ASSERT_TRUE(runUntil([&] { return end_.has_value(); }));
  EXPECT_EQ(end_->reason, WatchEndReason::Expired) << end_->message;
}

TEST_F(KubeWatchTest, ALineOverTheLimitEndsTheWatch) {
  auto handle = watch(listVersion(), 64);
  ASSERT_TRUE(createModule("m1"));
  ASSERT_TRUE(runUntil([&] { return end_.has_value(); }));
  EXPECT_EQ(end_->reason, WatchEndReason::LineTooLong);
  EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace od::adapters::kube::testing
