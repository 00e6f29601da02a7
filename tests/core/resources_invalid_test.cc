// Bad inputs for the resource decoders and validators: every problem reported, with its path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/names.h"
#include "core/resources/any_resource.h"

namespace od::core {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;

std::vector<std::string> lines(const Problems& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems.list()) {
    out.push_back(p.path + ": " + p.message);
  }
  return out;
}

constexpr std::string_view kGoodModule = R"({
  "apiVersion": "opendepot.defdev.io/v1alpha1", "kind": "Module",
  "metadata": {"name": "terraform-aws-key-pair", "namespace": "opendepot-system"},
  "spec": {"moduleConfig": {"fileFormat": "zip", "repoOwner": "o"},
           "versions": [{"version": "2.0.0"}, {"version": "2.0.1"}]}})";

TEST(ResourceDecode, RejectsMalformedJson) {
  auto r = parseModule(R"({"metadata": {"name": "x"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Invalid);
  EXPECT_THAT(r.error().message, HasSubstr("malformed JSON"));
  EXPECT_FALSE(parseAnyResource("").ok());
  EXPECT_FALSE(parseAnyResource("{\"kind\": \"Module\", \"x\": \"\xff\"}").ok());
}

TEST(ResourceDecode, RejectsOversizedJson) {
  std::string big(kGoodModule);
  big.insert(big.size() - 1, ",\"pad\":\"" + std::string(3 * 1024 * 1024, 'x') + "\"");
  auto r = parseModule(big);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("exceeds the limit"));
  auto small = parseModule(kGoodModule, JsonLimits{100, 64});
  EXPECT_FALSE(small.ok());
}

TEST(ResourceDecode, RejectsTooDeepJson) {
  std::string deep = std::string(100, '[') + std::string(100, ']');
  std::string doc = R"({"kind":"Module","metadata":{"name":"m"},"x":)" + deep + "}";
  auto r = parseModule(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("deeper than 64"));
}

TEST(ResourceDecode, RejectsWrongKindOrApiVersion) {
  std::string json(kGoodModule);
  auto as_provider = parseProvider(json);
  ASSERT_FALSE(as_provider.ok());
  EXPECT_THAT(as_provider.error().message, HasSubstr("kind: expected Provider, got \"Module\""));
  std::string other = json;
  other.replace(other.find("opendepot.defdev.io/v1alpha1"), 28, "opendepot.defdev.io/v2");
  auto wrong_version = parseModule(other);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_THAT(wrong_version.error().message, HasSubstr("apiVersion: must be"));
  EXPECT_FALSE(parseModule("[1,2]").ok());
}

TEST(ResourceDecode, ReportsEveryWrongTypeWithItsPath) {
  auto decoded = decodeModule(R"({
    "metadata": {"name": "m", "generation": "3", "labels": {"a": 1}},
    "spec": {"forceSync": "yes",
             "moduleConfig": {"fileFormat": "zip", "immutable": "true", "name": 7,
                              "versionHistoryLimit": 1.5,
                              "storageConfig": {"s3": "bucket"}},
             "versions": [{"version": "1.0.0"}, {"version": 1.2}, "2.0.0"]},
    "status": {"synced": 1, "moduleVersionRefs": []}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_THAT(lines(decoded->problems),
              UnorderedElementsAre(
                  "metadata.generation: must be an integer, got string",
                  "metadata.labels[a]: must be a string, got number",
                  "spec.forceSync: must be a boolean, got string",
                  "spec.moduleConfig.immutable: must be a boolean, got string",
                  "spec.moduleConfig.name: must be a string, got number",
                  "spec.moduleConfig.versionHistoryLimit: must be an integer, got a fractional "
                  "number",
                  "spec.moduleConfig.storageConfig.s3: must be an object, got string",
                  "spec.versions[1].version: must be a string, got number",
                  "spec.versions[2]: must be an object, got string",
                  "status.synced: must be a boolean, got number",
                  "status.moduleVersionRefs: must be an object, got array",
                  // Validation still runs; the storage config is left with no backend.
                  "spec.moduleConfig.storageConfig: must set one of s3, azureStorage, gcs or "
                  "fileSystem"));
  auto strict = parseModule(R"({"metadata":{"name":"m"},"spec":{"versions":[{"version":1}]}})");
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.error().message, HasSubstr("spec.versions[0].version: must be a string, got number"));
  EXPECT_THAT(strict.error().message, HasSubstr("spec.moduleConfig: is required"));
}

TEST(ResourceDecode, IgnoresUnknownFieldsAndNulls) {
  auto r = parseModule(R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Module",
    "metadata":{"name":"m","managedFields":[{"x":1}],"deletionTimestamp":null},
    "spec":{"future":{"deep":[1,2,3]},"moduleConfig":{"fileFormat":"tar","repoUrl":null,
            "newThing":true},"versions":[{"version":"1.0.0","extra":1}]},
    "unknownTopLevel":"x"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->metadata.deletion_timestamp.has_value());
  EXPECT_FALSE(r->spec.module_config->repo_url.has_value());
}

