// Table tests for needsSync: new, forceSync, resync, retry and the cases that need nothing.
#include <gtest/gtest.h>

#include "core/reconcile/sync.h"

namespace od::core {
namespace {

struct Case {
  const char* what;
  int64_t generation;
  bool force_sync;
  bool synced_with_checksum;
  bool deleting;
  SyncHistory history;
  std::optional<SyncReason> want;
};

SyncHistory result(int64_t generation, SyncOutcome outcome,
                   std::optional<int64_t> next = std::nullopt) {
  SyncHistory h;
  h.result_generation = generation;
  h.last_outcome = outcome;
  h.next_attempt_at_ms = next;
  return h;
}

SyncHistory pending(int64_t generation, SyncHistory h = {}) {
  h.pending_generation = generation;
  return h;
}

SyncHistory reset(int64_t generation, SyncHistory h) {
  h.reset_generation = generation;
  return h;
}

TEST(NeedsSync, DecidesFromGenerationForceSyncAndRetryTimes) {
  constexpr int64_t kNow = 1000;
  const std::vector<Case> cases = {
      {"brand new", 1, false, false, false, {}, SyncReason::New},
      {"new with forceSync", 1, true, false, false, {}, SyncReason::ForceSync},
      {"synced before our history", 4, false, true, false, {}, std::nullopt},
      {"being deleted", 1, false, false, true, {}, std::nullopt},
      {"request pending", 1, false, false, false, pending(1), std::nullopt},
      {"pending for an older generation", 2, false, false, false, pending(1), SyncReason::New},
      {"synced at this generation", 3, false, true, false, result(3, SyncOutcome::Synced),
       std::nullopt},
      {"spec changed since", 4, false, true, false, result(3, SyncOutcome::Synced),
       SyncReason::Resync},
      {"forceSync set since", 4, true, true, false, result(3, SyncOutcome::Synced),
       SyncReason::ForceSync},
      {"forceSync already answered", 4, true, true, false, result(4, SyncOutcome::Synced),
       std::nullopt},
      {"worker's forceSync reset", 5, false, true, false,
       reset(5, result(4, SyncOutcome::Synced)), std::nullopt},
      {"retry due", 2, false, false, false, result(2, SyncOutcome::FailedRetryable, 900),
       SyncReason::Retry},
      {"retry due exactly now", 2, false, false, false,
       result(2, SyncOutcome::FailedRetryable, kNow), SyncReason::Retry},
      {"retry not yet due", 2, false, false, false,
       result(2, SyncOutcome::FailedRetryable, 1001), std::nullopt},
      {"terminal failure", 2, false, false, false, result(2, SyncOutcome::FailedTerminal),
       std::nullopt},
      {"terminal failure, spec fixed", 3, false, false, false,
       result(2, SyncOutcome::FailedTerminal), SyncReason::Resync},
      {"blocked", 2, false, false, false, result(2, SyncOutcome::Blocked), std::nullopt},
  };
  for (const Case& c : cases) {
    Version v;
    v.metadata.name = "m-1-0-0";
    v.metadata.generation = c.generation;
    v.spec.force_sync = c.force_sync;
    v.spec.file_name = "f.zip";
    if (c.synced_with_checksum) {
      v.status.synced = true;
      v.status.checksum = "abc=";
    }
    if (c.deleting) {
      v.metadata.deletion_timestamp = "2027-01-01T00:00:00Z";
    }
    EXPECT_EQ(needsSync(v, c.history, kNow), c.want) << c.what;
  }
}

TEST(NeedsSync, ReasonNamesMatchTheEventCatalogue) {
  EXPECT_EQ(syncReasonName(SyncReason::New), "new");
  EXPECT_EQ(syncReasonName(SyncReason::ForceSync), "forceSync");
  EXPECT_EQ(syncReasonName(SyncReason::Retry), "retry");
  EXPECT_EQ(syncReasonName(SyncReason::Resync), "resync");
}

}  // namespace
}  // namespace od::core
