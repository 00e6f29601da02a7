#pragma once
// FakeEventLog: an in-memory core::EventLog with the semantics of Valkey streams as the port
// describes them, for unit tests and the EventLog contract suite.
//
// DESIGN
// - Completions are QUEUED, never run inside the call: each call applies its effect at
//   once (as the server would on receipt) and posts its callback as a zero-delay timer on
//   the Clock. With FakeClock, `clock.runReady()` (or advance()) delivers them. Cancelling
//   or destroying the returned handle drops the callback (the effect stays, as with a real
//   server). Blocking reads (`block` > 0) with nothing to return wait until an append to
//   that stream satisfies them or `block` elapses on the Clock (then they return empty).
// - Entry ids are "<ms>-<seq>" from the Clock, strictly increasing per stream even when the
//   clock stands still or goes back.
// - append(): a record whose dedupe_id was seen within 7 days (by the Clock) reports
//   duplicate and appends nothing. Records are appended in order; the first failure stops.
// - Groups start at the stream's beginning ("0"). readGroup() on a missing group or stream
//   fails with Errc::NotFound ("NOGROUP ...", as XREADGROUP does).
//   New reads move the group's last-delivered id and add entries to the PEL (deliveries=1).
//   Pending reads return this consumer's PEL entries after `after_id` in id order and bump
//   their delivery count and time (XREADGROUP with an explicit id). A pending entry whose
//   stream entry was trimmed is
//   returned with EMPTY fields and its count untouched (Valkey returns a nil body).
// - claimIdle(): every PEL entry idle >= min_idle (by the Clock) moves to the claimer with
//   deliveries+1, up to `count`; PEL entries whose stream entry was trimmed are removed from
//   the PEL and listed in deleted_ids (XAUTOCLAIM, Valkey 7).
// - The due set is keyed by dedupe_id (an empty one gets a unique key); releaseDue() appends
//   due records in (due_at, insertion) order with append()'s dedupe, then removes them.
//
// Fault injection: failNext(n, code, op, mode) makes the next n matching calls fail with
// `code`. BeforeEffect: nothing happens. AfterEffect: the effect happens but the caller sees
// the error (a reply lost to a timeout).
//
// Thread affinity: the test thread only. *clock must outlive this object. Handles returned
// by the calls may outlive it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/event_log.h"

namespace od::fakes {

class FakeEventLog final : public core::EventLog {
 public:
  enum class Op {
    Any, Append, Read, EnsureGroup, ReadGroup, Ack, ClaimIdle, Schedule, ReleaseDue,
    LoadCheckpoint, StoreCheckpoint
  };
  enum class FaultMode { BeforeEffect, AfterEffect };

  struct PendingInfo {
    std::string id;
    std::string consumer;
    uint64_t deliveries = 0;
    core::Clock::TimePoint last_delivery;
  };

  explicit FakeEventLog(core::Clock& clock);
  ~FakeEventLog() override;

  // core::EventLog
  core::CancelablePtr append(std::vector<core::AppendRecord> records,
                             Callback<std::vector<core::AppendResult>> done) override;
  core::CancelablePtr read(std::string stream, std::string after_id, size_t count,
                           std::chrono::milliseconds block,
                           Callback<std::vector<core::StreamEntry>> done) override;
  core::CancelablePtr ensureGroup(std::string stream, std::string group,
                                  StatusCallback done) override;
  core::CancelablePtr readGroup(core::GroupRead request,
                                Callback<std::vector<core::Delivery>> done) override;
  core::CancelablePtr ack(std::string stream, std::string group, std::vector<std::string> ids,
                          StatusCallback done) override;
  core::CancelablePtr claimIdle(core::ClaimRequest request, Callback<core::ClaimResult> done) override;
  core::CancelablePtr schedule(core::DueRecord record, StatusCallback done) override;
  core::CancelablePtr releaseDue(std::chrono::system_clock::time_point now, size_t count,
                                 Callback<size_t> done) override;
  core::CancelablePtr loadCheckpoint(std::string name,
                                     Callback<std::optional<std::string>> done) override;
  core::CancelablePtr storeCheckpoint(std::string name, std::string entry_id,
                                      StatusCallback done) override;

  // Fault injection (see DESIGN).
  void failNext(size_t n, core::Errc code = core::Errc::Unavailable, Op op = Op::Any,
                FaultMode mode = FaultMode::BeforeEffect);
  void clearFaults();

  // Test hooks, synchronous. addNow() appends like append() (with dedupe when dedupe_id is
  // set) and returns the entry id, or "" for a duplicate.
  std::string addNow(const core::AppendRecord& record);
  // Removes every entry with id <= up_to_id (PEL entries stay, as with XTRIM).
  void trim(const std::string& stream, const std::string& up_to_id);

  // Inspection.
  std::vector<core::StreamEntry> entries(const std::string& stream) const;
  std::vector<PendingInfo> pending(const std::string& stream, const std::string& group) const;
  std::vector<core::DueRecord> due() const;
  std::optional<std::string> checkpoint(const std::string& name) const;
  size_t calls(Op op) const;  // calls made, failed ones included; Op::Any counts all
  size_t acked(const std::string& stream, const std::string& group) const;  // ids acked in total

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace od::fakes
