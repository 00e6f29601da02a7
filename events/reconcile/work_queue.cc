#include "events/reconcile/work_queue.h"

#include <utility>

namespace od::events {

WorkQueue::WorkQueue(Runtime runtime, WorkQueueConfig config, Work work)
    : rt_(runtime), config_(std::move(config)), work_(std::move(work)) {
  if (config_.max_active == 0) {
    config_.max_active = 1;
  }
}

WorkQueue::~WorkQueue() { clear(); }

void WorkQueue::add(const std::string& key) { addAfter(key, config_.debounce); }

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (ready_set_.count(key) > 0) {
    return;
  }
  if (active_.count(key) > 0 && delay <= config_.debounce) {
    again_.insert(key);  // runs again once the current run ends
    return;
  }
  const auto due = rt_.clock.now() + delay;
  auto it = waiting_.find(key);
  if (it != waiting_.end() && it->second.due <= due) {
    return;
  }
  auto timer = rt_.clock.after(delay, [this, key] { onDue(key); });
  if (it != waiting_.end()) {
    retire(std::move(it->second.timer));
    it->second = Waiting{std::move(timer), due};
  } else {
    waiting_.emplace(key, Waiting{std::move(timer), due});
  }
}

void WorkQueue::onDue(const std::string& key) {
  auto it = waiting_.find(key);
  if (it == waiting_.end()) {
    return;
  }
  retire(std::move(it->second.timer));
  waiting_.erase(it);
  if (ready_set_.insert(key).second) {
    ready_.push_back(key);
  }
  pump();
}

void WorkQueue::setPaused(bool paused) {
  paused_ = paused;
  if (!paused_) {
    pump();
  }
}

void WorkQueue::pump() {
  while (!paused_ && active_.size() < config_.max_active && !ready_.empty()) {
    std::string key = std::move(ready_.front());
    ready_.pop_front();
    ready_set_.erase(key);
    if (active_.count(key) > 0) {
      again_.insert(key);
      continue;
    }
    const uint64_t id = ++next_id_;
    active_[key] = Active{id, nullptr};
    auto handle = work_(key, [this, key, id](Outcome outcome) { finish(key, id, outcome); });
    auto it = active_.find(key);
    if (it != active_.end() && it->second.id == id) {
      it->second.handle = std::move(handle);
    } else {
      retire(std::move(handle));  // finished synchronously
    }
  }
}

void WorkQueue::finish(const std::string& key, uint64_t id, Outcome outcome) {
  auto it = active_.find(key);
  if (it == active_.end() || it->second.id != id) {
    return;
  }
  retire(std::move(it->second.handle));
  active_.erase(it);
  if (outcome == Outcome::Retry) {
    again_.erase(key);
    const uint64_t failures = ++failures_[key];
    ++retries_;
    addAfter(key, backoff(failures, config_.retry_backoff, rt_.random.next()));
  } else {
    failures_.erase(key);
    if (again_.erase(key) > 0) {
      addAfter(key, config_.debounce);
    }
  }
  pump();
}

void WorkQueue::retire(core::CancelablePtr handle) {
  if (!handle) {
    return;
  }
  handle->cancel();
  retired_.push_back(std::move(handle));
  if (!sweep_timer_) {
    sweep_timer_ = rt_.clock.after(std::chrono::milliseconds(0), [this] {
      auto done = std::move(retired_);
      retired_.clear();
      auto self = std::move(sweep_timer_);  // destroyed when this callback returns
      done.clear();
    });
  }
}

void WorkQueue::clear() {
  waiting_.clear();
  ready_.clear();
  ready_set_.clear();
  active_.clear();
  again_.clear();
  retired_.clear();
  sweep_timer_.reset();
}

}  // namespace od::events
