#pragma once
// StreamTail: reads one stream from its very beginning, then follows it live. The reconcile
// and status roles rebuild their whole state at every start (ResourceState, SyncLedger), so
// unlike CatchUpReader there is no checkpoint to resume from: the fold must see every entry.
//
// Each entry's envelope is decoded and handed to the fold; an undecodable entry is logged
// and counted (corrupt()), never folded. A type this build knows in a NEWER schema version
// halts the tail (ready() false with the reason, nothing more is read): folding on without
// it would silently lose state during a rolling upgrade (ARCHITECTURE "Rules"). Unknown
// types reach the fold, which ignores what it does not know.
// caughtUp() turns true after the first read that returns fewer than `batch` entries; then
// `on_caught_up` runs once, and reads block for up to `block`. Log errors back off
// (exponential + jitter) and retry; nothing is skipped.
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents must outlive the
// tail; destroying it cancels the outstanding read or timer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/ports/event_log.h"
#include "events/envelope.h"
#include "events/runtime.h"
#include "events/scheduler.h"

namespace od::events {

struct StreamTailConfig {
  std::string stream;
  size_t batch = 256;                     // entries per read
  std::chrono::milliseconds block{5000};  // live reads wait this long
  BackoffPolicy error_backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(30000),
                              0.5};
};

class StreamTail {
 public:
  using Fold = std::function<void(const Envelope& event)>;

  StreamTail(Runtime runtime, StreamTailConfig config, Fold fold,
             std::function<void()> on_caught_up);
  StreamTail(const StreamTail&) = delete;
  StreamTail& operator=(const StreamTail&) = delete;

  void start();
  void stop();

  bool caughtUp() const { return caught_up_; }
  bool halted() const { return halted_; }
  const std::string& haltReason() const { return halt_reason_; }
  const std::string& position() const { return position_; }
  uint64_t folded() const { return folded_; }
  uint64_t corrupt() const { return corrupt_; }
  uint64_t errors() const { return errors_; }

 private:
  void read();
  void onRead(core::Result<std::vector<core::StreamEntry>> result);
  // False when the entry halts the tail.
  bool foldEntry(const core::StreamEntry& entry);

  Runtime rt_;
  StreamTailConfig config_;
  Fold fold_;
  std::function<void()> on_caught_up_;
  bool running_ = false;
  bool caught_up_ = false;
  bool halted_ = false;
  std::string halt_reason_;
  std::string position_ = "0";
  uint64_t folded_ = 0;
  uint64_t corrupt_ = 0;
  uint64_t errors_ = 0;
  uint64_t failures_ = 0;
  uint64_t seq_ = 0;  // guards against completions of superseded calls
  core::CancelablePtr call_;
};

}  // namespace od::events
