#include "core/resources/module.h"

namespace od::core {
namespace {

ModuleVersion decodeModuleVersion(const FieldReader& r) {
  ModuleVersion v;
  v.file_name = r.string("fileName");
  v.name = r.string("name").value_or("");
  v.synced = r.boolean("synced").value_or(false);
  v.version = r.string("version").value_or("");
  return v;
}

ModuleSpec decodeSpec(const FieldReader& r) {
  ModuleSpec s;
  s.force_sync = r.boolean("forceSync").value_or(false);
  s.module_config = r.object<ModuleConfig>("moduleConfig", decodeModuleConfig);
  s.versions = r.objects<ModuleVersion>("versions", decodeModuleVersion);
  return s;
}

ModuleStatus decodeStatus(const FieldReader& r) {
  ModuleStatus s;
  static_cast<StatusCommon&>(s) = decodeStatusCommon(r);
  s.latest_version = r.string("latestVersion");
  s.file_name = r.string("fileName").value_or("");
  s.synced = r.boolean("synced").value_or(false);
  s.sync_status = r.string("syncStatus").value_or("");
  s.module_version_refs = r.objectMap<ModuleVersion>("moduleVersionRefs", decodeModuleVersion);
  return s;
}

void writeModuleVersion(JsonWriter& w, const ModuleVersion& v) {
  w.beginObject();
  writeIfSet(w, "fileName", v.file_name);
  writeIfNotEmpty(w, "name", v.name);
  if (v.synced) {
    w.member("synced", true);
  }
  writeIfNotEmpty(w, "version", v.version);
  w.endObject();
}

void writeStatus(JsonWriter& w, const ModuleStatus& s) {
  w.key("status").beginObject();
  writeIfSet(w, "latestVersion", s.latest_version);
  writeIfNotEmpty(w, "fileName", s.file_name);
  w.member("synced", s.synced).member("syncStatus", s.sync_status);
  if (!s.module_version_refs.empty()) {
    w.key("moduleVersionRefs").beginObject();
    for (const auto& [key, ref] : s.module_version_refs) {
      w.key(key);
      writeModuleVersion(w, ref);
    }
    w.endObject();
  }
  writeStatusCommon(w, s);
  w.endObject();
}

}  // namespace

Decoded<Module> decodeModule(simdjson::dom::element root) {
  Decoded<Module> out;
  FieldReader r(root, "", &out.problems);
  if (auto meta = r.object<ObjectMeta>("metadata", decodeObjectMeta)) {
    out.resource.metadata = std::move(*meta);
  }
  if (auto spec = r.object<ModuleSpec>("spec", decodeSpec)) {
    out.resource.spec = std::move(*spec);
  }
  if (auto status = r.object<ModuleStatus>("status", decodeStatus)) {
    out.resource.status = std::move(*status);
  }
  mergeValidation(&out.problems, validate(out.resource));
  return out;
}

Result<Decoded<Module>> decodeModule(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, parseResourceDocument(json, limits, kKindModule));
  return decodeModule(doc.root());
}

Result<Module> parseModule(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<Module> decoded, decodeModule(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const Module& m) {
  Problems problems;
  validateObjectMeta(m.metadata, &problems);
  if (!m.spec.module_config) {
    problems.add("spec.moduleConfig", "is required");
  } else {
    validateModuleConfig(*m.spec.module_config, "spec.moduleConfig",
                         ModuleConfigRules{.require_file_format = true}, &problems);
  }
  if (m.spec.versions.empty()) {
    problems.add("spec.versions", "must list at least one version");
  }
  for (size_t i = 0; i < m.spec.versions.size(); ++i) {
    if (m.spec.versions[i].version.empty()) {
      problems.add(indexPath("spec.versions", i) + ".version", "is required");
    }
  }
  return problems;
}

void writeJson(JsonWriter& w, const Module& m) {
  w.beginObject();
  writeTypeMeta(w, kKindModule);
  writeObjectMeta(w, m.metadata);
  w.key("spec").beginObject();
  if (m.spec.force_sync) {
    w.member("forceSync", true);
  }
  if (m.spec.module_config) {
    w.key("moduleConfig");
    writeModuleConfig(w, *m.spec.module_config);
  }
  w.key("versions").beginArray();
  for (const auto& v : m.spec.versions) {
    writeModuleVersion(w, v);
  }
  w.endArray().endObject();
  if (!(m.status == ModuleStatus{})) {
    writeStatus(w, m.status);
  }
  w.endObject();
}

std::string toJson(const Module& m) {
  JsonWriter w;
  writeJson(w, m);
  return w.take();
}

std::string moduleBaseName(const Module& m) {
  if (m.spec.module_config && m.spec.module_config->name) {
    return *m.spec.module_config->name;
  }
  return m.metadata.name;
}

}  // namespace od::core
