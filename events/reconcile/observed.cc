#include "events/reconcile/observed.h"

#include "core/json.h"
#include "core/json_writer.h"
#include "core/resources/meta.h"

namespace od::events {

std::string observedObjectJson(const events::ResourceEntry& entry) {
  const ResourceObserved& o = entry.object;
  core::JsonWriter w;
  w.beginObject().member("apiVersion", core::kApiVersion).member("kind", entry.key.kind);
  w.key("metadata").beginObject();
  w.member("name", entry.key.name).member("namespace", entry.key.name_space);
  w.member("uid", o.uid).member("resourceVersion", o.resource_version);
  w.member("generation", o.generation);
  w.key("labels").beginObject();
  for (const auto& [k, v] : o.labels) {
    w.member(k, v);
  }
  w.endObject().key("annotations").beginObject();
  for (const auto& [k, v] : o.annotations) {
    w.member(k, v);
  }
  w.endObject().key("ownerReferences").raw(o.owner_references);
  if (o.deletion_timestamp) {
    w.member("deletionTimestamp", *o.deletion_timestamp);
  }
  w.endObject();
  w.key("spec").raw(o.spec).key("status").raw(o.status);
  return w.endObject().take();
}

core::Result<core::Version> observedVersion(const events::ResourceEntry& entry) {
  OD_TRY(auto decoded, core::decodeVersion(observedObjectJson(entry)));
  return std::move(decoded.resource);
}

core::Result<core::Module> observedModule(const events::ResourceEntry& entry) {
  OD_TRY(auto decoded, core::decodeModule(observedObjectJson(entry)));
  return std::move(decoded.resource);
}

std::vector<std::string> controllerOwnerKeys(const events::ResourceEntry& entry,
                                             std::string_view kind) {
  std::vector<std::string> keys;
  auto doc = core::JsonDocument::parse(entry.object.owner_references);
  simdjson::dom::array refs;
  if (!doc.ok() || doc->root().get_array().get(refs)) {
    return keys;
  }
  for (auto ref : refs) {
    std::string_view ref_kind;
    std::string_view name;
    bool controller = false;
    if (ref["kind"].get_string().get(ref_kind) || ref_kind != kind ||
        ref["name"].get_string().get(name) || name.empty() ||
        ref["controller"].get_bool().get(controller) || !controller) {
      continue;
    }
    keys.push_back(std::string(kind) + "/" + entry.key.name_space + "/" + std::string(name));
  }
  return keys;
}

core::Result<std::string> withResourceVersion(std::string_view patch, std::string_view rv) {
  OD_TRY(core::JsonDocument doc, core::JsonDocument::parse(patch));
  simdjson::dom::object obj;
  if (doc.root().get_object().get(obj)) {
    return core::makeError(core::Errc::Invalid, "the patch is not a JSON object");
  }
  core::JsonWriter w;
  w.beginObject();
  bool wrote_metadata = false;
  for (auto [key, value] : obj) {
    simdjson::dom::object meta;
    if (key == "metadata" && !value.get_object().get(meta)) {
      w.key("metadata").beginObject();
      for (auto [mk, mv] : meta) {
        if (mk != "resourceVersion") {
          w.key(mk).raw(core::toJson(mv));
        }
      }
      w.member("resourceVersion", rv).endObject();
      wrote_metadata = true;
    } else {
      w.key(key).raw(core::toJson(value));
    }
  }
  if (!wrote_metadata) {
    w.key("metadata").beginObject().member("resourceVersion", rv).endObject();
  }
  return w.endObject().take();
}

}  // namespace od::events
