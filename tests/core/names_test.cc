#include "core/names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace od::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ModuleVersionName, MatchesReferenceNaming) {
  auto name = moduleVersionName("terraform-aws-key-pair", "2.0.0");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "terraform-aws-key-pair-2-0-0");
}

TEST(ModuleVersionName, StripsOneLeadingVLowercasesAndDashesDotsAndUnderscores) {
  EXPECT_EQ(sanitizeModuleVersion("v1.2.0"), "1-2-0");
  EXPECT_EQ(sanitizeModuleVersion("vv1.2"), "v1-2");
  EXPECT_EQ(sanitizeModuleVersion("1.2_0-RC1"), "1-2-0-rc1");
  EXPECT_EQ(*moduleVersionName("terraform-aws-eks", "v21.12.0"), "terraform-aws-eks-21-12-0");
}

TEST(ModuleVersionName, RejectsBuildMetadataNamingInputAndReason) {
  auto name = moduleVersionName("mod", "1.0.0+build.5");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().code, Errc::Invalid);
  EXPECT_THAT(name.error().message, HasSubstr("\"1.0.0+build.5\""));
  EXPECT_THAT(name.error().message, HasSubstr("'+' at position"));
}

TEST(ModuleVersionName, RejectsNamesOver253Characters) {
  auto name = moduleVersionName(std::string(250, 'a'), "1.0.0");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message, HasSubstr("at most 253"));
  EXPECT_TRUE(moduleVersionName(std::string(247, 'a'), "1.0").ok());  // 247 + 4 = 251
}

TEST(ModuleVersionName, RejectsNonAsciiAndUppercaseModuleNames) {
  auto non_ascii = moduleVersionName("m\xC3\xB6" "dule", "1.0.0");
  ASSERT_FALSE(non_ascii.ok());
  EXPECT_THAT(non_ascii.error().message, HasSubstr("ASCII"));
  EXPECT_THAT(non_ascii.error().message, HasSubstr("byte 0xc3 at position 1"));
  auto upper = moduleVersionName("Module", "1.0.0");
  ASSERT_FALSE(upper.ok());
  EXPECT_THAT(upper.error().message, HasSubstr("'M' at position 0"));
}

TEST(ModuleVersionName, RejectsDotInModuleName) {
  auto name = moduleVersionName("my.module", "1.0.0");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message, HasSubstr("'.' at position 2"));
}

TEST(ProviderVersionName, MatchesReferenceNaming) {
  EXPECT_EQ(*providerVersionName("aws", "5.80.0", "linux", "amd64"), "aws-5-80-0-linux-amd64");
  EXPECT_EQ(*providerVersionName("AWS", " v5.80.0 ", "Linux", "arm_64"), "aws-5-80-0-linux-arm-64");
  EXPECT_EQ(*providerVersionName("hashicorp/aws", "1.0", "linux", "amd64"),
            "hashicorp-aws-1-0-linux-amd64");
}

TEST(ProviderVersionName, RejectsBuildMetadata) {
  auto name = providerVersionName("aws", "5.0.0+ent", "linux", "amd64");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message, HasSubstr("provider \"aws\" version \"5.0.0+ent\" linux/amd64"));
}

TEST(ReadmeConfigMapName, AppendsSuffixAndChecksLength) {
  EXPECT_EQ(*readmeConfigMapName("aws-1-0-0"), "aws-1-0-0-readme");
  EXPECT_FALSE(readmeConfigMapName(std::string(250, 'a')).ok());
}

TEST(VersionNames, ReturnsNamesInInputOrder) {
  auto names = moduleVersionNames("mod", {"1.0.0", "v1.1.0", "2.0.0"});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("mod-1-0-0", "mod-1-1-0", "mod-2-0-0"));
}

TEST(VersionNames, IdenticalEntriesShareOneName) {
  auto names = moduleVersionNames("mod", {"1.0.0", "1.0.0"});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("mod-1-0-0", "mod-1-0-0"));
}

TEST(VersionNames, ReportsEveryCollidingPair) {
  auto names = moduleVersionNames("mod", {"1.2.0", "v1.2.0", "1.2_0", "3.0.0", "3.0_0"});
  ASSERT_FALSE(names.ok());
  const auto& message = names.error().message;
  EXPECT_THAT(message, HasSubstr("version \"1.2.0\" and version \"v1.2.0\""));
  EXPECT_THAT(message, HasSubstr("version \"1.2.0\" and version \"1.2_0\""));
  EXPECT_THAT(message, HasSubstr("version \"v1.2.0\" and version \"1.2_0\""));
  EXPECT_THAT(message, HasSubstr("version \"3.0.0\" and version \"3.0_0\""));
  EXPECT_THAT(message, HasSubstr("\"mod-1-2-0\""));
}