TEST(ResourceDecode, RejectsDuplicateKeys) {
  auto r = decodeModule(R"({"metadata":{"name":"m","name":"n"},"spec":{"moduleConfig":
    {"fileFormat":"zip"},"versions":[{"version":"1"}]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems), Contains("metadata.name: duplicate JSON key"));
}

TEST(ModuleValidation, ReportsMissingRequiredFields) {
  auto r = decodeModule(R"({"metadata":{},"spec":{}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre("metadata.name: is required", "spec.moduleConfig: is required",
                                   "spec.versions: must list at least one version"));
  auto empty_version = decodeModule(
      R"({"metadata":{"name":"m"},"spec":{"moduleConfig":{},"versions":[{"version":""}]}})");
  ASSERT_TRUE(empty_version.ok());
  EXPECT_THAT(lines(empty_version->problems),
              UnorderedElementsAre("spec.moduleConfig.fileFormat: is required (zip or tar)",
                                   "spec.versions[0].version: is required"));
}

TEST(ModuleValidation, ReportsBadValuesTogether) {
  auto r = decodeModule(R"({"metadata":{"name":"Bad_Name","namespace":"n\u00e9",
      "labels":{"opendepot.defdev.io/public":"not ok!"}},
    "spec":{"moduleConfig":{"fileFormat":"rar","versionHistoryLimit":-1,"name":"caf\u00e9",
            "storageConfig":{"s3":{"bucket":""},"presign":{"ttl":"15 minutes"}}},
            "versions":[{"version":"1.0.0"}]}})");
  ASSERT_TRUE(r.ok());
  const auto got = lines(r->problems);
  EXPECT_EQ(got.size(), 9u) << r->problems.describe();
  EXPECT_THAT(got, IsSupersetOf({
      "spec.moduleConfig.fileFormat: must be zip or tar",
      "spec.moduleConfig.versionHistoryLimit: must be >= 0, got -1",
      "spec.moduleConfig.storageConfig.s3.bucket: is required",
      "spec.moduleConfig.storageConfig.s3.region: is required"}));
  EXPECT_THAT(r->problems.describe(), HasSubstr("metadata.name: 'B' at position 0"));
  EXPECT_THAT(r->problems.describe(), HasSubstr("metadata.namespace: must be ASCII only"));
  EXPECT_THAT(r->problems.describe(), HasSubstr("spec.moduleConfig.name: must be ASCII only"));
  EXPECT_THAT(r->problems.describe(),
              HasSubstr("metadata.labels[opendepot.defdev.io/public]: invalid label value"));
  EXPECT_THAT(r->problems.describe(),
              HasSubstr("spec.moduleConfig.storageConfig.presign.ttl: \"15 minutes\" is not a "
                        "valid duration"));
}

TEST(ModuleValidation, RejectsNamesTooLong) {
  std::string name(254, 'a');
  auto r = decodeModule(R"({"metadata":{"name":")" + name + R"(","namespace":")" +
                        std::string(64, 'n') + R"("},"spec":{"moduleConfig":{"fileFormat":"zip"},
                        "versions":[{"version":"1"}]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre("metadata.name: must be at most 253 characters, has 254",
                                   "metadata.namespace: must be at most 63 characters, has 64"));
}

TEST(ModuleValidation, CollidingVersionsAreReportedByNames) {
  auto r = parseModule(R"({"metadata":{"name":"mod"},"spec":{"moduleConfig":{"fileFormat":"zip"},
    "versions":[{"version":"1.2.0"},{"version":"v1.2.0"},{"version":"1.2_0"}]}})");
  ASSERT_TRUE(r.ok());
  std::vector<std::string> versions;
  for (const auto& v : r->spec.versions) {
    versions.push_back(v.version);
  }
  auto names = moduleVersionNames(moduleBaseName(*r), versions);
  ASSERT_FALSE(names.ok());
  EXPECT_THAT(names.error().message, HasSubstr("\"1.2.0\" and version \"v1.2.0\""));
}

TEST(ProviderValidation, RequiresPlatformsAndAsciiIdentifiers) {
  auto r = decodeProvider(R"({"metadata":{"name":"aws"},"spec":{"providerConfig":
    {"name":"\u0430ws","operatingSystems":[],"architectures":["amd64",""]},
    "versions":[{"version":"5.80.0"}]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre(
                  "spec.providerConfig.name: must be ASCII only: byte 0xd0 at position 0",
                  "spec.providerConfig.operatingSystems: must list at least one entry",
                  "spec.providerConfig.architectures[1]: must not be empty"));
}

TEST(VersionValidation, TypeMustBeExactCase) {
  auto r = decodeVersion(R"({"metadata":{"name":"v"},"spec":{"type":"module","version":"1"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre(
                  "spec.type: must be Module or Provider (exact case), got \"module\""));
  auto missing = decodeVersion(R"({"metadata":{"name":"v"},"spec":{}})");
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(lines(missing->problems),
              UnorderedElementsAre("spec.type: is required (Module or Provider)",
                                   "spec.version: is required"));
}

