#include "events/codec.h"

#include <array>

#include "core/json.h"
#include "core/json_writer.h"
#include "events/streams.h"

namespace od::events {
namespace {

using core::Errc;
using core::Result;
using simdjson::dom::element;

constexpr std::array<EventTypeInfo, 12> kCatalogue = {{
    {type::kResourceObserved, 1, streams::kResources},
    {type::kResourceDeleted, 1, streams::kResources},
    {type::kVersionSyncRequested, 1, streams::kWork},
    {type::kDepotPollRequested, 1, streams::kWork},
    {type::kArtifactStored, 1, streams::kFacts},
    {type::kArtifactScanned, 1, streams::kFacts},
    {type::kVersionSynced, 1, streams::kFacts},
    {type::kVersionSyncFailed, 1, streams::kFacts},
    {type::kVersionBlocked, 1, streams::kFacts},
    {type::kChildrenApplied, 1, streams::kFacts},
    {type::kReleasesDiscovered, 1, streams::kFacts},
    {type::kArtifactDownloaded, 1, streams::kDownloads},
}};

// Reads the members of one event's data object; every error names the type and field.
class DataReader {
 public:
  static Result<DataReader> open(std::string_view data, std::string_view type) {
    auto doc = core::JsonDocument::parse(data, core::JsonLimits{kMaxDataBytes, 64});
    if (!doc.ok()) {
      return core::makeError(Errc::Corrupt, std::string(type) + " data: " + doc.error().message);
    }
    DataReader r(std::move(doc).value(), type);
    if (r.doc_.root().get_object().get(r.obj_)) {
      return r.fail("", "the data is not a JSON object");
    }
    return r;
  }

  // nullopt when the member is absent or null.
  std::optional<element> find(std::string_view key) const {
    element e;
    if (obj_.at_key(key).get(e) || e.is_null()) {
      return std::nullopt;
    }
    return e;
  }

  Result<std::string> str(std::string_view key, bool required) const {
    auto e = find(key);
    std::string_view s;
    if (!e) {
      return required ? Result<std::string>(fail(key, "missing")) : std::string();
    }
    if (e->get_string().get(s)) {
      return wrongType(key, "string", *e);
    }
    return std::string(s);
  }

  Result<int64_t> int64(std::string_view key, int64_t fallback) const {
    auto e = find(key);
    int64_t v = 0;
    if (!e) {
      return fallback;
    }
    if (e->get_int64().get(v)) {
      return wrongType(key, "integer", *e);
    }
    return v;
  }

  Result<bool> boolean(std::string_view key, bool fallback) const {
    auto e = find(key);
    bool v = false;
    if (!e) {
      return fallback;
    }
    if (e->get_bool().get(v)) {
      return wrongType(key, "boolean", *e);
    }
    return v;
  }

  // A sub-document kept verbatim; `fallback` when absent.
  Result<std::string> raw(std::string_view key, bool want_object, std::string fallback) const {
    auto e = find(key);
    if (!e) {
      return fallback;
    }
    if (want_object ? !e->is_object() : !e->is_array()) {
      return wrongType(key, want_object ? "object" : "array", *e);
    }
    return core::toJson(*e);
  }

  Result<std::vector<std::string>> strings(std::string_view key) const {
    std::vector<std::string> out;
    auto e = find(key);
    simdjson::dom::array arr;
    if (!e) {
      return out;
    }
    if (e->get_array().get(arr)) {
      return wrongType(key, "array", *e);
    }
    for (auto item : arr) {
      std::string_view s;
      if (item.get_string().get(s)) {
        return fail(key, "item " + std::to_string(out.size()) + " is not a string");
      }
      out.emplace_back(s);
    }
    return out;
  }

  Result<std::map<std::string, std::string>> stringMap(std::string_view key) const {
    std::map<std::string, std::string> out;
    auto e = find(key);
    simdjson::dom::object obj;
    if (!e) {
      return out;
    }
    if (e->get_object().get(obj)) {
      return wrongType(key, "object", *e);
    }
    for (auto [k, v] : obj) {
      std::string_view s;
      if (v.get_string().get(s)) {
        return fail(key, "member '" + std::string(k) + "' is not a string");
      }
      out.emplace(std::string(k), std::string(s));
    }
    return out;
  }

  core::Error fail(std::string_view key, std::string why) const {
    std::string where = key.empty() ? std::string() : " field '" + std::string(key) + "'";
    return core::makeError(Errc::Corrupt, type_ + " data:" + where + ": " + why);
  }

