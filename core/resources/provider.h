#pragma once
// Provider (opendepot.defdev.io/v1alpha1): a Terraform/OpenTofu provider mirrored from an
// upstream registry; the Provider reconciler creates one Version per version x OS x arch.
// Thread affinity: plain values, any thread.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/names.h"
#include "core/resources/configs.h"

namespace od::core {

inline constexpr std::string_view kKindProvider = "Provider";

// spec.versions[] items and status.providerVersionRefs values (Go ProviderVersion).
struct ProviderVersion {
  std::string architecture;
  std::string name;
  std::string operating_system;
  bool synced = false;
  std::string version;
  bool operator==(const ProviderVersion&) const = default;
};

struct ProviderSpec {
  bool force_sync = false;
  std::optional<ProviderConfig> provider_config;  // required; unset only in invalid input
  std::vector<ProviderVersion> versions;           // required, non-empty
  bool operator==(const ProviderSpec&) const = default;
};

struct ProviderStatus : StatusCommon {
  std::optional<std::string> latest_version;  // 'v'-prefixed canonical semver
  std::string file_name;                      // unused by the reference
  bool synced = false;
  std::string sync_status;
  // Keyed "<ver>-<os>-<arch>" by the reference controller.
  std::map<std::string, ProviderVersion> provider_version_refs;
  std::optional<Scan> source_scan;  // go.mod scan, with `version`
  std::optional<std::string> resolved_source_repository;
  bool operator==(const ProviderStatus&) const = default;
};

struct Provider {
  ObjectMeta metadata;
  ProviderSpec spec;
  ProviderStatus status;
  bool operator==(const Provider&) const = default;
};

// As for Module (see module.h): Error only for input that is no Provider at all.
Decoded<Provider> decodeProvider(simdjson::dom::element root);
Result<Decoded<Provider>> decodeProvider(std::string_view json,
                                         JsonLimits limits = kResourceJsonLimits);
Result<Provider> parseProvider(std::string_view json, JsonLimits limits = kResourceJsonLimits);

// Metadata names, spec.providerConfig required with non-empty operatingSystems and
// architectures (ASCII registry identifiers), spec.versions non-empty with non-empty
// versions, versionHistoryLimit >= 0, storage.
Problems validate(const Provider& provider);

void writeJson(JsonWriter& w, const Provider& provider);
std::string toJson(const Provider& provider);

// spec.providerConfig.name, else metadata.name: the provider type and Version name base.
std::string providerBaseName(const Provider& provider);
// Every version x OS x arch of the spec, in spec order.
std::vector<ProviderTarget> providerTargets(const Provider& provider);

}  // namespace od::core
