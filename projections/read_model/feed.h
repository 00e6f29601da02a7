#pragma once
// ReadModelFeed: runs the registry read model on the control loop (role `serve`). Two
// events::CatchUpReaders read od:{ctl}:resources and od:{ctl}:facts from "0" (or from given
// positions, when a snapshot matching them was restored), catch up, then follow live; every
// entry is folded into a ReadModel. A timer publishes a new Snapshot into the SnapshotHolder
// at most every `publish_interval`, and only when something changed. Nothing is published
// until both streams have caught up once; after that first publish caughtUp() is true for
// good (it feeds /readyz).
//
// The read model lives in memory and every replica builds its own, so no checkpoint is
// ever stored: the readers see a log whose checkpoints are the configured start positions
// (storing one would make the next start skip history this process no longer holds).
//
// With a core::Signer, the feed signs the SHA256SUMS of every provider release the model
// serves without a signature (at most kMaxSigning at once, on the signer's pool, never on
// an HTTP loop) and hands each signature back to the model; the next tick publishes it. A
// failed signature is logged and tried again after `signing_retry`. Until its signature is
// there a release's package metadata answers 503 (http/registry). Readiness (caughtUp()) waits
// for the signatures of the first published snapshot, at most `signing_ready_wait`, so that a
// restarted replica does not take traffic it would answer 503.
//
// An entry that cannot be decoded is logged, counted and skipped (a poison entry must not
// stop the registry). An event of a known type with a newer schema version than this build
// reads halts folding and makes readiness() report it (skipping would silently lose state
// during a rolling upgrade; ARCHITECTURE "Rules").
//
// Thread affinity: construct, start(), stop() on the loop thread; caughtUp(), readiness()
// and the counters from any thread. Ownership: the Runtime's referents and *holder must
// outlive the feed; destroying it cancels every read and timer.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/ports/event_log.h"
#include "core/ports/signer.h"
#include "events/catch_up.h"
#include "events/runtime.h"
#include "events/streams.h"
#include "projections/read_model/read_model.h"
#include "projections/read_model/snapshot.h"

namespace od::proj {

struct ReadModelFeedOptions {
  ReadModelOptions model;
  std::string resources_stream{events::streams::kResources};
  std::string facts_stream{events::streams::kFacts};
  std::string resources_from = "0";  // entry id to read after
  std::string facts_from = "0";
  std::chrono::milliseconds publish_interval{200};
  size_t batch = 1024;                     // entries per read
  std::chrono::milliseconds block{5000};   // live reads wait this long
  // Signs provider SHA256SUMS; null when no key is configured. Must outlive the feed.
  core::Signer* signer = nullptr;
  std::chrono::milliseconds signing_retry{5000};  // after a failed signature
  std::chrono::milliseconds signing_ready_wait{30000};  // readiness waits this long at most
};

class ReadModelFeed {
 public:
  ReadModelFeed(events::Runtime runtime, SnapshotHolder& holder, ReadModelFeedOptions options);
  ~ReadModelFeed();
  ReadModelFeed(const ReadModelFeed&) = delete;
  ReadModelFeed& operator=(const ReadModelFeed&) = delete;

  void start();
  // Stops both readers and the timer, then calls `done`.
  void stop(std::function<void()> done);

  // True once a snapshot holding both streams up to their end at catch-up was published.
  bool caughtUp() const { return caught_up_.load(std::memory_order_acquire); }
  // "" when ready; otherwise why not (for http::ServerOptions::readiness).
  std::string readiness() const;

  uint64_t folded() const { return folded_.load(std::memory_order_relaxed); }
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  uint64_t published() const { return published_.load(std::memory_order_relaxed); }
  uint64_t signaturesMade() const { return signed_.load(std::memory_order_relaxed); }
  uint64_t signatureFailures() const { return sign_failed_.load(std::memory_order_relaxed); }
  const ReadModel& model() const { return model_; }  // loop thread only

 private:
  class FixedStartLog;

  void fold(const core::StreamEntry& entry, const std::string& stream);
  void halt(std::string reason);
  void tick();
  void signPending();
  void becomeReady();
  void onSigned(const std::string& doc, core::Result<std::string> sig);

  static constexpr size_t kMaxSigning = 4;

  events::Runtime rt_;
  SnapshotHolder& holder_;
  ReadModelFeedOptions options_;
  ReadModel model_;
  std::unique_ptr<FixedStartLog> resources_log_;
  std::unique_ptr<FixedStartLog> facts_log_;
  std::unique_ptr<events::CatchUpReader> resources_reader_;
  std::unique_ptr<events::CatchUpReader> facts_reader_;
  core::CancelablePtr timer_;
  bool running_ = false;
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> halted_{false};
  mutable std::mutex halt_mu_;
  std::string halt_reason_;
  std::atomic<uint64_t> folded_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> signed_{0};
  std::atomic<uint64_t> sign_failed_{0};
  std::optional<core::Clock::TimePoint> first_publish_at_;
  std::atomic<bool> signing_wait_{false};  // published, waiting for the first signatures
  std::map<std::string, core::CancelablePtr> signing_;  // SHA256SUMS -> its signing job
  std::vector<core::CancelablePtr> finished_;  // handles of completed jobs, freed by tick()
  std::map<std::string, core::Clock::TimePoint> sign_retry_at_;  // after failures
};

}  // namespace od::proj
