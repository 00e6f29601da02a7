#include "adapters/kube/resource_events.h"

#include "core/json.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/streams.h"

namespace od::adapters::kube {
namespace {

std::map<std::string, std::string> stringMap(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::map<std::string, std::string> out;
  simdjson::dom::object obj;
  if (e.get(obj) != simdjson::SUCCESS) {
    return out;
  }
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get(v) == simdjson::SUCCESS) {
      out.emplace(std::string(field.key), std::string(v));
    }
  }
  return out;
}

std::string verbatim(simdjson::dom::element parent, const char* key, const char* fallback) {
  simdjson::dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS || e.is_null()) {
    return fallback;
  }
  return core::toJson(e);
}

}  // namespace

core::Result<core::AppendRecord> observedRecord(const std::string& kind, const std::string& object,
                                                std::optional<int64_t> resync_epoch,
                                                int64_t ts_ms) {
  auto doc = core::JsonDocument::parse(object, core::JsonLimits{object.size() + 1, 64});
  simdjson::dom::element meta;
  if (!doc || doc->root()["metadata"].get(meta) != simdjson::SUCCESS) {
    return core::makeError(core::Errc::Corrupt, kind + ": object without metadata");
  }
  ObjectIdentity id = objectIdentity(object);
  if (id.uid.empty() || id.name.empty()) {
    return core::makeError(core::Errc::Corrupt, kind + ": object without uid or name");
  }
  events::ResourceObserved d;
  d.uid = id.uid;
  d.resource_version = id.resource_version;
  int64_t generation = 0;
  d.generation = meta["generation"].get(generation) == simdjson::SUCCESS ? generation : 0;
  d.labels = stringMap(meta["labels"]);
  d.annotations = stringMap(meta["annotations"]);
  d.owner_references = verbatim(meta, "ownerReferences", "[]");
  std::string_view ts;
  if (meta["deletionTimestamp"].get(ts) == simdjson::SUCCESS) {
    d.deletion_timestamp = std::string(ts);
  }
  d.spec = verbatim(doc->root(), "spec", "{}");
  d.status = verbatim(doc->root(), "status", "{}");
  std::string event_id =
      resync_epoch ? events::eventId({events::type::kResourceObserved, id.uid, id.resource_version,
                                      "resync", std::to_string(*resync_epoch)})
                   : events::eventId({events::type::kResourceObserved, id.uid, id.resource_version});
  events::Envelope env = events::makeEnvelope(
      d, events::EnvelopeMeta{event_id, kind + "/" + id.name_space + "/" + id.name, "", "", ts_ms});
  if (env.data.size() > events::kMaxDataBytes) {
    return core::makeError(core::Errc::Invalid, kind + "/" + id.name_space + "/" + id.name +
                                                    ": event data over the size limit");
  }
  return events::toAppendRecord(events::streams::kResources, env);
}

core::AppendRecord deletedRecord(const std::string& kind, const ObjectIdentity& id, int64_t ts_ms) {
  events::ResourceDeleted d{id.uid, id.resource_version};
  std::string event_id =
      events::eventId({events::type::kResourceDeleted, id.uid, id.resource_version});
  events::Envelope env = events::makeEnvelope(
      d, events::EnvelopeMeta{event_id, kind + "/" + id.name_space + "/" + id.name, "", "", ts_ms});
  return events::toAppendRecord(events::streams::kResources, env);
}

}  // namespace od::adapters::kube
