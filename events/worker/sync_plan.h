#pragma once
// The pure half of the version sync worker: what one VersionSyncRequested asks for (spec,
// object key, format, source), and the events it answers with. No I/O; the asynchronous
// steps live in version_sync.h.
// Thread affinity: pure functions and plain values, any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ports/event_log.h"
#include "core/ports/packager.h"
#include "core/ports/sources.h"
#include "core/resources/version.h"
#include "core/result.h"
#include "events/codec.h"
#include "events/envelope.h"

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

}  // namespace od::events
