#pragma once
// SyncLedger: the fold of `od:{ctl}:work` and `od:{ctl}:facts` per Version key — the sync
// requests, results and stored artifacts the reconcile and status roles decide from.
//
// DESIGN
// Order-independent: the two streams are read by separate tails, so a result may be folded
// before the request it answers. Requests and results are therefore ranked by (generation,
// attempt), not by arrival, and a request is pending while no result ranks at or above it
// (a tie goes to the later arrival). Duplicates and replays change nothing.
// Requests appended by the reconciler carry the Version's uid as the envelope's `corr`; a
// history whose requests name another uid belongs to an earlier object of the same name and
// reads as empty for the current one.
// The forceSync reset (ARCHITECTURE: a forced sync's flag is reset afterwards) moves the
// Version's generation without changing what is synced; history() recognises it from the
// streams alone — the current spec equals the last answered request's spec but for
// forceSync — and reports it as reset_generation, so the reset never triggers a download,
// after a restart included.
//
// Thread affinity: plain value; one owner (a role on the loop thread) mutates it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/reconcile/sync.h"
#include "core/resources/version.h"
#include "core/result.h"
#include "events/codec.h"
#include "events/envelope.h"

namespace od::events {

struct SyncRequestRecord {
  int64_t generation = 0;
  int64_t attempt = 1;
  SyncReason reason = SyncReason::New;
  std::optional<core::VersionSpec> spec;  // nullopt when the request's spec did not decode
  std::string uid;                        // the envelope's corr; "" when unknown
};

struct SyncResultRecord {
  bool synced = false;  // VersionSynced; else VersionSyncFailed
  int64_t generation = 0;
  int64_t attempt = 1;
  std::string reason;  // the failure's reason
  bool retryable = false;
  std::optional<int64_t> next_attempt_at;  // Unix ms
};

struct ArtifactRecord {
  int64_t generation = 0;
  std::string file_name;
  std::string checksum;  // base64 SHA-256
  uint64_t size = 0;
};

struct VersionSyncRecord {
  std::optional<SyncRequestRecord> request;  // highest ranked
  std::optional<SyncResultRecord> result;    // highest ranked
  std::optional<ArtifactRecord> synced;      // the highest VersionSynced
  std::optional<ArtifactRecord> stored;      // the highest ArtifactStored
};

class SyncLedger {
 public:
  enum class Change { None, Request, Result, Stored };

  // Folds one envelope. Types other than VersionSyncRequested, VersionSynced,
  // VersionSyncFailed and ArtifactStored are Change::None. Errors: Corrupt data (unchanged).
  core::Result<Change> apply(const Envelope& event);

  const VersionSyncRecord* find(std::string_view key) const;

  // The history needsSync() wants for `version` (observed under `key`) as it is now.
  core::SyncHistory history(std::string_view key, const core::Version& version) const;
  // The attempt number of the next request for `generation`: one above every request and
  // result recorded for it, 1 when there is none.
  int64_t nextAttempt(std::string_view key, int64_t generation) const;

  size_t size() const { return records_.size(); }

 private:
  std::map<std::string, VersionSyncRecord, std::less<>> records_;
  std::map<std::string, int64_t, std::less<>> max_attempt_;  // "key#generation" -> attempt
  void noteAttempt(const std::string& key, int64_t generation, int64_t attempt);
};

// A spec carried verbatim by an event, decoded; nullopt when it is no Version spec.
std::optional<core::VersionSpec> decodeVersionSpec(std::string_view spec_json);

}  // namespace od::events
