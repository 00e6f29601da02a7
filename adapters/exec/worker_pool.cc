#include "adapters/exec/worker_pool.h"

namespace od::adapters::exec {

WorkerPool::WorkerPool(loop::EventLoop& loop, WorkerPoolOptions options)
    : loop_(loop), options_(options) {
  const size_t n = options_.threads == 0 ? 1 : options_.threads;
  threads_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this] { workerMain(); });
  }
}

WorkerPool::~WorkerPool() { shutdown(); }

core::Result<core::CancelablePtr> WorkerPool::enqueue(std::unique_ptr<Task> task,
                                                      std::shared_ptr<JobControl> control) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return core::makeError(core::Errc::Unavailable, "worker pool is shutting down");
    }
    if (queue_.size() >= options_.queue_capacity) {
      return core::makeError(core::Errc::Unavailable, "worker pool queue is full");
    }
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return core::CancelablePtr(std::make_unique<JobHandle>(std::move(control)));
}

size_t WorkerPool::freeSlots() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    return 0;
  }
  return options_.queue_capacity - queue_.size();
}

void WorkerPool::shutdown() {
  std::deque<std::unique_ptr<Task>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) {
      return;
    }
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& task : dropped) {
    task->run(/*dropped=*/true);  // releases its completion on the loop thread
  }
  for (auto& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

void WorkerPool::workerMain() {
  for (;;) {
    std::unique_ptr<Task> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping and nothing left
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task->run(/*dropped=*/false);
  }
}

core::CancelablePtr postCancelable(loop::EventLoop& loop, std::function<void()> fn) {
  auto control = std::make_shared<JobControl>();
  loop.post([control, fn = std::move(fn)] {
    if (!control->cancelled.load(std::memory_order_acquire)) {
      fn();
    }
  });
  return std::make_unique<JobHandle>(std::move(control));
}

}  // namespace od::adapters::exec
