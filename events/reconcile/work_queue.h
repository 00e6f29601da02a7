#pragma once
// WorkQueue: the keyed work queue of the reconcile and status roles (controller-runtime's
// workqueue): a key added several times before it runs runs once (a burst coalesces into
// one run after `debounce`); one key never runs twice at once (a key added while it runs
// runs again afterwards); at most `max_active` keys run at the same time; a run that ends in
// Outcome::Retry comes back after an exponential backoff with jitter (events::backoff), and
// its failure count resets after a run that ends in Done.
//
// Work is started through `work(key, done)`, which returns the run's handle; `done` is
// called once (also synchronously, inside `work`). Finished handles are destroyed from a
// zero-delay timer, never inside their own callbacks.
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents must outlive the
// queue; destroying it cancels every timer and run.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "events/runtime.h"
#include "events/scheduler.h"

namespace od::events {

struct WorkQueueConfig {
  std::chrono::milliseconds debounce{100};  // a key waits this long after it is first added
  size_t max_active = 8;                    // keys running at once
  BackoffPolicy retry_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(300000),
                              0.5};
};

class WorkQueue {
 public:
  enum class Outcome { Done, Retry };
  using Done = std::function<void(Outcome)>;
  using Work = std::function<core::CancelablePtr(const std::string& key, Done done)>;

  WorkQueue(Runtime runtime, WorkQueueConfig config, Work work);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `key` after the debounce (or `delay`); an earlier pending run of it is kept.
  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  // While paused nothing new starts; running keys finish.
  void setPaused(bool paused);
  // Cancels every timer and run; queued keys are dropped.
  void clear();

  size_t waiting() const { return waiting_.size() + ready_.size(); }
  size_t active() const { return active_.size(); }
  uint64_t retries() const { return retries_; }

 private:
  struct Waiting {
    core::CancelablePtr timer;
    core::Clock::TimePoint due;
  };
  struct Active {
    uint64_t id = 0;
    core::CancelablePtr handle;
  };

  void onDue(const std::string& key);
  void pump();
  void finish(const std::string& key, uint64_t id, Outcome outcome);
  void retire(core::CancelablePtr handle);

  Runtime rt_;
  WorkQueueConfig config_;
  Work work_;
  bool paused_ = false;
  uint64_t next_id_ = 0;
  uint64_t retries_ = 0;
  std::map<std::string, Waiting> waiting_;
  std::deque<std::string> ready_;
  std::set<std::string> ready_set_;
  std::map<std::string, Active> active_;
  std::set<std::string> again_;
  std::map<std::string, uint64_t> failures_;
  std::vector<core::CancelablePtr> retired_;
  core::CancelablePtr sweep_timer_;
};

}  // namespace od::events
