#include "core/resources/depot.h"

namespace od::core {
namespace {

GlobalConfig decodeGlobal(const FieldReader& r) {
  GlobalConfig g;
  g.github_client_config =
      r.object<GithubClientConfig>("githubClientConfig", decodeGithubClientConfig);
  g.module_config = r.object<ModuleConfig>("moduleConfig", decodeModuleConfig);
  g.storage_config = r.object<StorageConfig>("storageConfig", decodeStorageConfig);
  return g;
}

DepotSpec decodeSpec(const FieldReader& r) {
  DepotSpec s;
  s.global = r.object<GlobalConfig>("global", decodeGlobal);
  s.module_configs = r.objects<ModuleConfig>("moduleConfigs", decodeModuleConfig);
  s.provider_configs = r.objects<ProviderConfig>("providerConfigs", decodeProviderConfig);
  s.polling_interval_minutes = r.integer("pollingIntervalMinutes");
  return s;
}

DepotStatus decodeStatus(const FieldReader& r) {
  DepotStatus s;
  static_cast<StatusCommon&>(s) = decodeStatusCommon(r);
  s.modules = r.strings("modules");
  s.providers = r.strings("providers");
  return s;
}

void writeGlobal(JsonWriter& w, const GlobalConfig& g) {
  w.key("global").beginObject();
  if (g.github_client_config) {
    w.key("githubClientConfig");
    writeGithubClientConfig(w, *g.github_client_config);
  }
  if (g.module_config) {
    w.key("moduleConfig");
    writeModuleConfig(w, *g.module_config);
  }
  if (g.storage_config) {
    w.key("storageConfig");
    writeStorageConfig(w, *g.storage_config);
  }
  w.endObject();
}

void writeSpec(JsonWriter& w, const DepotSpec& s) {
  w.key("spec").beginObject();
  if (s.global) {
    writeGlobal(w, *s.global);
  }
  if (!s.module_configs.empty()) {
    w.key("moduleConfigs").beginArray();
    for (const auto& c : s.module_configs) {
      writeModuleConfig(w, c);
    }
    w.endArray();
  }
  if (!s.provider_configs.empty()) {
    w.key("providerConfigs").beginArray();
    for (const auto& c : s.provider_configs) {
      writeProviderConfig(w, c);
    }
    w.endArray();
  }
  writeIfSet(w, "pollingIntervalMinutes", s.polling_interval_minutes);
  w.endObject();
}

void validateGlobal(const DepotSpec& s, Problems* problems) {
  if (!s.global) {
    problems->add("spec.global.storageConfig", "is required");
    return;
  }
  if (!s.global->storage_config) {
    problems->add("spec.global.storageConfig", "is required");
  } else {
    validateStorageConfig(*s.global->storage_config, "spec.global.storageConfig", problems);
  }
  if (s.global->module_config) {
    validateModuleConfig(*s.global->module_config, "spec.global.moduleConfig", {}, problems);
  }
}

void validateEntries(const DepotSpec& s, Problems* problems) {
  const bool global_format =
      s.global && s.global->module_config && s.global->module_config->file_format;
  const ModuleConfigRules module_rules{.require_name = true,
                                       .require_repo_owner = true,
                                       .require_constraints = true};
  for (size_t i = 0; i < s.module_configs.size(); ++i) {
    const std::string path = indexPath("spec.moduleConfigs", i);
    validateModuleConfig(s.module_configs[i], path, module_rules, problems);
    if (!s.module_configs[i].file_format && !global_format) {
      problems->add(joinPath(path, "fileFormat"),
                    "is required here or in spec.global.moduleConfig (zip or tar)");
    }
  }
  const ProviderConfigRules provider_rules{.require_platforms = true,
                                           .require_name = true,
                                           .require_constraints = true};
  for (size_t i = 0; i < s.provider_configs.size(); ++i) {
    validateProviderConfig(s.provider_configs[i], indexPath("spec.providerConfigs", i),
                           provider_rules, problems);
  }
}

}  // namespace

Decoded<Depot> decodeDepot(simdjson::dom::element root) {
  Decoded<Depot> out;
  FieldReader r(root, "", &out.problems);
  if (auto meta = r.object<ObjectMeta>("metadata", decodeObjectMeta)) {
    out.resource.metadata = std::move(*meta);
  }
  if (auto spec = r.object<DepotSpec>("spec", decodeSpec)) {
    out.resource.spec = std::move(*spec);
  }
  if (auto status = r.object<DepotStatus>("status", decodeStatus)) {
    out.resource.status = std::move(*status);
  }
  mergeValidation(&out.problems, validate(out.resource));
  return out;
}

Result<Decoded<Depot>> decodeDepot(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, parseResourceDocument(json, limits, kKindDepot));
  return decodeDepot(doc.root());
}

Result<Depot> parseDepot(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<Depot> decoded, decodeDepot(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const Depot& d) {
  Problems problems;
  validateObjectMeta(d.metadata, &problems);
  validateGlobal(d.spec, &problems);
  validateEntries(d.spec, &problems);
  validateNonNegative(d.spec.polling_interval_minutes, "spec.pollingIntervalMinutes", &problems);
  return problems;
}

void writeJson(JsonWriter& w, const Depot& d) {
  w.beginObject();
  writeTypeMeta(w, kKindDepot);
  writeObjectMeta(w, d.metadata);
  writeSpec(w, d.spec);
  if (!(d.status == DepotStatus{})) {
    w.key("status").beginObject();
    writeIfNotEmpty(w, "modules", d.status.modules);
    writeIfNotEmpty(w, "providers", d.status.providers);
    writeStatusCommon(w, d.status);
    w.endObject();
  }
  w.endObject();
}

std::string toJson(const Depot& d) {
  JsonWriter w;
  writeJson(w, d);
  return w.take();
}

}  // namespace od::core
