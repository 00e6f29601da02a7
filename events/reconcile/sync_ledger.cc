#include "events/reconcile/sync_ledger.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "core/resources/meta.h"

namespace od::events {
namespace {

bool ranksAtLeast(int64_t gen_a, int64_t attempt_a, int64_t gen_b, int64_t attempt_b) {
  return std::tie(gen_a, attempt_a) >= std::tie(gen_b, attempt_b);
}

bool sameButForceSync(core::VersionSpec a, core::VersionSpec b) {
  a.force_sync = false;
  b.force_sync = false;
  return a == b;
}

}  // namespace

std::optional<core::VersionSpec> decodeVersionSpec(std::string_view spec_json) {
  std::string doc = "{\"apiVersion\":\"" + std::string(core::kApiVersion) +
                    "\",\"kind\":\"Version\",\"metadata\":{\"name\":\"spec\"},\"spec\":";
  doc.append(spec_json).append("}");
  auto decoded = core::decodeVersion(doc);
  if (!decoded.ok()) {
    return std::nullopt;
  }
  return std::move(decoded->resource.spec);
}

core::Result<SyncLedger::Change> SyncLedger::apply(const Envelope& event) {
  if (event.type == type::kVersionSyncRequested) {
    OD_TRY(VersionSyncRequested d, decodeAs<VersionSyncRequested>(event));
    noteAttempt(event.key, d.generation, d.attempt);
    auto& slot = records_[event.key].request;
    if (!slot || ranksAtLeast(d.generation, d.attempt, slot->generation, slot->attempt)) {
      slot = SyncRequestRecord{d.generation, d.attempt, d.reason, decodeVersionSpec(d.spec),
                               event.corr};
    }
    return Change::Request;
  }
  if (event.type == type::kVersionSynced || event.type == type::kVersionSyncFailed) {
    SyncResultRecord r;
    ArtifactRecord artifact;
    if (event.type == type::kVersionSynced) {
      OD_TRY(VersionSynced d, decodeAs<VersionSynced>(event));
      r = SyncResultRecord{true, d.generation, d.attempt, "", false, std::nullopt};
      artifact = ArtifactRecord{d.generation, d.file_name, d.checksum, d.size};
    } else {
      OD_TRY(VersionSyncFailed d, decodeAs<VersionSyncFailed>(event));
      r = SyncResultRecord{false, d.generation, d.attempt, d.reason, d.retryable,
                           d.next_attempt_at};
    }
    noteAttempt(event.key, r.generation, r.attempt);
    auto& record = records_[event.key];
    if (!record.result ||
        ranksAtLeast(r.generation, r.attempt, record.result->generation, record.result->attempt)) {
      record.result = r;
    }
    if (r.synced && (!record.synced || artifact.generation >= record.synced->generation)) {
      record.synced = std::move(artifact);
    }
    return Change::Result;
  }
  if (event.type == type::kArtifactStored) {
    OD_TRY(ArtifactStored d, decodeAs<ArtifactStored>(event));
    auto& slot = records_[event.key].stored;
    if (!slot || d.generation >= slot->generation) {
      slot = ArtifactRecord{d.generation, d.file_name, d.checksum, d.size};
    }
    return Change::Stored;
  }
  return Change::None;
}

void SyncLedger::noteAttempt(const std::string& key, int64_t generation, int64_t attempt) {
  auto& max = max_attempt_[key + "#" + std::to_string(generation)];
  max = std::max(max, attempt);
}

const VersionSyncRecord* SyncLedger::find(std::string_view key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

int64_t SyncLedger::nextAttempt(std::string_view key, int64_t generation) const {
  auto it = max_attempt_.find(std::string(key) + "#" + std::to_string(generation));
  return it == max_attempt_.end() ? 1 : it->second + 1;
}

core::SyncHistory SyncLedger::history(std::string_view key, const core::Version& version) const {
  core::SyncHistory h;
  const VersionSyncRecord* record = find(key);
  if (record == nullptr) {
    return h;
  }
  const auto& req = record->request;
  if (req && !req->uid.empty() && req->uid != version.metadata.uid) {
    return h;  // the history of an earlier object under the same name
  }
  const auto& res = record->result;
  if (req && (!res || !ranksAtLeast(res->generation, res->attempt, req->generation,
                                    req->attempt))) {
    h.pending_generation = req->generation;
  }
  if (!res) {
    return h;
  }
  h.result_generation = res->generation;
  h.last_outcome = res->synced      ? core::SyncOutcome::Synced
                   : res->retryable ? core::SyncOutcome::FailedRetryable
                                    : core::SyncOutcome::FailedTerminal;
  h.next_attempt_at_ms = res->next_attempt_at;
  const int64_t generation = version.metadata.generation;
  if (res->synced && !h.pending_generation && generation > res->generation &&
      !version.spec.force_sync && req && req->spec && req->generation <= res->generation &&
      sameButForceSync(*req->spec, version.spec)) {
    h.reset_generation = generation;
  }
  return h;
}

}  // namespace od::events
