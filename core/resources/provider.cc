#include "core/resources/provider.h"

namespace od::core {
namespace {

ProviderVersion decodeProviderVersion(const FieldReader& r) {
  ProviderVersion v;
  v.architecture = r.string("architecture").value_or("");
  v.name = r.string("name").value_or("");
  v.operating_system = r.string("operatingSystem").value_or("");
  v.synced = r.boolean("synced").value_or(false);
  v.version = r.string("version").value_or("");
  return v;
}

ProviderSpec decodeSpec(const FieldReader& r) {
  ProviderSpec s;
  s.force_sync = r.boolean("forceSync").value_or(false);
  s.provider_config = r.object<ProviderConfig>("providerConfig", decodeProviderConfig);
  s.versions = r.objects<ProviderVersion>("versions", decodeProviderVersion);
  return s;
}

ProviderStatus decodeStatus(const FieldReader& r) {
  ProviderStatus s;
  static_cast<StatusCommon&>(s) = decodeStatusCommon(r);
  s.latest_version = r.string("latestVersion");
  s.file_name = r.string("fileName").value_or("");
  s.synced = r.boolean("synced").value_or(false);
  s.sync_status = r.string("syncStatus").value_or("");
  s.provider_version_refs =
      r.objectMap<ProviderVersion>("providerVersionRefs", decodeProviderVersion);
  s.source_scan = r.object<Scan>("sourceScan", decodeScan);
  s.resolved_source_repository = r.string("resolvedSourceRepository");
  return s;
}

void writeProviderVersion(JsonWriter& w, const ProviderVersion& v) {
  w.beginObject();
  writeIfNotEmpty(w, "architecture", v.architecture);
  writeIfNotEmpty(w, "name", v.name);
  writeIfNotEmpty(w, "operatingSystem", v.operating_system);
  if (v.synced) {
    w.member("synced", true);
  }
  writeIfNotEmpty(w, "version", v.version);
  w.endObject();
}

void writeStatus(JsonWriter& w, const ProviderStatus& s) {
  w.key("status").beginObject();
  writeIfSet(w, "latestVersion", s.latest_version);
  writeIfNotEmpty(w, "fileName", s.file_name);
  w.member("synced", s.synced).member("syncStatus", s.sync_status);
  if (!s.provider_version_refs.empty()) {
    w.key("providerVersionRefs").beginObject();
    for (const auto& [key, ref] : s.provider_version_refs) {
      w.key(key);
      writeProviderVersion(w, ref);
    }
    w.endObject();
  }
  if (s.source_scan) {
    w.key("sourceScan");
    writeScan(w, *s.source_scan);
  }
  writeIfSet(w, "resolvedSourceRepository", s.resolved_source_repository);
  writeStatusCommon(w, s);
  w.endObject();
}

}  // namespace

Decoded<Provider> decodeProvider(simdjson::dom::element root) {
  Decoded<Provider> out;
  FieldReader r(root, "", &out.problems);
  if (auto meta = r.object<ObjectMeta>("metadata", decodeObjectMeta)) {
    out.resource.metadata = std::move(*meta);
  }
  if (auto spec = r.object<ProviderSpec>("spec", decodeSpec)) {
    out.resource.spec = std::move(*spec);
  }
  if (auto status = r.object<ProviderStatus>("status", decodeStatus)) {
    out.resource.status = std::move(*status);
  }
  mergeValidation(&out.problems, validate(out.resource));
  return out;
}

Result<Decoded<Provider>> decodeProvider(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, parseResourceDocument(json, limits, kKindProvider));
  return decodeProvider(doc.root());
}

Result<Provider> parseProvider(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<Provider> decoded, decodeProvider(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const Provider& p) {
  Problems problems;
  validateObjectMeta(p.metadata, &problems);
  if (!p.spec.provider_config) {
    problems.add("spec.providerConfig", "is required");
  } else {
    validateProviderConfig(*p.spec.provider_config, "spec.providerConfig",
                           ProviderConfigRules{.require_platforms = true}, &problems);
  }
  if (p.spec.versions.empty()) {
    problems.add("spec.versions", "must list at least one version");
  }
  for (size_t i = 0; i < p.spec.versions.size(); ++i) {
    if (p.spec.versions[i].version.empty()) {
      problems.add(indexPath("spec.versions", i) + ".version", "is required");
    }
  }
  return problems;
}

void writeJson(JsonWriter& w, const Provider& p) {
  w.beginObject();
  writeTypeMeta(w, kKindProvider);
  writeObjectMeta(w, p.metadata);
  w.key("spec").beginObject();
  if (p.spec.force_sync) {
    w.member("forceSync", true);
  }
  if (p.spec.provider_config) {
    w.key("providerConfig");
    writeProviderConfig(w, *p.spec.provider_config);
  }
  w.key("versions").beginArray();
  for (const auto& v : p.spec.versions) {
    writeProviderVersion(w, v);
  }
  w.endArray().endObject();
  if (!(p.status == ProviderStatus{})) {
    writeStatus(w, p.status);
  }
  w.endObject();
}

std::string toJson(const Provider& p) {
  JsonWriter w;
  writeJson(w, p);
  return w.take();
}

std::string providerBaseName(const Provider& p) {
  if (p.spec.provider_config && p.spec.provider_config->name) {
    return *p.spec.provider_config->name;
  }
  return p.metadata.name;
}

std::vector<ProviderTarget> providerTargets(const Provider& p) {
  if (!p.spec.provider_config) {
    return {};
  }
  std::vector<std::string> versions;
  for (const auto& v : p.spec.versions) {
    versions.push_back(v.version);
  }
  return providerTargets(versions, p.spec.provider_config->operating_systems,
                         p.spec.provider_config->architectures);
}

}  // namespace od::core
