#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/names.h"
#include "core/resources/any_resource.h"

namespace od::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string readData(const std::string& name) {
  std::ifstream in(std::string(OD_TEST_DATA_DIR) + "/resources/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

template <typename T, typename Parse>
void expectRoundTrip(const T& resource, Parse parse) {
  const std::string json = toJson(resource);
  auto again = parse(json, kResourceJsonLimits);
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << json;
  EXPECT_EQ(*again, resource) << json;
  EXPECT_EQ(toJson(*again), json);
}

// ---- the reference's own examples ----

TEST(ReferenceExamples, ModuleSampleParses) {
  auto module = parseModule(readData("module-sample.json"));
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ(module->metadata.name, "terraform-aws-eks");
  EXPECT_EQ(module->metadata.namespace_, "defdevio");
  const ModuleConfig& config = *module->spec.module_config;
  EXPECT_EQ(config.file_format, "zip");
  EXPECT_EQ(config.immutable, true);
  EXPECT_FALSE(config.name.has_value());
  EXPECT_TRUE(config.github_client_config->use_authenticated_client);
  EXPECT_EQ(config.repo_owner, "terraform-aws-modules");
  EXPECT_EQ(config.storage_config->file_system->directory_path,
            "/Users/tonedefdev/Desktop/modules/");
  ASSERT_EQ(module->spec.versions.size(), 1u);
  EXPECT_EQ(module->spec.versions[0].version, "v21.12.0");
  EXPECT_EQ(moduleBaseName(*module), "terraform-aws-eks");
  expectRoundTrip(*module, [](auto j, auto l) { return parseModule(j, l); });
}

TEST(ReferenceExamples, ProviderSampleParsesAndNamesItsVersions) {
  auto provider = parseProvider(readData("provider-sample.json"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  EXPECT_THAT(provider->spec.provider_config->operating_systems, ElementsAre("linux", "darwin"));
  EXPECT_EQ(providerBaseName(*provider), "aws");
  auto names = providerVersionNames(providerBaseName(*provider), providerTargets(*provider));
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("aws-5-80-0-linux-amd64", "aws-5-80-0-linux-arm64",
                                  "aws-5-80-0-darwin-amd64", "aws-5-80-0-darwin-arm64"));
  expectRoundTrip(*provider, [](auto j, auto l) { return parseProvider(j, l); });
}

TEST(ReferenceExamples, DepotExampleParses) {
  auto depot = parseDepot(readData("depot-example.json"));
  ASSERT_TRUE(depot.ok()) << depot.error().message;
  EXPECT_EQ(depot->spec.polling_interval_minutes, 60);
  EXPECT_EQ(depot->spec.global->module_config->file_format, "zip");
  ASSERT_EQ(depot->spec.module_configs.size(), 3u);
  EXPECT_EQ(depot->spec.module_configs[0].version_constraints, ">= 2.0.0, < 2.0.4");
  EXPECT_FALSE(depot->spec.module_configs[0].file_format.has_value());  // inherited
  ASSERT_EQ(depot->spec.provider_configs.size(), 1u);
  EXPECT_EQ(depot->spec.provider_configs[0].name, "null");
  expectRoundTrip(*depot, [](auto j, auto l) { return parseDepot(j, l); });
}

TEST(ReferenceExamples, GroupBindingParses) {
  auto binding = parseGroupBinding(readData("groupbinding-platform-team.json"));
  ASSERT_TRUE(binding.ok()) << binding.error().message;
  EXPECT_EQ(binding->spec.expression, "\"platform\" in groups || \"platform-readonly\" in groups");
  EXPECT_THAT(binding->spec.module_resources, ElementsAre("terraform-aws-*", "terraform-google-gke"));
  EXPECT_THAT(binding->spec.provider_resources, ElementsAre("aws", "google"));
  expectRoundTrip(*binding, [](auto j, auto l) { return parseGroupBinding(j, l); });
}

// ---- API-server shaped objects ----

TEST(ApiServerObjects, VersionWithStatusParsesEveryField) {
  auto version = parseVersion(readData("version-module-apiserver.json"));
  ASSERT_TRUE(version.ok()) << version.error().message;
  const auto& meta = version->metadata;
  EXPECT_EQ(meta.generation, 3);
  EXPECT_EQ(meta.resource_version, "48213");
  EXPECT_THAT(meta.finalizers, ElementsAre(std::string(kFinalizer)));
  EXPECT_EQ(meta.labels.at(std::string(kLabelModule)), "terraform-aws-key-pair");
  ASSERT_EQ(meta.owner_references.size(), 1u);
  EXPECT_EQ(meta.owner_references[0].controller, true);
  EXPECT_EQ(meta.owner_references[0].block_owner_deletion, true);
  const auto& storage = *version->spec.module_config_ref->storage_config;
  EXPECT_EQ(storage.s3->key, "modules/");
  EXPECT_EQ(storage.presign->fallback_to_proxy, false);
  EXPECT_EQ(storage.presign->ttl, "1h30m");
  const auto& status = version->status;
  EXPECT_EQ(status.archive_size_bytes, 18234);
  EXPECT_EQ(status.observed_generation, 3);
  ASSERT_EQ(status.conditions.size(), 1u);
  EXPECT_EQ(status.conditions[0].type, "Ready");
  EXPECT_EQ(status.conditions[0].observed_generation, 3);
  EXPECT_EQ(status.readme_config_map_ref->name, "terraform-aws-key-pair-2-0-0-readme");
  ASSERT_EQ(status.source_scan->findings.size(), 1u);
  EXPECT_EQ(status.source_scan->findings[0].installed_version, "");
  EXPECT_EQ(status.source_scan->findings[0].title, "Key pair without rotation");
  expectRoundTrip(*version, [](auto j, auto l) { return parseVersion(j, l); });
}

TEST(ApiServerObjects, ProviderStatusKeepsRefsScanAndResolvedRepository) {
  auto provider = parseProvider(readData("provider-apiserver.json"));
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  const auto& status = provider->status;
  EXPECT_EQ(status.latest_version, "v5.80.0");
  EXPECT_EQ(status.provider_version_refs.at("5.80.0-linux-amd64").name, "aws-5-80-0-linux-amd64");
  EXPECT_EQ(status.source_scan->version, "5.80.0");
  EXPECT_EQ(status.resolved_source_repository,
            "https://github.com/hashicorp/terraform-provider-aws");
  // An explicit 0 differs from unset (Go *int).
  EXPECT_EQ(provider->spec.provider_config->version_history_limit, 0);
  EXPECT_FALSE(provider->spec.provider_config->github_client_config->use_authenticated_client);
  expectRoundTrip(*provider, [](auto j, auto l) { return parseProvider(j, l); });
}

TEST(ApiServerObjects, UnsetAndFalseStayDistinctThroughRoundTrip) {
  auto a = parseModule(R"({"metadata":{"name":"m"},"spec":{"moduleConfig":{"fileFormat":"zip",
      "immutable":false},"versions":[{"version":"1.0.0"}]}})");
  auto b = parseModule(R"({"metadata":{"name":"m"},"spec":{"moduleConfig":{"fileFormat":"zip"},
      "versions":[{"version":"1.0.0"}]}})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->spec.module_config->immutable, false);
  EXPECT_FALSE(b->spec.module_config->immutable.has_value());
  EXPECT_NE(*a, *b);
  EXPECT_THAT(toJson(*a), HasSubstr("\"immutable\":false"));
  EXPECT_THAT(toJson(*b), ::testing::Not(HasSubstr("immutable")));
}


