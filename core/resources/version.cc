#include "core/resources/version.h"

#include "core/names.h"

namespace od::core {
namespace {

VersionSpec decodeSpec(const FieldReader& r) {
  VersionSpec s;
  s.architecture = r.string("architecture").value_or("");
  s.file_name = r.string("fileName");
  s.force_sync = r.boolean("forceSync").value_or(false);
  s.module_config_ref = r.object<ModuleConfig>("moduleConfigRef", decodeModuleConfig);
  s.provider_config_ref = r.object<ProviderConfig>("providerConfigRef", decodeProviderConfig);
  s.operating_system = r.string("operatingSystem").value_or("");
  s.type = r.string("type").value_or("");
  s.version = r.string("version").value_or("");
  return s;
}

ConfigMapKeyRef decodeKeyRef(const FieldReader& r) {
  return ConfigMapKeyRef{r.string("name").value_or(""), r.string("key").value_or("")};
}

VersionStatus decodeStatus(const FieldReader& r) {
  VersionStatus s;
  static_cast<StatusCommon&>(s) = decodeStatusCommon(r);
  s.checksum = r.string("checksum");
  s.synced = r.boolean("synced").value_or(false);
  s.sync_status = r.string("syncStatus").value_or("");
  s.archive_size_bytes = r.integer("archiveSizeBytes");
  s.binary_scan = r.object<Scan>("binaryScan", decodeScan);
  s.source_scan = r.object<Scan>("sourceScan", decodeScan);
  s.readme_config_map_ref = r.object<ConfigMapKeyRef>("readmeConfigMapRef", decodeKeyRef);
  return s;
}

void writeSpec(JsonWriter& w, const VersionSpec& s) {
  w.key("spec").beginObject();
  writeIfNotEmpty(w, "architecture", s.architecture);
  writeIfSet(w, "fileName", s.file_name);
  if (s.force_sync) {
    w.member("forceSync", true);
  }
  if (s.module_config_ref) {
    w.key("moduleConfigRef");
    writeModuleConfig(w, *s.module_config_ref);
  }
  if (s.provider_config_ref) {
    w.key("providerConfigRef");
    writeProviderConfig(w, *s.provider_config_ref);
  }
  writeIfNotEmpty(w, "operatingSystem", s.operating_system);
  w.member("type", s.type).member("version", s.version);
  w.endObject();
}

void writeStatus(JsonWriter& w, const VersionStatus& s) {
  w.key("status").beginObject();
  writeIfSet(w, "checksum", s.checksum);
  w.member("synced", s.synced).member("syncStatus", s.sync_status);
  writeIfSet(w, "archiveSizeBytes", s.archive_size_bytes);
  if (s.binary_scan) {
    w.key("binaryScan");
    writeScan(w, *s.binary_scan);
  }
  if (s.source_scan) {
    w.key("sourceScan");
    writeScan(w, *s.source_scan);
  }
  if (s.readme_config_map_ref) {
    w.key("readmeConfigMapRef").beginObject();
    w.member("name", s.readme_config_map_ref->name).member("key", s.readme_config_map_ref->key);
    w.endObject();
  }
  writeStatusCommon(w, s);
  w.endObject();
}

// A storage file name is one path component (B24: at most 255 bytes, never truncated).
void validateFileName(const std::string& name, Problems* problems) {
  const std::string path = "spec.fileName";
  if (name.empty() || name == "." || name == "..") {
    problems->add(path, "must be a file name");
  } else if (name.find_first_of("/\\") != std::string::npos) {
    problems->add(path, "must not contain '/' or '\\'");
  } else if (name.size() > 255) {
    problems->add(path, "must be at most 255 characters");
  } else if (auto why = nonAsciiProblem(name)) {
    problems->add(path, *why);
  }
}

void validateSpec(const VersionSpec& s, Problems* problems) {
  const bool is_module = s.type == kVersionTypeModule;
  const bool is_provider = s.type == kVersionTypeProvider;
  if (s.type.empty()) {
    problems->add("spec.type", "is required (Module or Provider)");
  } else if (!is_module && !is_provider) {
    problems->add("spec.type", "must be Module or Provider (exact case), got \"" + s.type + "\"");
  }
  if (s.version.empty()) {
    problems->add("spec.version", "is required");
  }
  if (s.module_config_ref && s.provider_config_ref) {
    problems->add("spec", std::string(kDualConfigMessage));
  } else if (is_module && !s.module_config_ref) {
    problems->add("spec.moduleConfigRef", "is required for type Module");
  } else if (is_provider && !s.provider_config_ref) {
    problems->add("spec.providerConfigRef", "is required for type Provider");
  }
  if (is_provider) {
    for (auto [field, value] : {std::pair<std::string_view, const std::string*>{
                                    "operatingSystem", &s.operating_system},
                                {"architecture", &s.architecture}}) {
      if (value->empty()) {
        problems->add(joinPath("spec", field), "is required for type Provider");
      } else if (auto why = registryIdentifierProblem(*value)) {
        problems->add(joinPath("spec", field), *why);
      }
    }
  }
  if (s.file_name) {
    validateFileName(*s.file_name, problems);
  }
  if (s.module_config_ref) {
    validateModuleConfig(*s.module_config_ref, "spec.moduleConfigRef", {}, problems);
  }
  if (s.provider_config_ref) {
    validateProviderConfig(*s.provider_config_ref, "spec.providerConfigRef", {}, problems);
  }
}

}  // namespace

Decoded<Version> decodeVersion(simdjson::dom::element root) {
  Decoded<Version> out;
  FieldReader r(root, "", &out.problems);
  if (auto meta = r.object<ObjectMeta>("metadata", decodeObjectMeta)) {
    out.resource.metadata = std::move(*meta);
  }
  if (auto spec = r.object<VersionSpec>("spec", decodeSpec)) {
    out.resource.spec = std::move(*spec);
  }
  if (auto status = r.object<VersionStatus>("status", decodeStatus)) {
    out.resource.status = std::move(*status);
  }
  mergeValidation(&out.problems, validate(out.resource));
  return out;
}

Result<Decoded<Version>> decodeVersion(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, parseResourceDocument(json, limits, kKindVersion));
  return decodeVersion(doc.root());
}

Result<Version> parseVersion(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<Version> decoded, decodeVersion(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const Version& v) {
  Problems problems;
  validateObjectMeta(v.metadata, &problems);
  if (v.metadata.name.find('.') != std::string::npos) {
    problems.add("metadata.name", "Version name '" + v.metadata.name +
                                      "' is invalid: name must not contain '.' characters: "
                                      "rename the resource and reapply");
  }
  validateSpec(v.spec, &problems);
  return problems;
}

void writeJson(JsonWriter& w, const Version& v) {
  w.beginObject();
  writeTypeMeta(w, kKindVersion);
  writeObjectMeta(w, v.metadata);
  writeSpec(w, v.spec);
  if (!(v.status == VersionStatus{})) {
    writeStatus(w, v.status);
  }
  w.endObject();
}

std::string toJson(const Version& v) {
  JsonWriter w;
  writeJson(w, v);
  return w.take();
}

}  // namespace od::core
