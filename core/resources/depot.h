#pragma once
// Depot (opendepot.defdev.io/v1alpha1): discovers releases upstream (GitHub for modules,
// the OpenTofu registry for providers) and keeps Modules and Providers in step with them.
// Thread affinity: plain values, any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/resources/configs.h"

namespace od::core {

inline constexpr std::string_view kKindDepot = "Depot";

// spec.global: defaults inherited by the entries.
struct GlobalConfig {
  std::optional<GithubClientConfig> github_client_config;
  std::optional<ModuleConfig> module_config;
  std::optional<StorageConfig> storage_config;  // required inside global
  bool operator==(const GlobalConfig&) const = default;
};

struct DepotSpec {
  std::optional<GlobalConfig> global;
  std::vector<ModuleConfig> module_configs;
  std::vector<ProviderConfig> provider_configs;
  std::optional<int64_t> polling_interval_minutes;  // unset or 0: no polling
  bool operator==(const DepotSpec&) const = default;
};

struct DepotStatus : StatusCommon {
  std::vector<std::string> modules;    // bare Module names in the Depot's namespace
  std::vector<std::string> providers;  // bare Provider names
  bool operator==(const DepotStatus&) const = default;
};

struct Depot {
  ObjectMeta metadata;
  DepotSpec spec;
  DepotStatus status;
  bool operator==(const Depot&) const = default;
};

// As for Module (see module.h): Error only for input that is no Depot at all.
Decoded<Depot> decodeDepot(simdjson::dom::element root);
Result<Decoded<Depot>> decodeDepot(std::string_view json, JsonLimits limits = kResourceJsonLimits);
Result<Depot> parseDepot(std::string_view json, JsonLimits limits = kResourceJsonLimits);

// Metadata names, spec.global.storageConfig required, pollingIntervalMinutes >= 0; module
// entries need name, repoOwner, versionConstraints and a fileFormat (their own or global's);
// provider entries need name and versionConstraints; every config's own rules.
Problems validate(const Depot& depot);

void writeJson(JsonWriter& w, const Depot& depot);
std::string toJson(const Depot& depot);

}  // namespace od::core