TEST(VersionNames, PlanKeepsFirstOfCollidingEntries) {
  auto plan = planModuleVersionNames("mod", {"1.2.0", "v1.2.0", "1.0.0+x", "2.0.0"});
  ASSERT_EQ(plan.names.size(), 4u);
  EXPECT_EQ(plan.names[0], "mod-1-2-0");
  EXPECT_FALSE(plan.names[1].has_value());
  EXPECT_FALSE(plan.names[2].has_value());
  EXPECT_EQ(plan.names[3], "mod-2-0-0");
  EXPECT_EQ(plan.problems.size(), 2u);
}

TEST(VersionNames, ReportsProviderPlatformCollisions) {
  auto targets = providerTargets({"1.0.0", "v1.0.0"}, {"linux"}, {"amd64", "arm64"});
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[1], (ProviderTarget{"1.0.0", "linux", "arm64"}));
  auto names = providerVersionNames("aws", targets);
  ASSERT_FALSE(names.ok());
  EXPECT_THAT(names.error().message,
              HasSubstr("version \"1.0.0\" linux/amd64 and version \"v1.0.0\" linux/amd64"));
  EXPECT_THAT(names.error().message,
              HasSubstr("version \"1.0.0\" linux/arm64 and version \"v1.0.0\" linux/arm64"));
  // os/arch that differ only by '_' vs '-' collide too.
  auto platform = providerVersionNames("aws", {{"1.0.0", "linux", "arm_64"}, {"1.0.0", "linux", "arm-64"}});
  EXPECT_FALSE(platform.ok());
}

TEST(Dns1123, SubdomainRules) {
  EXPECT_TRUE(isDns1123Subdomain("a"));
  EXPECT_TRUE(isDns1123Subdomain("01-platform-team"));
  EXPECT_TRUE(isDns1123Subdomain("a.b-c.d"));
  EXPECT_TRUE(isDns1123Subdomain(std::string(253, 'a')));
  EXPECT_FALSE(isDns1123Subdomain(std::string(254, 'a')));
  EXPECT_FALSE(isDns1123Subdomain(""));
  EXPECT_FALSE(isDns1123Subdomain("-a"));
  EXPECT_FALSE(isDns1123Subdomain("a-"));
  EXPECT_FALSE(isDns1123Subdomain("a..b"));
  EXPECT_FALSE(isDns1123Subdomain("A"));
  EXPECT_FALSE(isDns1123Subdomain("a_b"));
}

TEST(Dns1123, LabelRules) {
  EXPECT_TRUE(isDns1123Label("opendepot-system"));
  EXPECT_TRUE(isDns1123Label(std::string(63, 'a')));
  EXPECT_FALSE(isDns1123Label(std::string(64, 'a')));
  EXPECT_FALSE(isDns1123Label("a.b"));
  EXPECT_THAT(*dns1123LabelProblem("d\xD0\xB5" "fault"), HasSubstr("ASCII"));  // Cyrillic e
}

TEST(Labels, KeyAndValueRules) {
  EXPECT_FALSE(labelKeyProblem(kLabelModule));
  EXPECT_FALSE(labelKeyProblem("app"));
  EXPECT_FALSE(labelKeyProblem("app.kubernetes.io/name"));
  EXPECT_TRUE(labelKeyProblem("a/b/c"));
  EXPECT_TRUE(labelKeyProblem("Bad_Prefix/x"));
  EXPECT_TRUE(labelKeyProblem("/x"));
  EXPECT_TRUE(labelKeyProblem(std::string(64, 'k')));
  EXPECT_FALSE(labelValueProblem(""));
  EXPECT_FALSE(labelValueProblem("true"));
  EXPECT_FALSE(labelValueProblem("A.b_c-1"));
  EXPECT_TRUE(labelValueProblem("-x"));
  EXPECT_TRUE(labelValueProblem(std::string(64, 'v')));
  EXPECT_TRUE(labelValueProblem("a b"));
}

TEST(RegistryIdentifier, CaseFoldedPattern) {
  EXPECT_FALSE(registryIdentifierProblem("aws"));
  EXPECT_FALSE(registryIdentifierProblem("DataDog"));
  EXPECT_FALSE(registryIdentifierProblem("terraform_aws-x"));
  EXPECT_TRUE(registryIdentifierProblem("_x"));
  EXPECT_TRUE(registryIdentifierProblem("a.b"));
  EXPECT_TRUE(registryIdentifierProblem(std::string(65, 'a')));
  EXPECT_THAT(*registryIdentifierProblem("\xCE\xB1ws"), HasSubstr("ASCII"));
}

TEST(Constants, LabelKeysAndFinalizer) {
  EXPECT_EQ(kFinalizer, "opendepot.defdev.io/finalizer");
  EXPECT_EQ(kLabelProviderArch, "opendepot.defdev.io/provider-arch");
  EXPECT_EQ(kLabelPublic, "opendepot.defdev.io/public");
}

}  // namespace
}  // namespace od::core