// ---- every field set: the writer forgets nothing ----

ObjectMeta fullMeta(std::string name) {
  ObjectMeta m;
  m.name = std::move(name);
  m.namespace_ = "ns";
  m.uid = "uid-1";
  m.resource_version = "42";
  m.generation = 7;
  m.labels = {{std::string(kLabelPublic), "true"}};
  m.annotations = {{"note", "{\"json\": [1]}"}};
  m.owner_references = {OwnerReference{"opendepot.defdev.io/v1alpha1", "Module", "m", "u", true,
                                       false}};
  m.finalizers = {std::string(kFinalizer)};
  m.creation_timestamp = "2026-01-01T00:00:00Z";
  m.deletion_timestamp = "2026-01-02T00:00:00Z";
  return m;
}

StatusCommon fullCommon() {
  return StatusCommon{5, {Condition{"Ready", "False", "Failed", "fetch failed: 404",
                                    "2026-01-01T00:00:01Z", 5},
                          Condition{"Synced", "Unknown", "", "", "", std::nullopt}}};
}

StorageConfig fullStorage() {
  StorageConfig s;
  s.s3 = S3Config{"bucket", "prefix/", "eu-west-1"};
  s.azure_storage = AzureStorageConfig{"acct", "https://acct.blob.core.windows.net", "sub", "rg"};
  s.gcs = GcsConfig{"gbucket"};
  s.file_system = FileSystemConfig{"/data"};
  s.presign = PresignConfig{true, "15m", false};
  return s;
}

ModuleConfig fullModuleConfig() {
  return ModuleConfig{"tar", GithubClientConfig{true}, false, "mod", "aws", "owner",
                      "https://github.com/owner/mod", fullStorage(), ">= 1.0.0", 0};
}

