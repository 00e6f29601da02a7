#include "events/reconcile/status_writer.h"

#include <utility>

#include "core/reconcile/merge_patch.h"
#include "core/reconcile/standalone.h"
#include "events/codec.h"
#include "events/reconcile/observed.h"
#include "events/streams.h"

namespace od::events {
namespace {

core::Condition condition(std::string type, bool ok, std::string reason, std::string message,
                          int64_t generation) {
  core::Condition c;
  c.type = std::move(type);
  c.status = ok ? "True" : "False";
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

// The artifact a result stands for: the one of its own generation when known.
const ArtifactRecord* artifactFor(const VersionSyncRecord& record, int64_t generation) {
  if (record.synced && record.synced->generation == generation) {
    return &*record.synced;
  }
  if (record.stored && record.stored->generation == generation) {
    return &*record.stored;
  }
  return record.synced ? &*record.synced : nullptr;
}

}  // namespace

std::optional<core::VersionStatus> desiredVersionStatus(const core::Version& version,
                                                        const VersionSyncRecord* record,
                                                        core::Clock::TimePoint now,
                                                        core::Random& random) {
  if (version.metadata.deletion_timestamp) {
    return std::nullopt;
  }
  core::VersionDecision d = core::planVersion(version, core::SyncHistory{}, now, random);
  if (d.terminal_message) {
    for (auto& c : d.status.conditions) {
      c.last_transition_time.clear();
    }
    return d.status;
  }
  if (record == nullptr || !record->result ||
      record->result->generation > version.metadata.generation) {
    return std::nullopt;
  }
  const SyncResultRecord& r = *record->result;
  core::VersionStatus s = version.status;
  s.observed_generation = r.generation;
  if (const ArtifactRecord* artifact = artifactFor(*record, r.generation)) {
    s.checksum = artifact->checksum;
    s.archive_size_bytes = static_cast<int64_t>(artifact->size);
  }
  if (r.synced) {
    s.synced = true;
    s.sync_status = std::string(kVersionSyncedText);
    const std::string message = "artifact stored with checksum " + s.checksum.value_or("");
    s.conditions = {condition("Ready", true, "Synced", message, r.generation),
                    condition("Synced", true, "Synced", message, r.generation)};
    return s;
  }
  s.synced = false;
  s.sync_status = r.reason;
  std::string reason = "SyncFailed";
  if (r.retryable) {
    reason = "RetryScheduled";
    if (r.next_attempt_at) {
      s.sync_status += "; retry at " + core::formatRfc3339(core::Clock::TimePoint(
                                           std::chrono::milliseconds(*r.next_attempt_at)));
    }
  }
  s.conditions = {condition("Ready", false, reason, s.sync_status, r.generation),
                  condition("Synced", false, reason, s.sync_status, r.generation)};
  return s;
}

StatusWriter::StatusWriter(Runtime runtime, core::ResourceStore& store, StatusWriterConfig config)
    : rt_(runtime),
      store_(store),
      config_(std::move(config)),
      tails_(runtime, TailSetConfig{config_.read_batch, config_.read_block, {}},
             {{std::string(streams::kResources), [this](const Envelope& e) { onResource(e); }},
              {std::string(streams::kFacts), [this](const Envelope& e) { onFact(e); }}},
             [this](TailSet::Sync why) { queueAllVersions(why); }),
      queue_(runtime,
             WorkQueueConfig{config_.debounce, config_.max_writes_in_flight,
                             config_.retry_backoff},
             [this](const std::string& key, WorkQueue::Done done) {
               return write(key, std::move(done));
             }) {}

StatusWriter::~StatusWriter() { stop(); }

// A restart after stop() (the lease lost and won back) queues every Version again (TailSet).
void StatusWriter::start() { tails_.start(); }

void StatusWriter::queueAllVersions(TailSet::Sync why) {
  if (why == TailSet::Sync::CaughtUp) {
    rt_.logger.info("event=StatusCaughtUp resources={} versions_with_facts={}", state_.size(),
                    ledger_.size());
  }
  for (const auto* entry : state_.list(core::kKindVersion)) {
    queue_.add(entry->key.str());
  }
}

void StatusWriter::stop() {
  tails_.stop();
  queue_.clear();
}

void StatusWriter::onResource(const Envelope& event) {
  auto outcome = state_.apply(event);
  if (!outcome.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=ResourceEventUndecodable id={} key={} error=\"{}\"", event.id,
                    event.key, outcome.error().describe());
    return;
  }
  if (*outcome == events::ResourceState::Outcome::Deleted) {
    written_.erase(event.key);
  }
  if (tails_.initialDone() && *outcome == events::ResourceState::Outcome::Changed &&
      event.key.rfind("Version/", 0) == 0) {
    queue_.add(event.key);
  }
}

void StatusWriter::onFact(const Envelope& event) {
  auto change = ledger_.apply(event);
  if (!change.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=FactUndecodable id={} key={} error=\"{}\"", event.id, event.key,
                    change.error().describe());
    return;
  }
  if (tails_.initialDone() && *change != SyncLedger::Change::None) {
    queue_.add(event.key);
  }
}

core::CancelablePtr StatusWriter::write(const std::string& key, WorkQueue::Done done) {
  const events::ResourceEntry* entry = ready() ? state_.find(key) : nullptr;
  auto version = entry ? observedVersion(*entry) : core::Result<core::Version>(core::makeError(
                                                       core::Errc::NotFound, "not observed"));
  if (!version.ok()) {
    metrics_.undecodable += entry ? 1 : 0;
    done(WorkQueue::Outcome::Done);
    return core::completedHandle();
  }
  const auto now = rt_.clock.now();
  auto desired = desiredVersionStatus(*version, ledger_.find(key), now, rt_.random);
  const std::string patch =
      desired ? core::versionStatusPatch(*version, *desired, core::formatRfc3339(now)) : "";
  const std::string& rv = entry->object.resource_version;
  auto it = written_.find(key);
  if (patch.empty() ||
      (it != written_.end() && it->second.resource_version == rv && it->second.status == *desired)) {
    ++metrics_.unchanged;
    done(WorkQueue::Outcome::Done);
    return core::completedHandle();
  }
  core::ResourceRef ref{entry->key.kind, entry->key.name_space, entry->key.name};
  return store_.patchStatus(
      ref, core::PatchType::Merge, patch,
      [this, key, rv, status = *desired, done = std::move(done)](core::Result<std::string> r) {
        if (r.ok()) {
          ++metrics_.patches;
          written_[key] = Written{rv, status};
          done(WorkQueue::Outcome::Done);
          return;
        }
        ++metrics_.write_errors;
        rt_.logger.warn("event=StatusPatchFailed key={} error=\"{}\"", key,
                        r.error().describe());
        const bool retry = r.error().retryable() || r.error().code == core::Errc::Conflict;
        done(retry ? WorkQueue::Outcome::Retry : WorkQueue::Outcome::Done);
      });
}

}  // namespace od::events
