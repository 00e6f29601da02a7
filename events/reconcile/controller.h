#pragma once
// ModuleController: the `reconcile` role for Modules, Providers and their Versions
// (single-active; the lease is the composition root's). It APPLIES the pure decisions of
// core/reconcile.
//
// DESIGN
// - State. Three StreamTails read `resources`, `work` and `facts` from the beginning and
//   then live: resources fold into a events::ResourceState, work and facts into a SyncLedger.
//   Nothing is reconciled before all three have caught up; then every Module, Provider and
//   Version is queued once, and again every `resync_interval`.
// - Triggers. A changed or deleted Module or Provider (a parent) queues itself; a Version
//   queues itself and the parent that controls it (owner reference); a sync result queues
//   its Version. Keys run through a WorkQueue: bursts coalesce, one run per key at a time,
//   at most `max_writes_in_flight` runs at once, each with one write in flight (StepChain).
// - A parent: planModule or planProvider (parent, its labelled Versions from the
//   ResourceState); one path for both, only the decoding, label and decision differ. Creates
//   (409 AlreadyExists is fine), updates (with a resourceVersion precondition), deletes (404
//   is fine; then the deleted Version's artifact goes from the ObjectStore, key from
//   core::artifactKey), then one append: a VersionSyncRequested per Version for the parent's
//   forceSync and a ChildrenApplied fact when anything was applied; then the forceSync reset
//   of the parent (precondition) and its /status patch, each only when non-empty.
// - A Version: being deleted with our finalizer -> its artifact is deleted, then the
//   finalizer removed (one GET: observations carry no finalizers). Otherwise planVersion:
//   its spec patch (fileName, fixed once: precondition), or its VersionSyncRequested (a
//   Retry only as a fallback, see retry_grace), or —
//   once a forced sync of this generation is synced — the reset of spec.forceSync. The
//   reset's generation is recognised by the SyncLedger, so it never triggers a download.
//   Terminal guard statuses and every other Version /status are the StatusWriter's (one
//   writer per status).
// - Idempotence. Sync requests carry deterministic ids (syncRequestId below; the parent's
//   uid and generation for a parent's forceSync) and the Version's uid as `corr`, so a
//   restart, a replay or a duplicate reconcile appends nothing new.
// - Errors. Retryable store or log errors and Conflicts re-queue the key with backoff; other
//   errors are logged and counted, and the key waits for its next change or resync.
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents, *store and
// *objects (may be null: artifacts are then left alone) must outlive the controller;
// destroying it cancels every call and timer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/object_store.h"
#include "core/ports/resource_store.h"
#include "core/reconcile/children.h"
#include "core/reconcile/sync.h"
#include "events/codec.h"
#include "events/reconcile/step_chain.h"
#include "events/reconcile/sync_ledger.h"
#include "events/reconcile/tail_set.h"
#include "events/reconcile/work_queue.h"
#include "events/runtime.h"
#include "events/resource_state.h"

namespace od::events {

struct ModuleControllerConfig {
  std::string storage_root = "/data";  // --storage-root, for core::artifactKey
  std::chrono::milliseconds debounce{100};  // a changed key waits this long (bursts coalesce)
  size_t max_writes_in_flight = 8;          // keys reconciled at once, one write each
  std::chrono::milliseconds resync_interval{std::chrono::minutes(10)};  // 0: never
  // A retryable failure's retry is the worker's (it schedules it in the due set with the
  // failure); the controller requests one itself only when none came this long after the
  // failure's nextAttemptAt (a lost due record), at a resync or a change of the Version.
  std::chrono::milliseconds retry_grace{std::chrono::minutes(5)};
  BackoffPolicy retry_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(300000),
                              0.5};
  size_t read_batch = 256;                    // entries per stream read
  std::chrono::milliseconds read_block{5000};  // live reads wait this long
};

