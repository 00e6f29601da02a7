#include "adapters/exec/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace od::adapters::exec {
namespace {

using namespace std::chrono_literals;

class WorkerPoolTest : public ::testing::Test {
 protected:
  bool runUntil(const std::function<bool()>& done) { return loop_.runUntil(done, 10s); }
  loop::EventLoop loop_;
};

TEST_F(WorkerPoolTest, RunsJobOnPoolThreadAndCompletesOnLoopThread) {
  WorkerPool pool(loop_, {2, 8});
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id job_thread;
  std::thread::id done_thread;
  int result = 0;
  auto handle = pool.submit(
      [&job_thread] {
        job_thread = std::this_thread::get_id();
        return 41 + 1;
      },
      [&](int value) {
        done_thread = std::this_thread::get_id();
        result = value;
      });
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(runUntil([&] { return result != 0; }));
  EXPECT_EQ(result, 42);
  EXPECT_NE(job_thread, loop_thread);
  EXPECT_EQ(done_thread, loop_thread);
}

TEST_F(WorkerPoolTest, SubmitFailsFastWhenQueueIsFull) {
  WorkerPool pool(loop_, {1, 2});
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<bool> started{false};
  auto blocker = pool.submit(
      [gate, &started] {
        started = true;
        gate.wait();
        return 0;
      },
      [](int) {});
  ASSERT_TRUE(blocker.ok());
  while (!started) {
    std::this_thread::yield();
  }
  auto a = pool.submit([] { return 1; }, [](int) {});
  auto b = pool.submit([] { return 2; }, [](int) {});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(pool.freeSlots(), 0u);
  auto c = pool.submit([] { return 3; }, [](int) {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, core::Errc::Unavailable);
  release.set_value();
}

TEST_F(WorkerPoolTest, CancelledJobNeverCallsBack) {
  WorkerPool pool(loop_, {1, 4});
  std::atomic<int> ran{0};
  bool called = false;
  auto handle = pool.submit([&ran] { return ++ran; }, [&called](int) { called = true; });
  ASSERT_TRUE(handle.ok());
  (*handle)->cancel();
  bool marker = false;
  auto after = pool.submit([] { return 0; }, [&marker](int) { marker = true; });
  ASSERT_TRUE(runUntil([&] { return marker; }));
  EXPECT_FALSE(called);
}

TEST_F(WorkerPoolTest, DestroyingTheHandleCancels) {
  WorkerPool pool(loop_, {1, 4});
  bool called = false;
  {
    auto handle = pool.submit([] { return 1; }, [&called](int) { called = true; });
    ASSERT_TRUE(handle.ok());
  }
  bool marker = false;
  auto after = pool.submit([] { return 0; }, [&marker](int) { marker = true; });
  ASSERT_TRUE(runUntil([&] { return marker; }));
  EXPECT_FALSE(called);
}

TEST_F(WorkerPoolTest, MoveOnlyJobsAndValues) {
  WorkerPool pool(loop_, {1, 4});
  auto owned = std::make_unique<int>(7);
  std::unique_ptr<int> got;
  auto handle = pool.submit([p = std::move(owned)]() mutable { return std::move(p); },
                            [&got](std::unique_ptr<int> value) { got = std::move(value); });
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(runUntil([&] { return got != nullptr; }));
  EXPECT_EQ(*got, 7);
}

TEST_F(WorkerPoolTest, ShutdownWaitsForRunningJobsAndRefusesNewOnes) {
  WorkerPool pool(loop_, {2, 4});
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  auto handle = pool.submit(
      [gate, &started, &finished] {
        started = true;
        gate.wait();
        finished = true;
        return 0;
      },
      [](int) {});
  ASSERT_TRUE(handle.ok());
  while (!started) {
    std::this_thread::yield();
  }
  std::thread releaser([&release] {
    std::this_thread::sleep_for(20ms);
    release.set_value();
  });
  pool.shutdown();
  EXPECT_TRUE(finished);
  releaser.join();
  auto late = pool.submit([] { return 0; }, [](int) {});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, core::Errc::Unavailable);
}

TEST_F(WorkerPoolTest, ManyJobsAllComplete) {
  WorkerPool pool(loop_, {4, 1000});
  int sum = 0;
  std::vector<core::CancelablePtr> handles;
  for (int i = 1; i <= 500; ++i) {
    auto h = pool.submit([i] { return i; }, [&sum](int v) { sum += v; });
    ASSERT_TRUE(h.ok());
    handles.push_back(std::move(*h));
  }
  ASSERT_TRUE(runUntil([&] { return sum == 500 * 501 / 2; }));
}

TEST_F(WorkerPoolTest, PostCancelableSkipsWhenCancelled) {
  bool a = false;
  bool b = false;
  auto ha = postCancelable(loop_, [&a] { a = true; });
  auto hb = postCancelable(loop_, [&b] { b = true; });
  hb->cancel();
  ASSERT_TRUE(runUntil([&] { return a; }));
  loop_.runOnce(false);
  EXPECT_FALSE(b);
}

}  // namespace
}  // namespace od::adapters::exec
