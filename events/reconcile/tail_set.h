#pragma once
// TailSet: the StreamTails one reconcile or status role folds its state from (each read from
// the beginning, then live), and the role's level-triggered "queue everything": once all
// tails have caught up the first time, then every `resync_interval` (0: never), and again at
// a start() after stop() (the lease lost and won back: the tails resume where they were, so
// the first catch-up will not come again).
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents must outlive the
// set; destroying it cancels every read and timer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "events/reconcile/stream_tail.h"
#include "events/runtime.h"

namespace od::events {

struct TailSetConfig {
  size_t read_batch = 256;                     // entries per stream read
  std::chrono::milliseconds read_block{5000};  // live reads wait this long
  std::chrono::milliseconds resync_interval{0};  // 0: never
};

class TailSet {
 public:
  struct Tail {
    std::string stream;
    StreamTail::Fold fold;
  };
  // Why `queue_all` runs.
  enum class Sync { CaughtUp, Resync, Restart };
  using QueueAll = std::function<void(Sync why)>;

  TailSet(Runtime runtime, TailSetConfig config, std::vector<Tail> tails, QueueAll queue_all);
  TailSet(const TailSet&) = delete;
  TailSet& operator=(const TailSet&) = delete;

  void start();
  // Stops the tails and the resync timer.
  void stop();

  // Every tail caught up.
  bool caughtUp() const;
  // Caught up and no tail halted on a newer schema version.
  bool ready() const;
  // Empty when ready(): else the first halted tail's reason, or that it is catching up.
  std::string notReadyReason() const;
  // All tails caught up once (from then on changes queue their keys).
  bool initialDone() const { return initial_done_; }

 private:
  void onCaughtUp();
  void armResync();

  Runtime rt_;
  TailSetConfig config_;
  std::vector<std::unique_ptr<StreamTail>> tails_;
  QueueAll queue_all_;
  bool initial_done_ = false;
  core::CancelablePtr resync_timer_;
};

}  // namespace od::events
