#pragma once
// EventLog: the port to the append-only streams (Valkey in production, FakeEventLog in unit
// tests). It speaks in raw stream entries (id + field/value pairs); the event envelope and
// its codecs live in events/, which is the only layer that gives the fields meaning.
//
// DESIGN
// - Every call is asynchronous: it returns at once with a Cancelable handle and later calls
//   its callback exactly once on the loop thread, unless the handle was cancelled or
//   destroyed first. Implementations apply their own per-call timeout and report it as
//   Errc::Timeout; a lost connection is Errc::Unavailable (both retryable()).
// - append() is idempotent per record: a record whose `dedupe_id` was appended before (within
//   the retention of the seen-marker, 7 days) is not appended again and reports
//   `duplicate = true`. The marker and the entry are written atomically.
// - Consumer groups give at-least-once delivery. readGroup() with `pending = true` re-reads
//   this consumer's own unacknowledged entries (after a restart); claimIdle() takes over
//   entries that other consumers left idle. Both report how often each entry was delivered,
//   so the caller can park poison entries.
// - The due set holds records to be appended at a later time (retries, polling).
//   releaseDue() moves every record whose time has come into its stream atomically, with
//   the same idempotence as append().
// - A handle may be destroyed (or cancelled) from inside its own callback; that is a no-op.
// - A pending re-read returns an entry whose stream entry was trimmed away with EMPTY fields
//   (Valkey replies with a nil body); its delivery count is then not bumped.
//
// Thread affinity: loop thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::core {

using StreamFields = std::vector<std::pair<std::string, std::string>>;

struct StreamEntry {
  std::string id;  // the stream's entry id, "<ms>-<seq>"
  StreamFields fields;
};

// An entry handed to a group consumer, with the number of times it has been delivered
// (1 on first delivery).
struct Delivery {
  StreamEntry entry;
  uint64_t deliveries = 1;
};

struct AppendRecord {
  std::string stream;     // e.g. "od:{ctl}:facts"
  std::string dedupe_id;  // the event's deterministic id; empty means "always append"
  StreamFields fields;
};

struct AppendResult {
  std::string entry_id;  // the new entry's id; empty when duplicate
  bool duplicate = false;
};

struct GroupRead {
  std::string stream;
  std::string group;
  std::string consumer;
  size_t count = 64;                       // at most this many entries
  std::chrono::milliseconds block{0};      // 0: return at once when nothing is there
  bool pending = false;                    // re-read own unacknowledged entries instead of new
  // With pending = true: only own pending entries with ids greater than this (XREADGROUP's
  // explicit id), so a consumer can page through a long pending list. Ignored otherwise.
  std::string after_id = "0";
};

struct ClaimRequest {
  std::string stream;
  std::string group;
  std::string consumer;                    // who takes the entries over
  std::chrono::milliseconds min_idle{120000};
  size_t count = 64;
};

struct ClaimResult {
  std::vector<Delivery> claimed;
  std::vector<std::string> deleted_ids;    // pending ids whose entries were trimmed away
};

struct DueRecord {
  std::chrono::system_clock::time_point due_at;
  AppendRecord record;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  using StatusCallback = std::function<void(Status)>;

  // Appends records in order; stops at the first error (earlier records stay appended).
  virtual CancelablePtr append(std::vector<AppendRecord> records,
                               Callback<std::vector<AppendResult>> done) = 0;

  // Entries strictly after `after_id` ("0" for the beginning), oldest first. With a
  // non-zero `block` it waits up to that long for new entries (catch-up then live reading).
  virtual CancelablePtr read(std::string stream, std::string after_id, size_t count,
                             std::chrono::milliseconds block,
                             Callback<std::vector<StreamEntry>> done) = 0;

  // Creates the group (and the stream) if missing, reading from the stream's start.
  virtual CancelablePtr ensureGroup(std::string stream, std::string group,
                                    StatusCallback done) = 0;
  virtual CancelablePtr readGroup(GroupRead request, Callback<std::vector<Delivery>> done) = 0;
  virtual CancelablePtr ack(std::string stream, std::string group, std::vector<std::string> ids,
                            StatusCallback done) = 0;
  virtual CancelablePtr claimIdle(ClaimRequest request, Callback<ClaimResult> done) = 0;

  // The due set (od:{ctl}:due). schedule() replaces an earlier record with the same
  // dedupe_id, so rescheduling is idempotent.
  virtual CancelablePtr schedule(DueRecord record, StatusCallback done) = 0;
  // Appends every record due at or before `now` (at most `count`) and removes it from the
  // set; returns how many were released.
  virtual CancelablePtr releaseDue(std::chrono::system_clock::time_point now, size_t count,
                                   Callback<size_t> done) = 0;

  // Projection checkpoints (od:{ctl}:ckpt:<name>): the id of the last entry folded in.
  virtual CancelablePtr loadCheckpoint(std::string name,
                                       Callback<std::optional<std::string>> done) = 0;
  virtual CancelablePtr storeCheckpoint(std::string name, std::string entry_id,
                                        StatusCallback done) = 0;
};

}  // namespace od::core
