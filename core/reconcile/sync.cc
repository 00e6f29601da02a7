#include "core/reconcile/sync.h"

#include <algorithm>

namespace od::core {

std::string_view syncReasonName(SyncReason reason) {
  switch (reason) {
    case SyncReason::New:
      return "new";
    case SyncReason::ForceSync:
      return "forceSync";
    case SyncReason::Retry:
      return "retry";
    case SyncReason::Resync:
      return "resync";
  }
  return "new";
}

std::optional<SyncReason> needsSync(const Version& version, const SyncHistory& history,
                                    int64_t now_unix_ms) {
  const int64_t generation = version.metadata.generation;
  if (version.metadata.deletion_timestamp) {
    return std::nullopt;
  }
  if (history.pending_generation && *history.pending_generation >= generation) {
    return std::nullopt;
  }
  if (!history.result_generation) {
    if (version.spec.force_sync) {
      return SyncReason::ForceSync;
    }
    if (version.status.synced && version.status.checksum && version.spec.file_name) {
      return std::nullopt;
    }
    return SyncReason::New;
  }
  const int64_t done = std::max(*history.result_generation, history.reset_generation.value_or(0));
  if (generation > done) {
    return version.spec.force_sync ? SyncReason::ForceSync : SyncReason::Resync;
  }
  if (history.last_outcome == SyncOutcome::FailedRetryable &&
      (!history.next_attempt_at_ms || now_unix_ms >= *history.next_attempt_at_ms)) {
    return SyncReason::Retry;
  }
  return std::nullopt;
}

}  // namespace od::core
