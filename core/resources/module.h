#pragma once
// Module (opendepot.defdev.io/v1alpha1): a Terraform/OpenTofu module and the versions the
// registry should hold; the Module reconciler creates one Version per spec.versions entry.
// Thread affinity: plain values, any thread.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/resources/configs.h"

namespace od::core {

inline constexpr std::string_view kKindModule = "Module";

// spec.versions[] items and status.moduleVersionRefs values (Go ModuleVersion).
struct ModuleVersion {
  std::optional<std::string> file_name;
  std::string name;
  bool synced = false;
  std::string version;  // as written by the user, may carry a leading 'v'
  bool operator==(const ModuleVersion&) const = default;
};

struct ModuleSpec {
  bool force_sync = false;
  std::optional<ModuleConfig> module_config;  // required; unset only in invalid input
  std::vector<ModuleVersion> versions;         // required, non-empty
  bool operator==(const ModuleSpec&) const = default;
};

struct ModuleStatus : StatusCommon {
  std::optional<std::string> latest_version;  // 'v'-prefixed canonical semver
  std::string file_name;                      // unused by the reference
  bool synced = false;
  std::string sync_status;
  std::map<std::string, ModuleVersion> module_version_refs;  // keyed by spec version string
  bool operator==(const ModuleStatus&) const = default;
};

struct Module {
  ObjectMeta metadata;
  ModuleSpec spec;
  ModuleStatus status;
  bool operator==(const Module&) const = default;
};

// Decodes a Module from a JSON element or text. The Error case is reserved for input that is
// no Module at all: malformed JSON, past kResourceJsonLimits (or `limits`), not an object, or
// another apiVersion/kind. Everything else — wrong field types, then validate() — ends up in
// Decoded::problems, each with its path.
Decoded<Module> decodeModule(simdjson::dom::element root);
Result<Decoded<Module>> decodeModule(std::string_view json, JsonLimits limits = kResourceJsonLimits);
// Strict: Errc::Invalid listing every problem when there is any.
Result<Module> parseModule(std::string_view json, JsonLimits limits = kResourceJsonLimits);

// Every rule from the inventory: metadata names, spec.moduleConfig required with fileFormat
// zip|tar, spec.versions non-empty with non-empty versions, versionHistoryLimit >= 0, storage.
Problems validate(const Module& module);

void writeJson(JsonWriter& w, const Module& module);
std::string toJson(const Module& module);

// spec.moduleConfig.name, else metadata.name: the base of the Version names.
std::string moduleBaseName(const Module& module);

}  // namespace od::core
