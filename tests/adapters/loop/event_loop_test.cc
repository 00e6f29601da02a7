#include "adapters/loop/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "adapters/loop/libev_clock.h"

namespace od::adapters::loop {
namespace {

using std::chrono::milliseconds;

TEST(EventLoop, PostFromOtherThreadsRunsEveryFunctionOnTheLoop) {
  EventLoop loop;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  int ran = 0;  // touched on the loop thread only
  const auto loop_thread = std::this_thread::get_id();
  bool wrong_thread = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.post([&] {
          wrong_thread |= std::this_thread::get_id() != loop_thread;
          ++ran;
        });
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  // Many sends are compressed into few callbacks; every function must still run.
  EXPECT_TRUE(loop.runUntil([&] { return ran == kThreads * kPerThread; }, milliseconds(5000)));
  EXPECT_FALSE(wrong_thread);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  std::atomic<bool> posted_ran{false};
  std::thread stopper([&] {
    loop.post([&] { posted_ran = true; });
    loop.stop();
  });
  loop.run();
  stopper.join();
  // stop() may overtake the post in the queue; draining afterwards must still run it.
  loop.runUntil([&] { return posted_ran.load(); }, milliseconds(1000));
  EXPECT_TRUE(posted_ran.load());
}

TEST(EventLoop, StopBeforeRunReturnsAtOnce) {
  EventLoop loop;
  loop.stop();
  loop.run();
  SUCCEED();
}

struct Tracked : DeferredDeletable {
  explicit Tracked(int* deleted) : deleted_(deleted) {}
  ~Tracked() override { ++*deleted_; }
  int* deleted_;
};

TEST(EventLoop, DeferredDeleteRunsAfterTheCurrentCallback) {
  EventLoop loop;
  int deleted = 0;
  bool checked = false;
  loop.post([&] {
    loop.deferDelete(std::make_unique<Tracked>(&deleted));
    EXPECT_EQ(deleted, 0);  // not inside the callback that asked for it
    checked = true;
  });
  EXPECT_TRUE(loop.runUntil([&] { return deleted == 1; }, milliseconds(1000)));
  EXPECT_TRUE(checked);
  EXPECT_EQ(loop.deferredCount(), 0u);
}

TEST(EventLoop, DestructorDeletesWhatIsStillDeferred) {
  int deleted = 0;
  {
    EventLoop loop;
    loop.deferDelete(std::make_unique<Tracked>(&deleted));
  }
  EXPECT_EQ(deleted, 1);
}

TEST(LibevClock, AfterRunsOnceAfterTheDelay) {
  EventLoop loop;
  LibevClock clock(loop);
  int fired = 0;
  const auto start = std::chrono::steady_clock::now();
  auto handle = clock.after(milliseconds(20), [&] { ++fired; });
  EXPECT_TRUE(loop.runUntil([&] { return fired == 1; }, milliseconds(2000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(15));
  loop.runUntil([] { return false; }, milliseconds(40));
  EXPECT_EQ(fired, 1);
}

TEST(LibevClock, CancelAndDestroyPreventTheCall) {
  EventLoop loop;
  LibevClock clock(loop);
  int fired = 0;
  auto cancelled = clock.after(milliseconds(5), [&] { ++fired; });
  cancelled->cancel();
  cancelled->cancel();  // idempotent
  clock.after(milliseconds(5), [&] { ++fired; }).reset();
  loop.runUntil([] { return false; }, milliseconds(50));
  EXPECT_EQ(fired, 0);
}

TEST(LibevClock, FunctionMayDestroyItsOwnHandle) {
  EventLoop loop;
  LibevClock clock(loop);
  core::CancelablePtr handle;
  bool fired = false;
  handle = clock.after(milliseconds(1), [&] {
    handle.reset();
    fired = true;
  });
  EXPECT_TRUE(loop.runUntil([&] { return fired; }, milliseconds(1000)));
  EXPECT_EQ(handle, nullptr);
}

TEST(LibevClock, NowIsWallClockTime) {
  EventLoop loop;
  LibevClock clock(loop);
  const auto diff = clock.now() - std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(diff), std::chrono::seconds(1));
}

}  // namespace
}  // namespace od::adapters::loop
