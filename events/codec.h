#pragma once
// The event vocabulary (ARCHITECTURE "Events": add to it, never change a published type)
// and the typed codecs of event `data`.
//
// Each type has a name and its current schema version; knownSchemaVersion() is what a
// consumer checks before handling (unknown type: skip; newer version: stop). Typed structs
// carry kType/kVersion; encodeData() writes their JSON (camelCase keys, deterministic
// order) and decodeData<T>() reads it back, ignoring unknown fields and reporting
// Errc::Corrupt with the field's name. Sub-documents that events carry verbatim (spec,
// status, ownerReferences) are kept as JSON text.
//
// Typed codecs exist for ResourceObserved, ResourceDeleted, VersionSyncRequested,
// VersionSyncFailed, ArtifactStored, VersionSynced, ChildrenApplied, DepotPollRequested,
// ReleasesDiscovered and ArtifactDownloaded; the other catalogue types have names and
// versions only so far (TODO(events): ArtifactScanned, VersionBlocked).
//
// Thread affinity: plain values and pure functions, any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "events/envelope.h"

namespace od::events {

namespace type {
inline constexpr std::string_view kResourceObserved = "ResourceObserved";
inline constexpr std::string_view kResourceDeleted = "ResourceDeleted";
inline constexpr std::string_view kVersionSyncRequested = "VersionSyncRequested";
inline constexpr std::string_view kDepotPollRequested = "DepotPollRequested";
inline constexpr std::string_view kArtifactStored = "ArtifactStored";
inline constexpr std::string_view kArtifactScanned = "ArtifactScanned";
inline constexpr std::string_view kVersionSynced = "VersionSynced";
inline constexpr std::string_view kVersionSyncFailed = "VersionSyncFailed";
inline constexpr std::string_view kVersionBlocked = "VersionBlocked";
inline constexpr std::string_view kChildrenApplied = "ChildrenApplied";
inline constexpr std::string_view kReleasesDiscovered = "ReleasesDiscovered";
inline constexpr std::string_view kArtifactDownloaded = "ArtifactDownloaded";
}  // namespace type

struct EventTypeInfo {
  std::string_view name;
  int version;             // the current schema version this build reads and writes
  std::string_view stream; // where the type is published
};

// The whole catalogue, in ARCHITECTURE's order.
std::span<const EventTypeInfo> eventCatalogue();
// The current schema version of a known type; nullopt for a type this build does not know.
std::optional<int> knownSchemaVersion(std::string_view type);

// Ids, keys, correlation and time of an event; the type, version and data come from T.
struct EnvelopeMeta {
  std::string id;
  std::string key;
  std::string corr;
  std::string cause;
  int64_t ts = 0;
};

struct ResourceObserved {
  static constexpr std::string_view kType = type::kResourceObserved;
  static constexpr int kVersion = 1;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string owner_references = "[]";  // JSON array, verbatim
  std::optional<std::string> deletion_timestamp;
  std::string spec = "{}";    // JSON, verbatim
  std::string status = "{}";  // JSON, verbatim
};

struct ResourceDeleted {
  static constexpr std::string_view kType = type::kResourceDeleted;
  static constexpr int kVersion = 1;
  std::string uid;
  std::string resource_version;
};

enum class SyncReason { New, ForceSync, Retry, Resync };
std::string_view syncReasonName(SyncReason reason);  // "new", "forceSync", "retry", "resync"

struct VersionSyncRequested {
  static constexpr std::string_view kType = type::kVersionSyncRequested;
  static constexpr int kVersion = 1;
  int64_t generation = 0;
  std::string spec = "{}";  // the Version's spec, verbatim
  int64_t attempt = 1;
  SyncReason reason = SyncReason::New;
};

struct VersionSyncFailed {
  static constexpr std::string_view kType = type::kVersionSyncFailed;
  static constexpr int kVersion = 1;
  int64_t generation = 0;
  std::string reason;
  bool retryable = false;
  int64_t attempt = 1;
  std::optional<int64_t> next_attempt_at;  // ms since the epoch, when a retry is scheduled
};

struct ArtifactStored {
  static constexpr std::string_view kType = type::kArtifactStored;
  static constexpr int kVersion = 1;
  int64_t generation = 0;
  std::string file_name;
  std::string location;  // storage location (backend-specific URI)
  std::string checksum;  // base64 SHA-256
  uint64_t size = 0;
};

// The end of a successful sync: the artifact is stored and verified.
struct VersionSynced {
  static constexpr std::string_view kType = type::kVersionSynced;
  static constexpr int kVersion = 1;
  int64_t generation = 0;
  std::string file_name;
  std::string checksum;  // base64 SHA-256 of the stored artifact
  uint64_t size = 0;
  int64_t attempt = 1;
  // Providers only: the dirhash of the zip's contents, "h1:<base64>" (protocol-conformance
  // §4.2), for the network mirror's hashes. Absent for modules and for facts written before
  // the field existed (an additive, optional member: schema version 1 still reads it).
  std::optional<std::string> h1;
};

// What one reconcile of a Module or Provider applied to its child Versions (key: the parent).
struct ChildrenApplied {
  static constexpr std::string_view kType = type::kChildrenApplied;
  static constexpr int kVersion = 1;
  int64_t generation = 0;              // the parent's metadata.generation
  std::vector<std::string> created;    // Version names
  std::vector<std::string> deleted;    // Version names
  std::optional<std::string> latest_version;  // 'v'-prefixed canonical; absent when none
};

// A request to list a Depot's upstream releases (work stream, key Depot/ns/name). It carries
// the Depot's spec as observed, so a worker needs no Kubernetes access; a poll of an older
// generation still runs, and its result is ignored by the reconciler.
struct DepotPollRequested {
  static constexpr std::string_view kType = type::kDepotPollRequested;
  static constexpr int kVersion = 1;
  int64_t generation = 0;
  int64_t attempt = 1;       // 1, then +1 per retry of a failed poll
  std::string reason;        // "observed", "interval", "retry" or "stale" (logs and audit)
  std::string spec = "{}";   // the Depot's spec, verbatim
};

// What one poll found for one Depot entry.
struct DiscoveredReleases {
  std::string kind;               // "Module" or "Provider"
  std::string name;               // the entry's name (its child's name)
  int64_t found = 0;              // versions or tags upstream listed
  std::vector<std::string> kept;  // canonical, highest first (core::selectVersions)
  std::optional<std::string> error;  // why the entry could not be listed; kept is empty then
  bool retryable = false;            // the error may pass (5xx, 429, network)
};

// The result of one DepotPollRequested (facts stream, key Depot/ns/name).
struct ReleasesDiscovered {
  static constexpr std::string_view kType = type::kReleasesDiscovered;
  static constexpr int kVersion = 1;
  int64_t generation = 0;  // of the Depot spec that was polled
  int64_t attempt = 1;
  std::vector<DiscoveredReleases> entries;
  std::optional<int64_t> next_attempt_at;  // ms since the epoch, when a retry poll is scheduled
};

// One artifact download served (key: Kind/namespace/name). The codec only checks types;
// consumers validate the values before using them in keys.
struct ArtifactDownloaded {
  static constexpr std::string_view kType = type::kArtifactDownloaded;
  static constexpr int kVersion = 1;
  std::string kind;        // "Module" or "Provider"
  std::string name_space;
  std::string name;
  std::string version;     // as the client requested it
  std::string os;          // providers only; empty otherwise
  std::string arch;        // providers only; empty otherwise
  std::string client;      // User-Agent product, may be empty
  int64_t at = 0;          // when it was served, ms since the Unix epoch
};

// REQUIRES: the verbatim JSON members hold valid JSON of the documented kind.
std::string encodeData(const ResourceObserved& d);
std::string encodeData(const ResourceDeleted& d);
std::string encodeData(const VersionSyncRequested& d);
std::string encodeData(const VersionSyncFailed& d);
std::string encodeData(const ArtifactStored& d);
std::string encodeData(const VersionSynced& d);
std::string encodeData(const ChildrenApplied& d);
std::string encodeData(const ArtifactDownloaded& d);
std::string encodeData(const DepotPollRequested& d);
std::string encodeData(const ReleasesDiscovered& d);

core::Result<ResourceObserved> decodeData(std::string_view data, std::type_identity<ResourceObserved>);
core::Result<ResourceDeleted> decodeData(std::string_view data, std::type_identity<ResourceDeleted>);
core::Result<VersionSyncRequested> decodeData(std::string_view data,
                                              std::type_identity<VersionSyncRequested>);
core::Result<VersionSyncFailed> decodeData(std::string_view data,
                                           std::type_identity<VersionSyncFailed>);
core::Result<ArtifactStored> decodeData(std::string_view data, std::type_identity<ArtifactStored>);
core::Result<VersionSynced> decodeData(std::string_view data, std::type_identity<VersionSynced>);
core::Result<ChildrenApplied> decodeData(std::string_view data,
                                         std::type_identity<ChildrenApplied>);
core::Result<ArtifactDownloaded> decodeData(std::string_view data,
                                            std::type_identity<ArtifactDownloaded>);
core::Result<DepotPollRequested> decodeData(std::string_view data,
                                            std::type_identity<DepotPollRequested>);
core::Result<ReleasesDiscovered> decodeData(std::string_view data,
                                            std::type_identity<ReleasesDiscovered>);

template <typename T>
Envelope makeEnvelope(const T& data, EnvelopeMeta meta) {
  return Envelope{std::string(T::kType), T::kVersion, std::move(meta.id), std::move(meta.key),
                  std::move(meta.corr), std::move(meta.cause), meta.ts, encodeData(data)};
}

// Decodes the data of `e` as T. Errors: Invalid when e is another type or a version this
// build cannot read (no upcaster yet); Corrupt when the data does not fit T.
template <typename T>
core::Result<T> decodeAs(const Envelope& e) {
  if (e.type != T::kType || e.v != T::kVersion) {
    return core::makeError(core::Errc::Invalid, "expected " + std::string(T::kType) + " v" +
                                                    std::to_string(T::kVersion) + ", got " +
                                                    e.type + " v" + std::to_string(e.v));
  }
  return decodeData(e.data, std::type_identity<T>{});
}

}  // namespace od::events
