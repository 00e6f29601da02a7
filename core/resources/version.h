#pragma once
// Version (opendepot.defdev.io/v1alpha1): one module version, or one provider version on
// one OS/arch; the unit the workers fetch, store and scan. Created by the Module and
// Provider reconcilers (names from core/names.h), owned by its parent.
// Thread affinity: plain values, any thread.

#include <optional>
#include <string>
#include <string_view>

#include "core/resources/configs.h"

namespace od::core {

inline constexpr std::string_view kKindVersion = "Version";
inline constexpr std::string_view kVersionTypeModule = "Module";
inline constexpr std::string_view kVersionTypeProvider = "Provider";

// The reference's terminal status text for a Version carrying both config refs.
inline constexpr std::string_view kDualConfigMessage =
    "Only one of 'ModuleConfigRef' or 'ProviderConfigRef' can be provided: both are defined";

struct VersionSpec {
  std::string architecture;
  std::optional<std::string> file_name;  // storage file name, fixed once
  bool force_sync = false;
  std::optional<ModuleConfig> module_config_ref;
  std::optional<ProviderConfig> provider_config_ref;
  std::string operating_system;
  std::string type;     // "Module" or "Provider", exact case; required
  std::string version;  // required
  bool operator==(const VersionSpec&) const = default;
};

struct ConfigMapKeyRef {
  std::string name;
  std::string key;
  bool operator==(const ConfigMapKeyRef&) const = default;
};

struct VersionStatus : StatusCommon {
  std::optional<std::string> checksum;  // base64 of the artifact's SHA-256
  bool synced = false;
  std::string sync_status;
  std::optional<int64_t> archive_size_bytes;
  std::optional<Scan> binary_scan;  // providers only
  std::optional<Scan> source_scan;
  std::optional<ConfigMapKeyRef> readme_config_map_ref;
  bool operator==(const VersionStatus&) const = default;
};

struct Version {
  ObjectMeta metadata;
  VersionSpec spec;
  VersionStatus status;
  bool operator==(const Version&) const = default;
};

// As for Module (see module.h): Error only for input that is no Version at all.
Decoded<Version> decodeVersion(simdjson::dom::element root);
Result<Decoded<Version>> decodeVersion(std::string_view json,
                                       JsonLimits limits = kResourceJsonLimits);
Result<Version> parseVersion(std::string_view json, JsonLimits limits = kResourceJsonLimits);

// Metadata names (and no '.' in the name: the reference's guard), spec.type Module|Provider,
// spec.version non-empty, exactly the matching config ref (both: kDualConfigMessage),
// OS/arch for providers, a plain file name, the refs' own rules.
Problems validate(const Version& version);

void writeJson(JsonWriter& w, const Version& version);
std::string toJson(const Version& version);

}  // namespace od::core