 private:
  DataReader(core::JsonDocument doc, std::string_view type) : doc_(std::move(doc)), type_(type) {}
  core::Error wrongType(std::string_view key, std::string_view want, element e) const {
    return fail(key, "expected " + std::string(want) + ", got " +
                         std::string(core::jsonTypeName(e)));
  }

  core::JsonDocument doc_;
  simdjson::dom::object obj_;
  std::string type_;
};

void writeStringMap(core::JsonWriter& w, std::string_view key,
                    const std::map<std::string, std::string>& m) {
  w.key(key).beginObject();
  for (const auto& [k, v] : m) {
    w.member(k, v);
  }
  w.endObject();
}

void writeStrings(core::JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  w.key(key).beginArray();
  for (const auto& s : v) {
    w.value(s);
  }
  w.endArray();
}

std::optional<SyncReason> parseSyncReason(std::string_view s) {
  for (auto r : {SyncReason::New, SyncReason::ForceSync, SyncReason::Retry, SyncReason::Resync}) {
    if (s == syncReasonName(r)) {
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const EventTypeInfo> eventCatalogue() { return kCatalogue; }

std::optional<int> knownSchemaVersion(std::string_view type) {
  for (const auto& info : kCatalogue) {
    if (info.name == type) {
      return info.version;
    }
  }
  return std::nullopt;
}

std::string_view syncReasonName(SyncReason reason) {
  switch (reason) {
    case SyncReason::New: return "new";
    case SyncReason::ForceSync: return "forceSync";
    case SyncReason::Retry: return "retry";
    case SyncReason::Resync: return "resync";
  }
  return "new";
}

std::string encodeData(const ResourceObserved& d) {
  core::JsonWriter w;
  w.beginObject().member("uid", d.uid).member("resourceVersion", d.resource_version);
  w.member("generation", d.generation);
  writeStringMap(w, "labels", d.labels);
  writeStringMap(w, "annotations", d.annotations);
  w.key("ownerReferences").raw(d.owner_references);
  if (d.deletion_timestamp) {
    w.member("deletionTimestamp", *d.deletion_timestamp);
  }
  w.key("spec").raw(d.spec).key("status").raw(d.status);
  return w.endObject().take();
}

std::string encodeData(const ResourceDeleted& d) {
  core::JsonWriter w;
  w.beginObject().member("uid", d.uid).member("resourceVersion", d.resource_version);
  return w.endObject().take();
}

std::string encodeData(const VersionSyncRequested& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).key("spec").raw(d.spec);
  w.member("attempt", d.attempt).member("reason", syncReasonName(d.reason));
  return w.endObject().take();
}

std::string encodeData(const VersionSyncFailed& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).member("reason", d.reason);
  w.member("retryable", d.retryable).member("attempt", d.attempt);
  if (d.next_attempt_at) {
    w.member("nextAttemptAt", *d.next_attempt_at);
  }
  return w.endObject().take();
}

std::string encodeData(const ArtifactStored& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).member("fileName", d.file_name);
  w.member("location", d.location).member("checksum", d.checksum).member("size", d.size);
  return w.endObject().take();
}

std::string encodeData(const VersionSynced& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).member("fileName", d.file_name);
  w.member("checksum", d.checksum).member("size", d.size).member("attempt", d.attempt);
  if (d.h1) {
    w.member("h1", *d.h1);
  }
  return w.endObject().take();
}

std::string encodeData(const ChildrenApplied& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation);
  writeStrings(w, "created", d.created);
  writeStrings(w, "deleted", d.deleted);
  if (d.latest_version) {
    w.member("latestVersion", *d.latest_version);
  }
  return w.endObject().take();
}

std::string encodeData(const ArtifactDownloaded& d) {
  core::JsonWriter w;
  w.beginObject().member("kind", d.kind).member("namespace", d.name_space);
  w.member("name", d.name).member("version", d.version);
  if (!d.os.empty()) {
    w.member("os", d.os);
  }
  if (!d.arch.empty()) {
    w.member("arch", d.arch);
  }
  w.member("client", d.client).member("at", d.at);
  return w.endObject().take();
}

