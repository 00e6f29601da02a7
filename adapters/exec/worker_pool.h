#pragma once
// WorkerPool: a fixed number of threads running blocking jobs (file I/O, libarchive, hashing,
// Trivy) off the event loop, with completions posted back to the loop (house style §5).
//
// DESIGN
// - Fixed N threads and a BOUNDED queue of jobs not yet started. submit() fails fast with
//   Errc::Unavailable when the queue is full or the pool is shutting down: backpressure is the
//   caller's business (XREADGROUP COUNT = freeSlots()).
// - A job is a callable taking nothing and returning a value (paths, bytes, Result); it must
//   not touch loop-owned objects. It may be move-only (it can carry an fd, a buffer).
// - The completion `done(value)` runs on the loop thread through EventLoop::post. Every job
//   has a Cancelable handle: after cancel() (or the handle's destruction) on the loop thread,
//   `done` is never called; a job not yet started is skipped. `done` itself is always
//   destroyed on the loop thread, so it may capture loop-only state.
// - shutdown() stops accepting jobs, drops queued jobs that have not started (their `done`
//   is never called) and waits for the running ones. The destructor calls it.
//
// Thread affinity: submit(), freeSlots(), shutdown() from the loop thread (freeSlots() also
// any thread). Jobs run on pool threads. `*loop` must outlive the pool, and the loop must be
// destroyed (or run) after the pool so posted completions are released.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "core/cancelable.h"
#include "core/result.h"

namespace od::adapters::exec {

struct WorkerPoolOptions {
  size_t threads = 4;           // worker threads (at least 1)
  size_t queue_capacity = 256;  // jobs accepted but not yet started
};

// Shared between a job and its handle: set on the loop thread, read on both.
struct JobControl {
  std::atomic<bool> cancelled{false};
};

class WorkerPool {
 public:
  WorkerPool(loop::EventLoop& loop, WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; `done(job())` later runs on the loop thread unless the handle was
  // cancelled. Errc::Unavailable when the queue is full or the pool is shut down (then
  // neither runs).
  template <typename Job, typename Done>
  core::Result<core::CancelablePtr> submit(Job job, Done done);

  // Queue places left (capacity minus queued jobs). Any thread.
  size_t freeSlots() const;
  // Stops accepting, drops jobs not started, waits for running ones. Idempotent.
  void shutdown();

 private:
  // A type-erased, move-only unit of work; run(false) runs it, run(true) only releases it
  // (dropped at shutdown).
  struct Task {
    virtual ~Task() = default;
    virtual void run(bool dropped) = 0;
  };
  template <typename Job, typename Done>
  struct TaskImpl;

  core::Result<core::CancelablePtr> enqueue(std::unique_ptr<Task> task,
                                            std::shared_ptr<JobControl> control);
  void workerMain();

  loop::EventLoop& loop_;
  const WorkerPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Task>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

// Runs `fn` on the loop thread soon unless the returned handle is cancelled first. For
// failures known at call time (a full pool), so callbacks never run re-entrantly. Loop thread.
core::CancelablePtr postCancelable(loop::EventLoop& loop, std::function<void()> fn);

// ---- implementation details ----

class JobHandle final : public core::Cancelable {
 public:
  explicit JobHandle(std::shared_ptr<JobControl> control) : control_(std::move(control)) {}
  ~JobHandle() override { cancel(); }
  void cancel() override { control_->cancelled.store(true, std::memory_order_release); }

 private:
  std::shared_ptr<JobControl> control_;
};

template <typename Job, typename Done>
struct WorkerPool::TaskImpl final : Task {
  using Value = std::invoke_result_t<Job&>;
  // Travels to the loop thread; `done` dies there.
  struct Completion {
    std::shared_ptr<JobControl> control;
    Done done;
    std::optional<Value> value;
  };

  TaskImpl(loop::EventLoop& l, Job j, Done d, std::shared_ptr<JobControl> c)
      : loop(l), job(std::move(j)),
        completion(std::make_shared<Completion>(Completion{std::move(c), std::move(d), {}})) {}

  void run(bool dropped) override {
    if (!dropped && !completion->control->cancelled.load(std::memory_order_acquire)) {
      completion->value.emplace(job());
    }
    // Moved into the posted function: the worker keeps no reference, so `done` is
    // destroyed on the loop thread.
    loop.post([c = std::move(completion)] {
      if (c->value.has_value() && !c->control->cancelled.load(std::memory_order_acquire)) {
        c->done(std::move(*c->value));
      }
    });
  }

  loop::EventLoop& loop;
  Job job;
  std::shared_ptr<Completion> completion;
};

template <typename Job, typename Done>
core::Result<core::CancelablePtr> WorkerPool::submit(Job job, Done done) {
  auto control = std::make_shared<JobControl>();
  auto task = std::make_unique<TaskImpl<Job, Done>>(loop_, std::move(job), std::move(done), control);
  return enqueue(std::move(task), std::move(control));
}

}  // namespace od::adapters::exec
