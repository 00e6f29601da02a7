#include "core/resources/configs.h"

#include <cstdlib>
#include <limits>

#include "core/names.h"

namespace od::core {

// ---- decoding ----

namespace {

S3Config decodeS3(const FieldReader& r) {
  return S3Config{r.string("bucket").value_or(""), r.string("key"),
                  r.string("region").value_or("")};
}

AzureStorageConfig decodeAzure(const FieldReader& r) {
  return AzureStorageConfig{r.string("accountName").value_or(""),
                            r.string("accountUrl").value_or(""),
                            r.string("subscriptionID").value_or(""),
                            r.string("resourceGroup").value_or("")};
}

GcsConfig decodeGcs(const FieldReader& r) { return GcsConfig{r.string("bucket").value_or("")}; }

FileSystemConfig decodeFileSystem(const FieldReader& r) {
  return FileSystemConfig{r.string("directoryPath")};
}

PresignConfig decodePresign(const FieldReader& r) {
  return PresignConfig{r.boolean("enabled"), r.string("ttl"), r.boolean("fallbackToProxy")};
}

SecurityFinding decodeFinding(const FieldReader& r) {
  SecurityFinding f;
  f.vulnerability_id = r.string("vulnerabilityID").value_or("");
  f.pkg_name = r.string("pkgName").value_or("");
  f.installed_version = r.string("installedVersion").value_or("");
  f.fixed_version = r.string("fixedVersion").value_or("");
  f.severity = r.string("severity").value_or("");
  f.title = r.string("title").value_or("");
  return f;
}

}  // namespace

StorageConfig decodeStorageConfig(const FieldReader& r) {
  StorageConfig c;
  c.s3 = r.object<S3Config>("s3", decodeS3);
  c.azure_storage = r.object<AzureStorageConfig>("azureStorage", decodeAzure);
  c.gcs = r.object<GcsConfig>("gcs", decodeGcs);
  c.file_system = r.object<FileSystemConfig>("fileSystem", decodeFileSystem);
  c.presign = r.object<PresignConfig>("presign", decodePresign);
  return c;
}

GithubClientConfig decodeGithubClientConfig(const FieldReader& r) {
  return GithubClientConfig{r.boolean("useAuthenticatedClient").value_or(false)};
}

ModuleConfig decodeModuleConfig(const FieldReader& r) {
  ModuleConfig c;
  c.file_format = r.string("fileFormat");
  c.github_client_config =
      r.object<GithubClientConfig>("githubClientConfig", decodeGithubClientConfig);
  c.immutable = r.boolean("immutable");
  c.name = r.string("name");
  c.provider = r.string("provider").value_or("");
  c.repo_owner = r.string("repoOwner").value_or("");
  c.repo_url = r.string("repoUrl");
  c.storage_config = r.object<StorageConfig>("storageConfig", decodeStorageConfig);
  c.version_constraints = r.string("versionConstraints").value_or("");
  c.version_history_limit = r.integer("versionHistoryLimit");
  return c;
}

ProviderConfig decodeProviderConfig(const FieldReader& r) {
  ProviderConfig c;
  c.name = r.string("name");
  c.namespace_ = r.string("namespace");
  c.operating_systems = r.strings("operatingSystems");
  c.architectures = r.strings("architectures");
  c.github_client_config =
      r.object<GithubClientConfig>("githubClientConfig", decodeGithubClientConfig);
  c.source_repository = r.string("sourceRepository");
  c.storage_config = r.object<StorageConfig>("storageConfig", decodeStorageConfig);
  c.version_history_limit = r.integer("versionHistoryLimit");
  c.version_constraints = r.string("versionConstraints").value_or("");
  return c;
}

Scan decodeScan(const FieldReader& r) {
  Scan s;
  s.scanned_at = r.string("scannedAt").value_or("");
  s.version = r.string("version");
  s.findings = r.objects<SecurityFinding>("findings", decodeFinding);
  return s;
}

// ---- writing ----

void writeStorageConfig(JsonWriter& w, const StorageConfig& c) {
  w.beginObject();
  if (c.azure_storage) {
    const auto& a = *c.azure_storage;
    w.key("azureStorage").beginObject();
    w.member("accountName", a.account_name).member("accountUrl", a.account_url);
    w.member("subscriptionID", a.subscription_id).member("resourceGroup", a.resource_group);
    w.endObject();
  }
  if (c.file_system) {
    w.key("fileSystem").beginObject();
    writeIfSet(w, "directoryPath", c.file_system->directory_path);
    w.endObject();
  }
  if (c.s3) {
    w.key("s3").beginObject().member("bucket", c.s3->bucket);
    writeIfSet(w, "key", c.s3->key);
    w.member("region", c.s3->region).endObject();
  }
  if (c.gcs) {
    w.key("gcs").beginObject().member("bucket", c.gcs->bucket).endObject();
  }
  if (c.presign) {
    w.key("presign").beginObject();
    writeIfSet(w, "enabled", c.presign->enabled);
    writeIfSet(w, "ttl", c.presign->ttl);
    writeIfSet(w, "fallbackToProxy", c.presign->fallback_to_proxy);
    w.endObject();
  }
  w.endObject();
}

void writeGithubClientConfig(JsonWriter& w, const GithubClientConfig& c) {
  w.beginObject();
  if (c.use_authenticated_client) {
    w.member("useAuthenticatedClient", true);
  }
  w.endObject();
}

namespace {

void writeOptionalObjects(JsonWriter& w, const std::optional<GithubClientConfig>& github,
                          const std::optional<StorageConfig>& storage) {
  if (github) {
    w.key("githubClientConfig");
    writeGithubClientConfig(w, *github);
  }
  if (storage) {
    w.key("storageConfig");
    writeStorageConfig(w, *storage);
  }
}

void writeFinding(JsonWriter& w, const SecurityFinding& f) {
  w.beginObject();
  w.member("vulnerabilityID", f.vulnerability_id).member("pkgName", f.pkg_name);
  w.member("installedVersion", f.installed_version);
  writeIfNotEmpty(w, "fixedVersion", f.fixed_version);
  w.member("severity", f.severity);
  writeIfNotEmpty(w, "title", f.title);
  w.endObject();
}

}  // namespace

void writeModuleConfig(JsonWriter& w, const ModuleConfig& c) {
  w.beginObject();
  writeIfSet(w, "fileFormat", c.file_format);
  writeIfSet(w, "immutable", c.immutable);
  writeIfSet(w, "name", c.name);
  writeIfNotEmpty(w, "provider", c.provider);
  writeIfNotEmpty(w, "repoOwner", c.repo_owner);
  writeIfSet(w, "repoUrl", c.repo_url);
  writeOptionalObjects(w, c.github_client_config, c.storage_config);
  writeIfNotEmpty(w, "versionConstraints", c.version_constraints);
  writeIfSet(w, "versionHistoryLimit", c.version_history_limit);
  w.endObject();
}

void writeProviderConfig(JsonWriter& w, const ProviderConfig& c) {
  w.beginObject();
  writeIfSet(w, "name", c.name);
  writeIfSet(w, "namespace", c.namespace_);
  writeIfNotEmpty(w, "operatingSystems", c.operating_systems);
  writeIfNotEmpty(w, "architectures", c.architectures);
  writeIfSet(w, "sourceRepository", c.source_repository);
  writeOptionalObjects(w, c.github_client_config, c.storage_config);
  writeIfSet(w, "versionHistoryLimit", c.version_history_limit);
  writeIfNotEmpty(w, "versionConstraints", c.version_constraints);
  w.endObject();
}

void writeScan(JsonWriter& w, const Scan& s) {
  w.beginObject();
  w.member("scannedAt", s.scanned_at);
  writeIfSet(w, "version", s.version);
  if (!s.findings.empty()) {
    w.key("findings").beginArray();
    for (const auto& f : s.findings) {
      writeFinding(w, f);
    }
    w.endArray();
  }
  w.endObject();
}

// ---- durations ----

namespace {

// Nanoseconds per unit, or 0 for an unknown unit.
int64_t unitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return 1000 * 1000 * 1000;
  if (unit == "m") return int64_t{60} * 1000 * 1000 * 1000;
  if (unit == "h") return int64_t{3600} * 1000 * 1000 * 1000;
  return 0;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::nanoseconds> parseGoDuration(std::string_view text) {
  auto fail = [&](std::string why) {
    return makeError(Errc::Invalid,
                     "\"" + std::string(text) + "\" is not a valid duration: " + why);
  };
  if (text == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (text.empty()) {
    return fail("empty (use e.g. \"15m\", \"1h30m\", \"90s\")");
  }
  long double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && (isDigit(text[i]) || text[i] == '.')) {
      ++i;
    }
    const std::string number(text.substr(start, i - start));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return fail("expected a number at position " + std::to_string(start));
    }
    const size_t unit_start = i;
    while (i < text.size() && !isDigit(text[i]) && text[i] != '.') {
      ++i;
    }
    const int64_t nanos = unitNanos(text.substr(unit_start, i - unit_start));
    if (nanos == 0) {
      return fail("unknown or missing unit at position " + std::to_string(unit_start) +
                  " (use ns, us, ms, s, m or h)");
    }
    total += std::strtold(number.c_str(), nullptr) * static_cast<long double>(nanos);
  }
  if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return fail("too large");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

// ---- validation ----

void validateNonNegative(const std::optional<int64_t>& value, const std::string& path,
                         Problems* problems) {
  if (value && *value < 0) {
    problems->add(path, "must be >= 0, got " + std::to_string(*value));
  }
}

namespace {

void require(const std::string& value, const std::string& path, Problems* problems) {
  if (value.empty()) {
    problems->add(path, "is required");
  }
}

void validateIdentifier(const std::optional<std::string>& value, const std::string& path,
                        Problems* problems) {
  if (!value) {
    return;
  }
  if (auto why = registryIdentifierProblem(*value)) {
    problems->add(path, *why);
  }
}

void validateIdentifiers(const std::vector<std::string>& values, const std::string& path,
                         bool required, Problems* problems) {
  if (required && values.empty()) {
    problems->add(path, "must list at least one entry");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    validateIdentifier(values[i], indexPath(path, i), problems);
  }
}

void validatePresign(const PresignConfig& p, const std::string& path, Problems* problems) {
  if (!p.ttl) {
    return;
  }
  auto d = parseGoDuration(*p.ttl);
  if (!d.ok()) {
    problems->add(joinPath(path, "ttl"), d.error().message);
  } else if (d->count() <= 0) {
    problems->add(joinPath(path, "ttl"), "must be a positive duration");
  }
}

}  // namespace

void validateStorageConfig(const StorageConfig& c, const std::string& path, Problems* problems) {
  if (!c.s3 && !c.azure_storage && !c.gcs && !c.file_system) {
    problems->add(path, "must set one of s3, azureStorage, gcs or fileSystem");
  }
  if (c.s3) {
    require(c.s3->bucket, joinPath(path, "s3.bucket"), problems);
    require(c.s3->region, joinPath(path, "s3.region"), problems);
  }
  if (c.azure_storage) {
    const auto& a = *c.azure_storage;
    require(a.account_name, joinPath(path, "azureStorage.accountName"), problems);
    require(a.account_url, joinPath(path, "azureStorage.accountUrl"), problems);
    require(a.subscription_id, joinPath(path, "azureStorage.subscriptionID"), problems);
    require(a.resource_group, joinPath(path, "azureStorage.resourceGroup"), problems);
  }
  if (c.gcs) {
    require(c.gcs->bucket, joinPath(path, "gcs.bucket"), problems);
  }
  if (c.file_system) {
    require(c.file_system->directory_path.value_or(""), joinPath(path, "fileSystem.directoryPath"),
            problems);
  }
  if (c.presign) {
    validatePresign(*c.presign, joinPath(path, "presign"), problems);
  }
}

void validateModuleConfig(const ModuleConfig& c, const std::string& path,
                          const ModuleConfigRules& rules, Problems* problems) {
  if (c.file_format) {
    if (*c.file_format != "zip" && *c.file_format != "tar") {
      problems->add(joinPath(path, "fileFormat"), "must be zip or tar");
    }
  } else if (rules.require_file_format) {
    problems->add(joinPath(path, "fileFormat"), "is required (zip or tar)");
  }
  if (rules.require_name && !c.name) {
    problems->add(joinPath(path, "name"), "is required");
  }
  validateIdentifier(c.name, joinPath(path, "name"), problems);
  if (!c.provider.empty()) {
    validateIdentifier(c.provider, joinPath(path, "provider"), problems);
  }
  if (rules.require_repo_owner) {
    require(c.repo_owner, joinPath(path, "repoOwner"), problems);
  }
  if (rules.require_constraints) {
    require(c.version_constraints, joinPath(path, "versionConstraints"), problems);
  }
  validateNonNegative(c.version_history_limit, joinPath(path, "versionHistoryLimit"), problems);
  if (c.storage_config) {
    validateStorageConfig(*c.storage_config, joinPath(path, "storageConfig"), problems);
  }
}

void validateProviderConfig(const ProviderConfig& c, const std::string& path,
                            const ProviderConfigRules& rules, Problems* problems) {
  if (rules.require_name && !c.name) {
    problems->add(joinPath(path, "name"), "is required");
  }
  validateIdentifier(c.name, joinPath(path, "name"), problems);
  validateIdentifier(c.namespace_, joinPath(path, "namespace"), problems);
  validateIdentifiers(c.operating_systems, joinPath(path, "operatingSystems"),
                      rules.require_platforms, problems);
  validateIdentifiers(c.architectures, joinPath(path, "architectures"), rules.require_platforms,
                      problems);
  if (rules.require_constraints) {
    require(c.version_constraints, joinPath(path, "versionConstraints"), problems);
  }
  validateNonNegative(c.version_history_limit, joinPath(path, "versionHistoryLimit"), problems);
  if (c.storage_config) {
    validateStorageConfig(*c.storage_config, joinPath(path, "storageConfig"), problems);
  }
}

}  // namespace od::core
