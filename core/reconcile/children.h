#pragma once
// The child-Version planner shared by the Module and Provider reconcilers: from the desired
// entries (one per module version, or per provider version x OS x arch) and the Versions
// that exist with the parent's labels, decide what to create, patch and delete.
//
// Rules (the reference's bugs fixed, inventory §9 items 9-11):
// - versionHistoryLimit keeps the N highest distinct versions (N above the count keeps all,
//   <= 0 or unset keeps all); the rest are pruned: not created, and deleted when they exist.
//   The parent's spec.versions is never rewritten.
// - An existing Version is matched by name, else by its normalised version (SemVer
//   canonical, with OS/arch), so `v2.0.0` and `2.0.0` are one version and nothing churns.
// - A matched Version is patched (minimal merge patch) only when its desired labels or spec
//   differ; finalizers, owner references, forceSync and an existing fileName are kept.
// - Only Versions controlled by the parent are patched or deleted; one that is being
//   deleted is left alone (and recreated once gone).
// Thread affinity: pure functions, any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/reconcile/sync.h"
#include "core/resources/meta.h"
#include "core/resources/version.h"
#include "core/version.h"

namespace od::core {

struct VersionPatch {
  std::string name;
  std::string patch;  // JSON merge patch for the Version object
};
struct VersionDeletion {
  std::string name;
  std::string version;  // its spec.version
  std::string reason;   // "removed from spec.versions" or "pruned by versionHistoryLimit=N"
};
struct VersionSyncRequest {
  std::string name;
  SyncReason reason;
};

// What one reconcile of a Module or Provider should do. Created objects are complete
// (toJson() gives the request body); updates and status are merge patches ("" = none).
struct ChildrenPlan {
  std::vector<Version> creates;
  std::vector<VersionPatch> updates;
  std::vector<VersionDeletion> deletes;
  std::vector<VersionSyncRequest> syncs;  // forceSync of the parent, one per existing Version
  std::vector<std::string> problems;      // per entry: invalid or colliding versions, conflicts
  std::vector<std::string> pruned;        // versions as written, pruned by versionHistoryLimit
  std::optional<std::string> latest_version;  // semverCanonical ('v'-prefixed); none if empty
  std::string parent_patch;  // forceSyncResetPatch() when the parent's forceSync was set
  std::string status_patch;  // merge patch for the parent's /status
};

// One desired Version.
struct ChildEntry {
  std::string name;          // from names.h
  std::string version_text;  // spec.version
  std::string ref_key;       // the key of the parent's status refs
  std::string os;
  std::string arch;
  SemVer semver;
  std::map<std::string, std::string> labels;  // per-entry labels beside the common ones
};

// What every child of one parent shares.
struct ChildTemplate {
  OwnerReference owner;  // the parent, controller and blockOwnerDeletion set
  std::string namespace_;
  std::map<std::string, std::string> labels;
  VersionSpec base_spec;   // type and config ref
  std::string extension;   // of new file names: "zip" or "tar.gz"
  std::optional<int64_t> history_limit;
  bool force_sync = false;
};

// One kept entry and the Version that serves it.
struct ResolvedChild {
  ChildEntry entry;
  std::string name;  // the existing Version's name when it was matched by version
  std::string file_name;
  bool synced = false;  // exists, unchanged, status synced with a checksum
};

struct ChildrenOutcome {
  ChildrenPlan plan;
  std::vector<ResolvedChild> children;  // in entry order
};

// The controller owner reference to a parent.
OwnerReference controllerRef(std::string_view kind, const ObjectMeta& parent);

// REQUIRES: `random` outlives the call. `entries` hold valid, distinct names.
ChildrenOutcome planChildren(const ChildTemplate& tmpl, const std::vector<ChildEntry>& entries,
                             const std::vector<Version>& existing, Clock::TimePoint now,
                             Random& random);

// synced, syncStatus and the Ready/Synced conditions (without lastTransitionTime) for a
// parent, from its children's real statuses. `kind_word` is "module" or "provider".
struct SyncSummary {
  bool synced = false;
  std::string sync_status;
  std::vector<Condition> conditions;
};
SyncSummary summarizeChildren(const ChildrenOutcome& outcome, std::string_view kind_word,
                              int64_t generation, std::optional<int64_t> history_limit);
// A spec the reconciler cannot act on: not synced, Ready/Synced False with InvalidSpec.
SyncSummary specErrorSummary(const std::string& message, int64_t generation);

}  // namespace od::core