struct ModuleControllerMetrics {
  uint64_t reconciles = 0;     // runs finished
  uint64_t write_errors = 0;   // failed store, object store and log calls
  uint64_t creates = 0;        // child Versions created
  uint64_t updates = 0;        // child Versions patched
  uint64_t deletes = 0;        // child Versions deleted
  uint64_t spec_patches = 0;   // fileName, forceSync resets, finalizer removals
  uint64_t status_patches = 0;      // Module and Provider /status
  uint64_t sync_requests = 0;       // VersionSyncRequested appended (new entries)
  uint64_t children_applied = 0;    // ChildrenApplied appended (new entries)
  uint64_t duplicates = 0;          // records the log already had
  uint64_t artifacts_deleted = 0;
  uint64_t undecodable = 0;    // events or resources that did not decode
};

// The dedupe id of a VersionSyncRequested the controller appends for planVersion's decision
// about the Version `uid` at `generation` (a parent's forceSync adds the parent's uid and
// generation instead of the attempt). The same decision after a restart or replay gives the
// same id, so the log keeps one request.
std::string syncRequestId(std::string_view uid, int64_t generation, core::SyncReason reason,
                          int64_t attempt);

class ModuleController {
 public:
  ModuleController(Runtime runtime, core::ResourceStore& store, core::ObjectStore* objects,
                   ModuleControllerConfig config);
  ~ModuleController();
  ModuleController(const ModuleController&) = delete;
  ModuleController& operator=(const ModuleController&) = delete;

  void start();
  // Stops reading and reconciling at once; writes in flight are abandoned (their effects may
  // or may not have happened, which the next start reconciles).
  void stop();

  // All three streams caught up.
  bool caughtUp() const { return tails_.caughtUp(); }
  // Caught up and no stream halted on a newer schema version.
  bool ready() const { return tails_.ready(); }
  std::string notReadyReason() const { return tails_.notReadyReason(); }
  const ModuleControllerMetrics& metrics() const { return metrics_; }
  size_t queued() const { return queue_.waiting(); }
  size_t running() const { return queue_.active(); }
  uint64_t retries() const { return queue_.retries(); }
  const events::ResourceState& resources() const { return state_; }

 private:
  struct Plan {
    std::string key;
    std::vector<ChainStep> steps;
  };
  // What a parent's writes really did, filled in as they complete. A 409 on create means
  // the view is behind the watch: the status computed from it is not written.
  struct Applied {
    ChildrenApplied fact;
    bool stale = false;
  };
  void onResource(const Envelope& event);
  void onSyncEvent(const Envelope& event);
  void queueAll(TailSet::Sync why);
  core::CancelablePtr reconcile(const std::string& key, WorkQueue::Done done);
  // A Module or a Provider (controller_plans.cc's ParentView holds what differs).
  void planParent(const events::ResourceEntry& entry, Plan& plan);
  void planVersion(const events::ResourceEntry& entry, Plan& plan);
  void planFinalizer(const events::ResourceEntry& entry, const core::Version& version, Plan& plan);
  // Deletes the artifact of `version` when *when is true by the time the step runs.
  void addArtifactDeletion(const core::Version& version, std::shared_ptr<bool> when, Plan& plan);
  void applyChildrenPlan(const events::ResourceEntry& entry, const core::ChildrenPlan& c,
                         const std::vector<core::Version>& existing,
                         const std::map<std::string, const events::ResourceEntry*>& by_name,
                         Plan& plan);
  void addCreate(const std::string& ns, const core::Version& v, std::shared_ptr<Applied> applied,
                 Plan& plan);
  void addDelete(const events::ResourceEntry& victim, const std::vector<core::Version>& existing,
                 std::shared_ptr<Applied> applied, Plan& plan);
  // Appends what `records` returns when the step runs (nothing when it returns none).
  void addAppend(std::function<std::vector<core::AppendRecord>()> records, Plan& plan);
  core::AppendRecord syncRecord(const events::ResourceEntry& version, core::SyncReason reason,
                                std::string id) const;
  void addPatch(const std::string& kind, const events::ResourceEntry& entry, std::string patch,
                bool precondition, uint64_t* counter, Plan& plan);

  Runtime rt_;
  core::ResourceStore& store_;
  core::ObjectStore* objects_;
  ModuleControllerConfig config_;
  events::ResourceState state_;
  SyncLedger ledger_;
  TailSet tails_;  // resources, work, facts
  WorkQueue queue_;
  ModuleControllerMetrics metrics_;
};

}  // namespace od::events