ProviderConfig fullProviderConfig() {
  return ProviderConfig{"aws", "hashicorp", {"linux", "darwin"}, {"amd64"},
                        GithubClientConfig{false}, "https://github.com/hashicorp/terraform-provider-aws",
                        fullStorage(), 3, "~> 5.0"};
}

Scan fullScan(std::optional<std::string> version) {
  return Scan{"2026-01-01T00:00:00Z", std::move(version),
              {SecurityFinding{"CVE-1", "pkg", "1.0", "1.1", "HIGH", "t"},
               SecurityFinding{"AVD-2", "main.tf", "", "", "LOW", ""}}};
}

TEST(RoundTrip, ModuleWithEveryField) {
  Module m{fullMeta("mod"), {}, {}};
  m.spec = ModuleSpec{true, fullModuleConfig(),
                      {ModuleVersion{"a.zip", "mod-1-0-0", true, "1.0.0"}, ModuleVersion{}}};
  m.spec.versions[1].version = "v2.0.0";
  static_cast<StatusCommon&>(m.status) = fullCommon();
  m.status.latest_version = "v2.0.0";
  m.status.file_name = "unused";
  m.status.synced = true;
  m.status.sync_status = "Successfully synced module";
  m.status.module_version_refs = {{"1.0.0", ModuleVersion{"a.zip", "mod-1-0-0", false, ""}}};
  expectRoundTrip(m, [](auto j, auto l) { return parseModule(j, l); });
}

TEST(RoundTrip, ProviderWithEveryField) {
  Provider p{fullMeta("aws"), {}, {}};
  p.spec = ProviderSpec{true, fullProviderConfig(),
                        {ProviderVersion{"amd64", "n", "linux", true, "5.80.0"}}};
  static_cast<StatusCommon&>(p.status) = fullCommon();
  p.status.latest_version = "v5.80.0";
  p.status.file_name = "f";
  p.status.sync_status = "s";
  p.status.provider_version_refs = {{"5.80.0-linux-amd64", p.spec.versions[0]}};
  p.status.source_scan = fullScan("5.80.0");
  p.status.resolved_source_repository = "https://github.com/hashicorp/terraform-provider-aws";
  expectRoundTrip(p, [](auto j, auto l) { return parseProvider(j, l); });
}

TEST(RoundTrip, VersionWithEveryField) {
  Version v{fullMeta("aws-5-80-0-linux-amd64"), {}, {}};
  v.spec = VersionSpec{"amd64", "0190.zip", true, std::nullopt, fullProviderConfig(), "linux",
                       "Provider", "5.80.0"};
  static_cast<StatusCommon&>(v.status) = fullCommon();
  v.status.checksum = "abc=";
  v.status.synced = true;
  v.status.sync_status = "ok";
  v.status.archive_size_bytes = int64_t{1} << 40;
  v.status.binary_scan = fullScan(std::nullopt);
  v.status.source_scan = fullScan(std::nullopt);
  v.status.readme_config_map_ref = ConfigMapKeyRef{"x-readme", "README.md"};
  expectRoundTrip(v, [](auto j, auto l) { return parseVersion(j, l); });
  v.spec.provider_config_ref.reset();
  v.spec.module_config_ref = fullModuleConfig();
  v.spec.type = "Module";
  expectRoundTrip(v, [](auto j, auto l) { return parseVersion(j, l); });
}

TEST(RoundTrip, DepotWithEveryField) {
  Depot d{fullMeta("depot"), {}, {}};
  d.spec.global = GlobalConfig{GithubClientConfig{true}, fullModuleConfig(), fullStorage()};
  d.spec.module_configs = {fullModuleConfig(), fullModuleConfig()};
  d.spec.provider_configs = {fullProviderConfig()};
  d.spec.polling_interval_minutes = 0;
  static_cast<StatusCommon&>(d.status) = fullCommon();
  d.status.modules = {"mod"};
  d.status.providers = {"aws", "null"};
  expectRoundTrip(d, [](auto j, auto l) { return parseDepot(j, l); });
}

TEST(RoundTrip, GroupBindingAndAnyResource) {
  GroupBinding b{fullMeta("g"), GroupBindingSpec{"\"a\" in groups", {"x-*"}, {"*"}}, {}};
  static_cast<StatusCommon&>(b.status) = fullCommon();
  expectRoundTrip(b, [](auto j, auto l) { return parseGroupBinding(j, l); });
  AnyResource any(b);
  expectRoundTrip(any, [](auto j, auto l) { return parseAnyResource(j, l); });
}

}  // namespace
}  // namespace od::core
