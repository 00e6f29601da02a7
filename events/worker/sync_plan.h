#pragma once
// The pure half of the version sync worker: what one VersionSyncRequested asks for (spec,
// object key, format, source), and the events it answers with. No I/O; the asynchronous
// steps live in version_sync.h.
// Thread affinity: pure functions and plain values, any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/checksum.h"
#include "core/ports/clock.h"
#include "core/ports/event_log.h"
#include "core/ports/random.h"
#include "core/ports/packager.h"
#include "core/ports/sources.h"
#include "core/resources/version.h"
#include "core/result.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/scheduler.h"

namespace od::events {

struct SyncPlan {
  core::VersionSpec spec;
  std::string name_space;  // of the Version (from the event key)
  std::string object_key;  // core::artifactKey()
  std::string file_name;   // spec.fileName
  core::ArtifactFormat format = core::ArtifactFormat::Zip;
  bool local = false;      // repoUrl is file://
  bool immutable = false;  // moduleConfigRef.immutable
};

// The Version a request is about: "Version/<ns>/<name>" from the event key and the request's
// spec, parsed whole so the resource's own validation applies. Errc::Invalid with a sentence
// for the status otherwise.
core::Result<core::Version> requestVersion(const Envelope& event, const VersionSyncRequested& request);

// Where a Version's artifact is stored: spec.fileName (fixed by the reconciler) under
// core::artifactKey(). Errc::Invalid with a sentence for the status otherwise, as is an
// attempt below 1.
struct StoredAs {
  std::string file_name;
  std::string object_key;
};
core::Result<StoredAs> storedAs(const core::VersionSpec& spec, int64_t attempt,
                                std::string_view storage_root);

// The file names the sync jobs use under work_dir start with this.
inline constexpr std::string_view kSyncTempPrefix = ".od-sync-";

// "<work_dir>/.od-sync-<16 hex digits>": the base name of one request's temporary files.
std::string tempBase(std::string_view work_dir, uint64_t random_bits);

// Validates the request: key "Version/<ns>/<name>", a valid Version spec of type Module with
// a fileName and an object key under storage_root, and what the source needs (repoOwner and
// name for GitHub). Errc::Invalid with a sentence for the status otherwise; provider Versions
// are Invalid with kProviderNotImplemented.
core::Result<SyncPlan> planSync(const Envelope& event, const VersionSyncRequested& request,
                                std::string_view storage_root);

inline constexpr std::string_view kProviderNotImplemented = "provider sync is not implemented yet";

// What to download for a plan that is not local.
core::ModuleFetch moduleFetchFor(const SyncPlan& plan, std::string dest_path);

// A result event about the request's Version, as an idempotent record for `stream`:
// id eventId({T::kType, key, generation, attempt, request id}), same key, corr (the
// request's, or its id), cause = the request's id, ts = ts_ms.
template <typename T>
core::AppendRecord factRecord(std::string_view stream, const Envelope& request,
                              const VersionSyncRequested& data, const T& fact, int64_t ts_ms) {
  EnvelopeMeta meta;
  meta.id = eventId({T::kType, request.key, std::to_string(data.generation),
                     std::to_string(data.attempt), request.id});
  meta.key = request.key;
  meta.corr = request.corr.empty() ? request.id : request.corr;
  meta.cause = request.id;
  meta.ts = ts_ms;
  return toAppendRecord(stream, makeEnvelope(fact, std::move(meta)));
}

// The next attempt of `data` (attempt + 1, reason retry) for the work stream, with the id
// eventId({VersionSyncRequested, key, generation, attempt + 1, "retry", request id}).
core::AppendRecord retryRecord(std::string_view work_stream, const Envelope& request,
                               const VersionSyncRequested& data, int64_t ts_ms);

// The answer to a stored artifact, in order: ArtifactStored, then VersionSynced (checksum
// base64 of the SHA-256, as Version status carries it; `h1`, providers only, the zip's
// dirhash).
std::vector<core::AppendRecord> storedFacts(std::string_view facts_stream, const Envelope& request,
                                            const VersionSyncRequested& data,
                                            const std::string& file_name,
                                            const std::string& object_key,
                                            const core::Sha256& sha256, uint64_t size, int64_t ts_ms,
                                            std::optional<std::string> h1 = std::nullopt);

// How failures are retried (VersionSyncConfig's part of it).
struct RetryRules {
  BackoffPolicy backoff;
  int64_t max_attempts = 5;
  std::string_view facts_stream;
  std::string_view work_stream;
};

// What one failed request becomes, for the module and the provider paths alike: while the
// error is retryable and attempts remain, a VersionSyncFailed{retryable, nextAttemptAt} plus
// the next attempt for the due set at now + backoff(attempt); otherwise a terminal
// VersionSyncFailed (whose reason says so when retryable attempts ran out).
struct FailurePlan {
  std::string reason;
  core::AppendRecord fact;
  std::optional<core::DueRecord> retry;  // set: schedule it, then answer with `fact`
  std::chrono::milliseconds delay{0};
};
// `random` is drawn from only when a retry is planned (the jitter).
FailurePlan planFailure(const RetryRules& rules, const Envelope& request,
                        const VersionSyncRequested& data, std::string reason, bool retryable,
                        core::Clock::TimePoint now, core::Random& random);

}  // namespace od::events
