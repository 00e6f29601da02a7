#pragma once
// StatusWriter: the `status` role for Versions (single-active; the lease is the composition
// root's). Module and Provider aggregates are written by the ModuleController from
// planModule's status patch; the StatusWriter is the one writer of every Version's /status.
//
// DESIGN
// - Two StreamTails read `resources` (into a events::ResourceState) and `facts` (into a
//   SyncLedger) from the beginning, then live. After both caught up every Version is
//   queued; then a Version is queued when it is observed changed or when a fact about it
//   arrives (WorkQueue: coalesced, one run per key, bounded, retried with backoff).
// - The desired status (desiredVersionStatus below) comes from the pure decisions and the
//   facts. It is PATCHed (merge patch on /status, core::versionStatusPatch, which keeps
//   lastTransitionTime of unchanged conditions) only when it differs from the status last
//   observed on the resources stream, and not again while the same status was already
//   written for the same observed resourceVersion (the watch has not caught up yet): a
//   duplicate fact causes no second patch.
// - spec.forceSync is not this role's: the ModuleController resets it (controller.h).
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents and *store must
// outlive the writer; destroying it cancels every call and timer.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/ports/resource_store.h"
#include "core/resources/version.h"
#include "events/reconcile/sync_ledger.h"
#include "events/reconcile/tail_set.h"
#include "events/reconcile/work_queue.h"
#include "events/runtime.h"
#include "events/resource_state.h"

namespace od::events {

// The reference's status text of a synced Version.
inline constexpr std::string_view kVersionSyncedText = "Successfully synced version";

// The status `version` should have, or nullopt when there is nothing to say yet (no result
// for it; or a result of a generation the resources stream has not shown). A Version the
// guards of planVersion refuse (a '.' in its name, no usable type, both or neither config
// ref) gets planVersion's terminal status. Otherwise the highest-ranked result decides:
// VersionSynced -> synced, "Successfully synced version", checksum, archiveSizeBytes,
// Ready/Synced True; VersionSyncFailed -> not synced, syncStatus the failure's reason (with
// the retry time when one is scheduled), Ready/Synced False (reason SyncFailed or
// RetryScheduled), the last stored checksum kept. observedGeneration is the result's
// generation. Other status members (scans, README ref) are kept. Conditions carry no
// lastTransitionTime (versionStatusPatch sets it). REQUIRES: `random` outlives the call.
std::optional<core::VersionStatus> desiredVersionStatus(const core::Version& version,
                                                        const VersionSyncRecord* record,
                                                        core::Clock::TimePoint now,
                                                        core::Random& random);

struct StatusWriterConfig {
  std::chrono::milliseconds debounce{100};  // a changed key waits this long (bursts coalesce)
  size_t max_writes_in_flight = 8;          // status patches in flight at once
  BackoffPolicy retry_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(300000),
                              0.5};
  size_t read_batch = 256;                     // entries per stream read
  std::chrono::milliseconds read_block{5000};  // live reads wait this long
};

struct StatusWriterMetrics {
  uint64_t patches = 0;       // /status patches that succeeded
  uint64_t unchanged = 0;     // runs that found the status as desired (or already written)
  uint64_t write_errors = 0;  // failed patches
  uint64_t undecodable = 0;   // events or resources that did not decode
};

class StatusWriter {
 public:
  StatusWriter(Runtime runtime, core::ResourceStore& store, StatusWriterConfig config);
  ~StatusWriter();
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  void start();
  void stop();

  bool caughtUp() const { return tails_.caughtUp(); }
  bool ready() const { return tails_.ready(); }
  std::string notReadyReason() const { return tails_.notReadyReason(); }
  const StatusWriterMetrics& metrics() const { return metrics_; }
  size_t queued() const { return queue_.waiting(); }
  uint64_t retries() const { return queue_.retries(); }

 private:
  struct Written {
    std::string resource_version;  // observed when the patch was sent
    core::VersionStatus status;
  };
  void onResource(const Envelope& event);
  void onFact(const Envelope& event);
  void queueAllVersions(TailSet::Sync why);
  core::CancelablePtr write(const std::string& key, WorkQueue::Done done);

  Runtime rt_;
  core::ResourceStore& store_;
  StatusWriterConfig config_;
  events::ResourceState state_;
  SyncLedger ledger_;
  TailSet tails_;  // resources, facts
  WorkQueue queue_;
  std::map<std::string, Written, std::less<>> written_;
  StatusWriterMetrics metrics_;
};

}  // namespace od::events
