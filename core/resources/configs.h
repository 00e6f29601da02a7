#pragma once
// Shared sub-types of the OpenDepot resources (reference api/v1alpha1/types.go):
// StorageConfig and its backends, GithubClientConfig, ModuleConfig, ProviderConfig,
// SecurityFinding and the scan results, with their decoders, writers and validators.
// Thread affinity: plain values, any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/resources/meta.h"

namespace od::core {

struct S3Config {
  std::string bucket;
  std::optional<std::string> key;  // object key prefix
  std::string region;
  bool operator==(const S3Config&) const = default;
};

struct AzureStorageConfig {
  std::string account_name;
  std::string account_url;
  std::string subscription_id;  // JSON "subscriptionID"
  std::string resource_group;
  bool operator==(const AzureStorageConfig&) const = default;
};

struct GcsConfig {
  std::string bucket;
  bool operator==(const GcsConfig&) const = default;
};

struct FileSystemConfig {
  std::optional<std::string> directory_path;
  bool operator==(const FileSystemConfig&) const = default;
};

struct PresignConfig {
  std::optional<bool> enabled;             // unset means false
  std::optional<std::string> ttl;          // Go duration, CRD default "15m"
  std::optional<bool> fallback_to_proxy;   // CRD default true
  bool operator==(const PresignConfig&) const = default;
};

// Several backends may be set at once (the reference has no oneOf).
struct StorageConfig {
  std::optional<S3Config> s3;
  std::optional<AzureStorageConfig> azure_storage;
  std::optional<GcsConfig> gcs;
  std::optional<FileSystemConfig> file_system;
  std::optional<PresignConfig> presign;
  bool operator==(const StorageConfig&) const = default;
};

struct GithubClientConfig {
  bool use_authenticated_client = false;
  bool operator==(const GithubClientConfig&) const = default;
};

// Module.spec.moduleConfig, Depot.spec.moduleConfigs[], Depot.spec.global.moduleConfig,
// Version.spec.moduleConfigRef.
struct ModuleConfig {
  std::optional<std::string> file_format;  // "zip" or "tar"
  std::optional<GithubClientConfig> github_client_config;
  std::optional<bool> immutable;
  std::optional<std::string> name;  // defaults to the Module's metadata.name
  std::string provider;             // the "system" segment
  std::string repo_owner;
  std::optional<std::string> repo_url;
  std::optional<StorageConfig> storage_config;
  std::string version_constraints;  // Depot only
  std::optional<int64_t> version_history_limit;
  bool operator==(const ModuleConfig&) const = default;
};

// Provider.spec.providerConfig, Depot.spec.providerConfigs[], Version.spec.providerConfigRef.
struct ProviderConfig {
  std::optional<std::string> name;       // provider type; defaults to metadata.name
  std::optional<std::string> namespace_;  // upstream namespace, default "hashicorp"
  std::vector<std::string> operating_systems;
  std::vector<std::string> architectures;
  std::optional<GithubClientConfig> github_client_config;
  std::optional<std::string> source_repository;
  std::optional<StorageConfig> storage_config;
  std::optional<int64_t> version_history_limit;
  std::string version_constraints;  // Depot only
  bool operator==(const ProviderConfig&) const = default;
};

struct SecurityFinding {
  std::string vulnerability_id;  // JSON "vulnerabilityID"
  std::string pkg_name;
  std::string installed_version;
  std::string fixed_version;
  std::string severity;
  std::string title;
  bool operator==(const SecurityFinding&) const = default;
};

// ModuleSourceScan, ProviderSourceScan (which adds `version`) and ProviderBinaryScan.
struct Scan {
  std::string scanned_at;              // RFC 3339, UTC
  std::optional<std::string> version;  // ProviderSourceScan only
  std::vector<SecurityFinding> findings;
  bool operator==(const Scan&) const = default;
};

StorageConfig decodeStorageConfig(const FieldReader& reader);
GithubClientConfig decodeGithubClientConfig(const FieldReader& reader);
ModuleConfig decodeModuleConfig(const FieldReader& reader);
ProviderConfig decodeProviderConfig(const FieldReader& reader);
Scan decodeScan(const FieldReader& reader);

// Each writes one JSON object (the caller has written the key, if any).
void writeStorageConfig(JsonWriter& w, const StorageConfig& config);
void writeGithubClientConfig(JsonWriter& w, const GithubClientConfig& config);
void writeModuleConfig(JsonWriter& w, const ModuleConfig& config);
void writeProviderConfig(JsonWriter& w, const ProviderConfig& config);
void writeScan(JsonWriter& w, const Scan& scan);

// A Go duration ("15m", "1h30m", "90s", "1.5h", "250ms"): a sequence of decimal numbers,
// each with a unit ns, us, µs, ms, s, m or h. Errc::Invalid for anything else, negative
// values, or values past int64 nanoseconds.
Result<std::chrono::nanoseconds> parseGoDuration(std::string_view text);

// What ModuleConfig validation requires beyond well-formed values.
struct ModuleConfigRules {
  bool require_file_format = false;  // Module: fileFormat is dereferenced without a check
  bool require_name = false;         // Depot entries: name is dereferenced without a check
  bool require_repo_owner = false;   // Depot entries: releases are listed by owner/name
  bool require_constraints = false;  // Depot entries: an empty constraint is an error
};
struct ProviderConfigRules {
  bool require_platforms = false;    // Provider: OS and architecture lists non-empty
  bool require_name = false;         // Depot entries
  bool require_constraints = false;  // Depot entries
};

void validateStorageConfig(const StorageConfig& config, const std::string& path,
                           Problems* problems);
void validateModuleConfig(const ModuleConfig& config, const std::string& path,
                          const ModuleConfigRules& rules, Problems* problems);
void validateProviderConfig(const ProviderConfig& config, const std::string& path,
                            const ProviderConfigRules& rules, Problems* problems);
// A non-negative integer field ("must be >= 0").
void validateNonNegative(const std::optional<int64_t>& value, const std::string& path,
                         Problems* problems);

}  // namespace od::core