Result<ResourceObserved> decodeData(std::string_view data, std::type_identity<ResourceObserved>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kResourceObserved));
  ResourceObserved d;
  OD_TRY(d.uid, r.str("uid", true));
  OD_TRY(d.resource_version, r.str("resourceVersion", true));
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.labels, r.stringMap("labels"));
  OD_TRY(d.annotations, r.stringMap("annotations"));
  OD_TRY(d.owner_references, r.raw("ownerReferences", false, "[]"));
  OD_TRY(std::string deletion, r.str("deletionTimestamp", false));
  if (!deletion.empty()) {
    d.deletion_timestamp = std::move(deletion);
  }
  OD_TRY(d.spec, r.raw("spec", true, "{}"));
  OD_TRY(d.status, r.raw("status", true, "{}"));
  return d;
}

Result<ResourceDeleted> decodeData(std::string_view data, std::type_identity<ResourceDeleted>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kResourceDeleted));
  ResourceDeleted d;
  OD_TRY(d.uid, r.str("uid", true));
  OD_TRY(d.resource_version, r.str("resourceVersion", true));
  return d;
}

Result<VersionSyncRequested> decodeData(std::string_view data,
                                        std::type_identity<VersionSyncRequested>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kVersionSyncRequested));
  VersionSyncRequested d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.spec, r.raw("spec", true, "{}"));
  OD_TRY(d.attempt, r.int64("attempt", 1));
  OD_TRY(std::string reason, r.str("reason", false));
  if (!reason.empty()) {
    auto parsed = parseSyncReason(reason);
    if (!parsed) {
      return r.fail("reason", "unknown sync reason '" + reason + "'");
    }
    d.reason = *parsed;
  }
  return d;
}

Result<VersionSyncFailed> decodeData(std::string_view data, std::type_identity<VersionSyncFailed>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kVersionSyncFailed));
  VersionSyncFailed d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.reason, r.str("reason", true));
  OD_TRY(d.retryable, r.boolean("retryable", false));
  OD_TRY(d.attempt, r.int64("attempt", 1));
  if (r.find("nextAttemptAt")) {
    OD_TRY(int64_t at, r.int64("nextAttemptAt", 0));
    d.next_attempt_at = at;
  }
  return d;
}

Result<ArtifactStored> decodeData(std::string_view data, std::type_identity<ArtifactStored>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kArtifactStored));
  ArtifactStored d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.file_name, r.str("fileName", true));
  OD_TRY(d.location, r.str("location", false));
  OD_TRY(d.checksum, r.str("checksum", true));
  OD_TRY(int64_t size, r.int64("size", 0));
  if (size < 0) {
    return r.fail("size", "negative");
  }
  d.size = static_cast<uint64_t>(size);
  return d;
}

Result<VersionSynced> decodeData(std::string_view data, std::type_identity<VersionSynced>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kVersionSynced));
  VersionSynced d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.file_name, r.str("fileName", true));
  OD_TRY(d.checksum, r.str("checksum", true));
  OD_TRY(int64_t size, r.int64("size", 0));
  if (size < 0) {
    return r.fail("size", "negative");
  }
  d.size = static_cast<uint64_t>(size);
  OD_TRY(d.attempt, r.int64("attempt", 1));
  OD_TRY(std::string h1, r.str("h1", false));
  if (!h1.empty()) {
    if (!h1.starts_with("h1:")) {
      return r.fail("h1", "not an h1: hash");
    }
    d.h1 = std::move(h1);
  }
  return d;
}

Result<ChildrenApplied> decodeData(std::string_view data, std::type_identity<ChildrenApplied>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kChildrenApplied));
  ChildrenApplied d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.created, r.strings("created"));
  OD_TRY(d.deleted, r.strings("deleted"));
  OD_TRY(std::string latest, r.str("latestVersion", false));
  if (!latest.empty()) {
    d.latest_version = std::move(latest);
  }
  return d;
}

Result<ArtifactDownloaded> decodeData(std::string_view data,
                                      std::type_identity<ArtifactDownloaded>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kArtifactDownloaded));
  ArtifactDownloaded d;
  OD_TRY(d.kind, r.str("kind", true));
  OD_TRY(d.name_space, r.str("namespace", true));
  OD_TRY(d.name, r.str("name", true));
  OD_TRY(d.version, r.str("version", true));
  OD_TRY(d.os, r.str("os", false));
  OD_TRY(d.arch, r.str("arch", false));
  OD_TRY(d.client, r.str("client", false));
  if (!r.find("at")) {
    return r.fail("at", "missing");
  }
  OD_TRY(d.at, r.int64("at", 0));
  if (d.at < 0) {
    return r.fail("at", "negative");
  }
  return d;
}

}  // namespace od::events

