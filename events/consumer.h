#pragma once
// Consumer: the consumer-group runner on the EventLog port (house style §6, ARCHITECTURE
// "Rules of the way"). It reads a stream as one consumer of a group, decodes each entry's
// envelope, hands it to a Handler, appends the handler's result events idempotently and
// ONLY THEN acks the entry.
//
// DESIGN
// - start(): ensureGroup, then this consumer's own pending entries (after a restart), then
//   new entries (blocking reads). Every `claim_interval` it claims entries left idle for
//   `min_idle` by dead consumers (its own included).
// - Per entry, in order: trimmed (pending entry without fields) -> ack; delivered more than
//   `max_deliveries` times -> parked; undecodable envelope -> parked; unknown type -> skipped
//   with a warning and acked; newer schema version of a known type -> the consumer halts
//   (ready() false with the reason, the entry stays unacked, nothing more is read).
//   Otherwise the handler runs. Result: append + ack. Retryable error: the entry stays
//   unacked and is retried locally after backoff; each retry counts as a delivery, so a
//   poison entry is parked in the end. Non-retryable error: parked.
// - Parking appends to `dead_stream` the original fields plus dead.stream, dead.id,
//   dead.group, dead.consumer, dead.reason, dead.deliveries (dedupe id derived from stream,
//   group and entry id, so parking twice is harmless), then acks.
// - Backpressure: at most `max_in_flight` entries are held; reads ask for no more than the
//   free slots. EventLog errors back off (exponential + jitter from Runtime::random) and
//   retry; a missing group (NotFound, e.g. after a failover) is recreated.
// - stop(done): stops reading and claiming, abandons entries waiting on a backoff timer
//   (they stay pending and come back), waits for running handler/append/ack calls, then
//   calls done.
// - Assumes a handle may be destroyed inside its own completion callback, and tolerates
//   completions that run synchronously inside the call.
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents and *handler must
// outlive the Consumer; destroying it cancels everything it started.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/ports/event_log.h"
#include "events/envelope.h"
#include "events/runtime.h"
#include "events/scheduler.h"
#include "events/streams.h"

namespace od::events {

struct ConsumerConfig {
  std::string stream;
  std::string group;
  std::string consumer;                           // stable per replica (pod name)
  size_t batch_size = 16;                         // entries per read, at most
  size_t max_in_flight = 16;                      // entries held at once (handler slots)
  std::chrono::milliseconds block{5000};          // blocking read; 0 polls every idle_poll
  std::chrono::milliseconds idle_poll{1000};      // wait after an empty non-blocking read
  std::chrono::milliseconds claim_interval{30000};
  std::chrono::milliseconds min_idle{120000};     // claim entries idle this long
  uint64_t max_deliveries = 5;                    // more than this -> parked
  std::string dead_stream = std::string(streams::kDead);
  BackoffPolicy log_backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(30000), 0.5};
  BackoffPolicy handler_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000),
                                0.5};
};

// Turns one event into its result events. Loop thread only.
class Handler {
 public:
  using Done = std::function<void(core::Result<std::vector<core::AppendRecord>>)>;
  virtual ~Handler() = default;
  // Calls `done` once, later or at once, unless the returned handle is destroyed first.
  // Result events should carry deterministic dedupe ids (appends are then idempotent).
  virtual core::CancelablePtr handle(const Envelope& event, const core::StreamEntry& raw,
                                     Done done) = 0;
};

struct ConsumerMetrics {
  uint64_t handled = 0;     // acked after the handler's results were appended
  uint64_t duplicates = 0;  // result records the log already had
  uint64_t parked = 0;
  uint64_t skipped = 0;     // unknown types and trimmed entries
  uint64_t errors = 0;      // failed log calls and handler errors
  uint64_t retries = 0;     // local handler retries
  uint64_t claimed = 0;     // entries taken over from idle consumers
  uint64_t trimmed = 0;     // pending ids whose entries were gone
};

class Consumer {
 public:
  Consumer(Runtime runtime, Handler& handler, ConsumerConfig config);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void start();
  void stop(std::function<void()> done);

  // True once the group exists and until a newer schema version halts the consumer.
  bool ready() const { return started_ && !halted_; }
  bool halted() const { return halted_; }
  const std::string& notReadyReason() const { return not_ready_reason_; }
  const ConsumerMetrics& metrics() const { return metrics_; }
  size_t inFlight() const { return items_.size(); }

  struct Item;

 private:
  enum class Phase { Idle, EnsureGroup, Pending, New, Stopping, Stopped };

  void ensureGroup();
  void pump();
  void readBatch();
  void onBatch(bool pending, size_t asked, core::Result<std::vector<core::Delivery>> result);
  void onLogError(const core::Error& error, const char* what);
  void retryLater(std::chrono::milliseconds delay);
  void scheduleClaim();
  void claim();
  void admit(core::Delivery delivery, bool* stop_batch);
  void runHandler(const std::string& id);
  void onHandled(const std::string& id, core::Result<std::vector<core::AppendRecord>> result);
  void appendResults(const std::string& id);
  void park(const std::string& id, std::string reason);
  void ackEntry(const std::string& id);
  using Step = void (Consumer::*)(const std::string& id);
  void stepFailed(const std::string& id, const core::Error& error, Step again);
  void waitThen(const std::string& id, std::chrono::milliseconds delay, Step next);
  void finish(const std::string& id);   // acked: count and release the slot
  void abandon(const std::string& id);  // release the slot, the entry stays pending
  void halt(std::string reason);
  void maybeStopped();
  size_t freeSlots() const;
  Item* find(const std::string& id);
  // Starts an async step for an item and keeps its handle unless it already completed.
  void startStep(const std::string& id,
                 const std::function<core::CancelablePtr(uint64_t step)>& start);
  bool current(const std::string& id, uint64_t step);

  Runtime rt_;
  Handler& handler_;
  ConsumerConfig config_;
  Phase phase_ = Phase::Idle;
  bool started_ = false;
  bool halted_ = false;
  std::string not_ready_reason_ = "not started";
  std::string pending_after_ = "0";
  uint64_t log_failures_ = 0;
  uint64_t read_seq_ = 0;
  bool reading_ = false;
  core::CancelablePtr read_call_;
  core::CancelablePtr claim_timer_;
  core::CancelablePtr claim_call_;
  std::map<std::string, std::unique_ptr<Item>> items_;
  std::function<void()> on_stopped_;
  ConsumerMetrics metrics_;
};

}  // namespace od::events