TEST(VersionValidation, BothConfigRefsGiveTheReferenceMessage) {
  auto r = parseVersion(R"({"metadata":{"name":"v"},"spec":{"type":"Module","version":"1",
    "moduleConfigRef":{"name":"m"},"providerConfigRef":{"name":"p"}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "spec: " + std::string(kDualConfigMessage));
}

TEST(VersionValidation, ProviderNeedsPlatformAndDotlessName) {
  auto r = decodeVersion(R"({"metadata":{"name":"aws.5"},"spec":{"type":"Provider",
    "version":"5.0.0","providerConfigRef":{"name":"aws"},"fileName":"../x.zip"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre(
                  "metadata.name: Version name 'aws.5' is invalid: name must not contain '.' "
                  "characters: rename the resource and reapply",
                  "spec.operatingSystem: is required for type Provider",
                  "spec.architecture: is required for type Provider",
                  "spec.fileName: must not contain '/' or '\\'"));
}

TEST(DepotValidation, RequiresGlobalStorageAndEntryFields) {
  auto r = decodeDepot(R"({"metadata":{"name":"d"},"spec":{"pollingIntervalMinutes":-5,
    "moduleConfigs":[{"name":"m","fileFormat":"7z"}],"providerConfigs":[{"architectures":["arm64"]}]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(lines(r->problems),
              UnorderedElementsAre("spec.global.storageConfig: is required",
                                   "spec.moduleConfigs[0].fileFormat: must be zip or tar",
                                   "spec.moduleConfigs[0].repoOwner: is required",
                                   "spec.moduleConfigs[0].versionConstraints: is required",
                                   "spec.providerConfigs[0].name: is required",
                                   "spec.providerConfigs[0].operatingSystems: must list at least "
                                   "one entry",
                                   "spec.providerConfigs[0].versionConstraints: is required",
                                   "spec.pollingIntervalMinutes: must be >= 0, got -5"));
}

TEST(GroupBindingValidation, ExpressionIsRequired) {
  auto r = parseGroupBinding(R"({"metadata":{"name":"g"},"spec":{"expression":""}})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("spec.expression: is required"));
}

TEST(AnyResourceDecode, DispatchesOnKindAndExposesIdentity) {
  auto r = parseAnyResource(R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"GroupBinding",
    "metadata":{"name":"g","namespace":"ns","uid":"u-1","resourceVersion":"7","generation":2},
    "spec":{"expression":"true"}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind(), ResourceKind::GroupBinding);
  EXPECT_EQ(r->kindName(), "GroupBinding");
  EXPECT_EQ(r->key(), "GroupBinding/ns/g");
  EXPECT_EQ(r->uid(), "u-1");
  EXPECT_EQ(r->resourceVersion(), "7");
  EXPECT_EQ(r->generation(), 2);
  ASSERT_NE(r->get<GroupBinding>(), nullptr);
  EXPECT_EQ(r->get<Module>(), nullptr);
  auto again = parseAnyResource(toJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

TEST(AnyResourceDecode, RejectsUnknownKindAndMissingTypeMeta) {
  auto unknown = parseAnyResource(R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Agent"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message, HasSubstr("unknown kind \"Agent\""));
  auto no_api = parseAnyResource(R"({"kind":"Module"})");
  ASSERT_FALSE(no_api.ok());
  EXPECT_THAT(no_api.error().message, HasSubstr("apiVersion"));
  auto wrong_api = parseAnyResource(R"({"apiVersion":"v1","kind":"ConfigMap"})");
  ASSERT_FALSE(wrong_api.ok());
}

TEST(AnyResourceDecode, KeepsIdentityOfInvalidResources) {
  auto r = decodeAnyResource(R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Version",
    "metadata":{"name":"v","namespace":"ns","uid":"u"},"spec":{"type":"Bogus","version":"1"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resource.key(), "Version/ns/v");
  EXPECT_FALSE(r->problems.empty());
}

TEST(GoDuration, ParsesGoForms) {
  using std::chrono::nanoseconds;
  using namespace std::chrono_literals;
  EXPECT_EQ(*parseGoDuration("15m"), nanoseconds(15min));
  EXPECT_EQ(*parseGoDuration("1h30m"), nanoseconds(90min));
  EXPECT_EQ(*parseGoDuration("90s"), nanoseconds(90s));
  EXPECT_EQ(*parseGoDuration("1.5h"), nanoseconds(90min));
  EXPECT_EQ(*parseGoDuration("250ms"), nanoseconds(250ms));
  EXPECT_EQ(*parseGoDuration("0"), nanoseconds(0));
  for (const char* bad : {"", "15", "m", "-5m", "15 m", "1d", "1..5s", "9999999999h"}) {
    EXPECT_FALSE(parseGoDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace od::core