namespace od::events {
namespace {

std::optional<std::string> stringMember(simdjson::dom::object o, std::string_view key,
                                        bool* wrong_type) {
  element e;
  if (o.at_key(key).get(e) || e.is_null()) {
    return std::nullopt;
  }
  std::string_view s;
  if (e.get_string().get(s)) {
    *wrong_type = true;
    return std::nullopt;
  }
  return std::string(s);
}

// One item of ReleasesDiscovered.entries; "" on success, else what is wrong.
std::string decodeDiscovered(element item, DiscoveredReleases* out) {
  simdjson::dom::object o;
  if (item.get_object().get(o)) {
    return "is not an object";
  }
  bool wrong = false;
  out->kind = stringMember(o, "kind", &wrong).value_or("");
  out->name = stringMember(o, "name", &wrong).value_or("");
  out->error = stringMember(o, "error", &wrong);
  if (wrong) {
    return "kind, name and error must be strings";
  }
  if (out->kind != "Module" && out->kind != "Provider") {
    return "kind must be Module or Provider, got '" + out->kind + "'";
  }
  if (out->name.empty()) {
    return "name is missing";
  }
  element e;
  if (!o.at_key("found").get(e) && (e.get_int64().get(out->found) || out->found < 0)) {
    return "found must be a non-negative integer";
  }
  if (!o.at_key("retryable").get(e) && e.get_bool().get(out->retryable)) {
    return "retryable must be a boolean";
  }
  simdjson::dom::array kept;
  if (!o.at_key("kept").get(e) && !e.is_null()) {
    if (e.get_array().get(kept)) {
      return "kept must be an array";
    }
    for (element v : kept) {
      std::string_view s;
      if (v.get_string().get(s)) {
        return "kept holds a non-string";
      }
      out->kept.emplace_back(s);
    }
  }
  return {};
}

}  // namespace

std::string encodeData(const DepotPollRequested& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).member("attempt", d.attempt);
  if (!d.reason.empty()) {
    w.member("reason", d.reason);
  }
  w.key("spec").raw(d.spec);
  return w.endObject().take();
}

std::string encodeData(const ReleasesDiscovered& d) {
  core::JsonWriter w;
  w.beginObject().member("generation", d.generation).member("attempt", d.attempt);
  w.key("entries").beginArray();
  for (const auto& e : d.entries) {
    w.beginObject().member("kind", e.kind).member("name", e.name).member("found", e.found);
    writeStrings(w, "kept", e.kept);
    if (e.error) {
      w.member("error", *e.error).member("retryable", e.retryable);
    }
    w.endObject();
  }
  w.endArray();
  if (d.next_attempt_at) {
    w.member("nextAttemptAt", *d.next_attempt_at);
  }
  return w.endObject().take();
}

Result<DepotPollRequested> decodeData(std::string_view data,
                                      std::type_identity<DepotPollRequested>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kDepotPollRequested));
  DepotPollRequested d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.attempt, r.int64("attempt", 1));
  if (d.attempt < 1) {
    return r.fail("attempt", "must be >= 1");
  }
  OD_TRY(d.reason, r.str("reason", false));
  OD_TRY(d.spec, r.raw("spec", true, "{}"));
  return d;
}

Result<ReleasesDiscovered> decodeData(std::string_view data,
                                      std::type_identity<ReleasesDiscovered>) {
  OD_TRY(DataReader r, DataReader::open(data, type::kReleasesDiscovered));
  ReleasesDiscovered d;
  OD_TRY(d.generation, r.int64("generation", 0));
  OD_TRY(d.attempt, r.int64("attempt", 1));
  if (r.find("nextAttemptAt")) {
    OD_TRY(int64_t at, r.int64("nextAttemptAt", 0));
    d.next_attempt_at = at;
  }
  auto entries = r.find("entries");
  simdjson::dom::array items;
  if (!entries) {
    return r.fail("entries", "missing");
  }
  if (entries->get_array().get(items)) {
    return r.fail("entries", "expected array");
  }
  for (element item : items) {
    DiscoveredReleases e;
    if (std::string why = decodeDiscovered(item, &e); !why.empty()) {
      return r.fail("entries", "item " + std::to_string(d.entries.size()) + " " + why);
    }
    d.entries.push_back(std::move(e));
  }
  return d;
}

}  // namespace od::events
