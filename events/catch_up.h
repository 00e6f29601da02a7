#pragma once
// CatchUpReader: a checkpointed reader for projections (house style §6: projections run on
// the loop, in order, and checkpoint). It loads the checkpoint (od:{ctl}:ckpt:<name>), reads
// the stream from there in batches, folds each entry, stores the checkpoint every
// `checkpoint_every` entries, every `checkpoint_interval` when something was folded, and on
// stop(); after the first read that reaches the end it follows the stream with blocking
// reads. caughtUp() turns true at that moment (for /readyz) and stays true.
//
// The fold is synchronous and infallible from the reader's view: a projection decodes the
// entry itself and decides what a bad entry means. The checkpoint is the id of the last
// entry folded, so after a restart folding resumes right after it (at-least-once for the
// entries folded after the last stored checkpoint: folds must tolerate a replay).
//
// Log errors back off (exponential + jitter) and retry; nothing is skipped.
// Thread affinity: loop thread only. Ownership: the Runtime's referents must outlive the
// reader; destroying it cancels every call and timer (no checkpoint is stored then).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/ports/event_log.h"
#include "events/runtime.h"
#include "events/scheduler.h"

namespace od::events {

struct CatchUpConfig {
  std::string stream;
  std::string checkpoint_name;                       // the projection's name
  size_t batch = 256;                                // entries per read
  std::chrono::milliseconds block{5000};             // live reads wait this long
  size_t checkpoint_every = 1000;                    // entries between stores
  std::chrono::milliseconds checkpoint_interval{5000};
  BackoffPolicy error_backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(30000),
                              0.5};
};

class CatchUpReader {
 public:
  using Fold = std::function<void(const core::StreamEntry& entry)>;

  CatchUpReader(Runtime runtime, CatchUpConfig config, Fold fold);
  ~CatchUpReader();
  CatchUpReader(const CatchUpReader&) = delete;
  CatchUpReader& operator=(const CatchUpReader&) = delete;

  void start();
  // Stops reading, stores the checkpoint if it moved, then calls `done` (also when the
  // store failed; the failure is logged).
  void stop(std::function<void()> done);

  bool caughtUp() const { return caught_up_; }
  // The id of the last entry folded ("0" before any).
  const std::string& position() const { return position_; }
  uint64_t folded() const { return folded_; }
  uint64_t errors() const { return errors_; }

 private:
  enum class Phase { Idle, Loading, Reading, Stopping, Stopped };

  void load();
  void read();
  void onRead(core::Result<std::vector<core::StreamEntry>> result);
  void onError(const core::Error& error, const char* what);
  void storeCheckpoint();
  void onStored(const std::string& stored, core::Status status);
  void armCheckpointTimer();
  void finishStop();

  Runtime rt_;
  CatchUpConfig config_;
  Fold fold_;
  Phase phase_ = Phase::Idle;
  std::string position_ = "0";
  std::string stored_position_ = "0";
  bool caught_up_ = false;
  bool storing_ = false;
  uint64_t folded_ = 0;
  uint64_t since_store_ = 0;
  uint64_t failures_ = 0;
  uint64_t errors_ = 0;
  uint64_t read_seq_ = 0;
  uint64_t store_seq_ = 0;
  core::CancelablePtr read_call_;
  core::CancelablePtr store_call_;
  core::CancelablePtr checkpoint_timer_;
  std::function<void()> on_stopped_;
};

}  // namespace od::events
