#pragma once
// Whether a Version needs a sync (a VersionSyncRequested on `od:{ctl}:work`), and why.
// The caller folds the Version's sync facts into SyncHistory; the decision is pure.
// Thread affinity: pure functions, any thread.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/resources/version.h"

namespace od::core {

// VersionSyncRequested.reason (ARCHITECTURE, events catalogue).
enum class SyncReason { New, ForceSync, Retry, Resync };
// "new", "forceSync", "retry", "resync".
std::string_view syncReasonName(SyncReason reason);

// What the last sync of this Version came to.
enum class SyncOutcome { None, Synced, FailedRetryable, FailedTerminal, Blocked };

// The Version's sync history, folded from `work` and `facts`.
struct SyncHistory {
  // Generation of a VersionSyncRequested that no result has answered yet.
  std::optional<int64_t> pending_generation;
  // Generation of the last VersionSynced / VersionSyncFailed / VersionBlocked.
  std::optional<int64_t> result_generation;
  SyncOutcome last_outcome = SyncOutcome::None;
  // VersionSyncFailed.nextAttemptAt (Unix ms) of a retryable failure.
  std::optional<int64_t> next_attempt_at_ms;
  // Generation written by the worker's own reset of spec.forceSync after a forced sync; it
  // counts as synced, so the reset does not trigger another download.
  std::optional<int64_t> reset_generation;
};

// The reason to request a sync of `version` now, or nullopt. In order:
// - being deleted, or a request for this generation still pending: nothing;
// - no result on record: forceSync when spec.forceSync, nothing when the status is already
//   synced with a checksum (synced before our history began), else new;
// - metadata.generation above the last result's (and the reset's): forceSync when
//   spec.forceSync, else resync (a forceSync already answered at this generation is done);
// - a retryable failure whose nextAttemptAt has come (or is unset): retry.
std::optional<SyncReason> needsSync(const Version& version, const SyncHistory& history,
                                    int64_t now_unix_ms);

}  // namespace od::core
