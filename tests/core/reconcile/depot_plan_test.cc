// The Depot decisions: version selection (go-version rules), merging with spec.global,
// per-entry problems, creates and minimal patches of Modules and Providers, and the status.
#include "core/reconcile/depot_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::at;

// The combined example of the reference's docs/guides/depot.md, in JSON.
constexpr std::string_view kDocsDepot = R"({
  "apiVersion": "opendepot.defdev.io/v1alpha1", "kind": "Depot",
  "metadata": {"name": "my-team-depot", "namespace": "opendepot-system", "uid": "u-1",
               "resourceVersion": "10", "generation": 1},
  "spec": {
    "global": {"githubClientConfig": {"useAuthenticatedClient": true},
               "moduleConfig": {"fileFormat": "zip", "immutable": true},
               "storageConfig": {"s3": {"bucket": "opendepot-modules", "region": "us-west-2"}}},
    "moduleConfigs": [
      {"name": "terraform-aws-eks", "provider": "aws", "repoOwner": "terraform-aws-modules",
       "versionConstraints": ">= 21.10.1, != 21.13.0"},
      {"name": "terraform-azurerm-aks", "provider": "azurerm", "repoOwner": "azure",
       "versionConstraints": ">= 10.0.0"}],
    "providerConfigs": [
      {"name": "aws", "operatingSystems": ["linux"], "architectures": ["amd64", "arm64"],
       "versionConstraints": ">= 5.80.0",
       "storageConfig": {"s3": {"bucket": "opendepot-modules", "region": "us-west-2"}}}],
    "pollingIntervalMinutes": 60}})";

Depot depotOf(std::string_view json) {
  auto decoded = decodeDepot(json);
  EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
  return decoded->resource;
}

std::vector<DiscoveredEntry> docsDiscovery() {
  return {{"Module", "terraform-aws-eks", {"21.14.0", "21.12.0", "21.10.1"}, std::nullopt},
          {"Module", "terraform-azurerm-aks", {"10.1.0", "10.0.0"}, std::nullopt},
          {"Provider", "aws", {"5.81.0", "5.80.0"}, std::nullopt}};
}

std::vector<std::string> versionsOf(const Module& m) {
  std::vector<std::string> out;
  for (const auto& v : m.spec.versions) {
    out.push_back(v.version);
  }
  return out;
}

TEST(DepotSelectVersions, FollowsGoVersionRules) {
  auto s = selectVersions(">= 1.0.0, != 1.2.0",
                          {"v1.0.0", "1.0", "v1.2.0", "1.3.0-rc.1", "v2", "latest", "0.9.0",
                           "1.1.0+build.7"},
                          std::nullopt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->found, 8u);
  // Short forms padded and de-duplicated, `v` dropped, metadata kept, pre-releases and
  // non-versions skipped, highest first.
  EXPECT_THAT(s->kept, ElementsAre("2.0.0", "1.1.0+build.7", "1.0.0"));
}

TEST(DepotSelectVersions, PessimisticAndPrereleaseConstraints) {
  auto tilde = selectVersions("~> 1.2.0", {"1.2.0", "1.2.9", "1.3.0", "1.1.9"}, std::nullopt);
  ASSERT_TRUE(tilde.ok());
  EXPECT_THAT(tilde->kept, ElementsAre("1.2.9", "1.2.0"));
  auto pre = selectVersions(">= 2.0.0-beta.1", {"2.0.0-beta.2", "2.0.0-alpha", "1.9.0", "2.0.0"},
                            std::nullopt);
  ASSERT_TRUE(pre.ok());
  EXPECT_THAT(pre->kept, ElementsAre("2.0.0", "2.0.0-beta.2"));
}

TEST(DepotSelectVersions, HistoryLimitKeepsTheHighest) {
  auto s = selectVersions(">= 1.0.0", {"1.0.0", "3.0.0", "2.0.0"}, 2);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->kept, ElementsAre("3.0.0", "2.0.0"));
  auto zero = selectVersions(">= 1.0.0", {"1.0.0", "3.0.0"}, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->kept.size(), 2u);
}

TEST(DepotSelectVersions, InvalidConstraintIsAnError) {
  for (const char* bad : {"", "   ", ">= 1.0.0,", "=> 1.0", "~ 1.0", ">= banana"}) {
    auto s = selectVersions(bad, {"1.0.0"}, std::nullopt);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, Errc::Invalid);
    EXPECT_THAT(s.error().message, HasSubstr("versionConstraints"));
  }
}

TEST(DepotEntries, InheritGlobalUnlessOverridden) {
  Depot d = depotOf(kDocsDepot);
  d.spec.module_configs[1].file_format = "tar";
  d.spec.module_configs[1].immutable = false;
  DepotEntries e = depotEntries(d);
  ASSERT_THAT(e.problems, IsEmpty());
  ASSERT_EQ(e.modules.size(), 2u);
  const ModuleConfig& eks = e.modules[0].config;
  EXPECT_THAT(e.modules[0].problems, IsEmpty());
  EXPECT_EQ(eks.file_format, "zip");
  EXPECT_EQ(eks.immutable, true);
  ASSERT_TRUE(eks.github_client_config);
  EXPECT_TRUE(eks.github_client_config->use_authenticated_client);
  ASSERT_TRUE(eks.storage_config && eks.storage_config->s3);
  EXPECT_EQ(eks.storage_config->s3->bucket, "opendepot-modules");
  EXPECT_EQ(eks.repo_url, "https://github.com/terraform-aws-modules/terraform-aws-eks");
  EXPECT_EQ(e.modules[1].config.file_format, "tar");
  EXPECT_EQ(e.modules[1].config.immutable, false);
  ASSERT_EQ(e.providers.size(), 1u);
  EXPECT_EQ(e.providers[0].upstream_namespace, "hashicorp");
  EXPECT_FALSE(e.providers[0].config.github_client_config);  // providers inherit storage only
}

TEST(DepotEntries, ProblemsStayWithTheirEntry) {
  Depot d = depotOf(kDocsDepot);
  d.spec.module_configs[0].version_constraints = ">= banana";
  d.spec.module_configs.push_back(d.spec.module_configs[1]);  // duplicate name
  d.spec.provider_configs[0].operating_systems.clear();
  DepotEntries e = depotEntries(d);
  EXPECT_THAT(e.problems, IsEmpty());
  ASSERT_EQ(e.modules.size(), 3u);
  ASSERT_EQ(e.modules[0].problems.size(), 1u);
  EXPECT_THAT(e.modules[0].problems[0], HasSubstr("spec.moduleConfigs[0].versionConstraints"));
  EXPECT_THAT(e.modules[1].problems, IsEmpty());
  ASSERT_EQ(e.modules[2].problems.size(), 1u);
  EXPECT_THAT(e.modules[2].problems[0], HasSubstr("already used"));
  EXPECT_THAT(e.providers[0].problems[0], HasSubstr("operatingSystems"));
}

TEST(DepotPlan, CreatesTheDocsExampleChildren) {
  Depot d = depotOf(kDocsDepot);
  DepotPlan plan = planDepot(d, docsDiscovery(), {}, at(1000));
  EXPECT_THAT(plan.problems, IsEmpty());
  ASSERT_EQ(plan.creates.size(), 3u);
  EXPECT_THAT(plan.patches, IsEmpty());
  auto eks = parseModule(plan.creates[0].body);
  ASSERT_TRUE(eks.ok()) << eks.error().describe();
  EXPECT_EQ(plan.creates[0].kind, "Module");
  EXPECT_EQ(eks->metadata.name, "terraform-aws-eks");
  EXPECT_EQ(eks->metadata.namespace_, "opendepot-system");
  EXPECT_THAT(eks->metadata.labels, IsEmpty());            // the reference sets none
  EXPECT_THAT(eks->metadata.owner_references, IsEmpty());  // deleting the Depot keeps it
  EXPECT_THAT(versionsOf(*eks), ElementsAre("21.14.0", "21.12.0", "21.10.1"));
  EXPECT_EQ(eks->spec.module_config->file_format, "zip");
  auto aws = parseProvider(plan.creates[2].body);
  ASSERT_TRUE(aws.ok()) << aws.error().describe();
  EXPECT_EQ(aws->spec.provider_config->operating_systems, std::vector<std::string>{"linux"});
  EXPECT_EQ(aws->spec.provider_config->architectures,
            (std::vector<std::string>{"amd64", "arm64"}));
  ASSERT_EQ(aws->spec.versions.size(), 2u);
  EXPECT_EQ(aws->spec.versions[0].version, "5.81.0");
  EXPECT_THAT(plan.status.modules, ElementsAre("terraform-aws-eks", "terraform-azurerm-aks"));
  EXPECT_THAT(plan.status.providers, ElementsAre("aws"));
  ASSERT_EQ(plan.status.conditions.size(), 2u);
  EXPECT_EQ(plan.status.conditions[0].status, "True");
  EXPECT_THAT(plan.status_patch, HasSubstr("\"modules\":[\"terraform-aws-eks\""));
}

DepotChildren childrenFrom(const DepotPlan& plan) {
  DepotChildren c;
  for (const auto& create : plan.creates) {
    if (create.kind == "Module") {
      auto m = parseModule(create.body);
      m->metadata.resource_version = "5";
      m->spec.force_sync = true;  // a user's forceSync survives
      c.modules[create.name] = *m;
    } else {
      c.providers[create.name] = *parseProvider(create.body);
    }
  }
  return c;
}

TEST(DepotPlan, NewUpstreamReleaseIsAMinimalPatch) {
  Depot d = depotOf(kDocsDepot);
  DepotChildren existing = childrenFrom(planDepot(d, docsDiscovery(), {}, at(1000)));
  auto found = docsDiscovery();
  found[0].kept.insert(found[0].kept.begin(), "21.15.0");
  DepotPlan plan = planDepot(d, found, existing, at(2000));
  EXPECT_THAT(plan.creates, IsEmpty());
  ASSERT_EQ(plan.patches.size(), 1u);
  EXPECT_EQ(plan.patches[0].name, "terraform-aws-eks");
  EXPECT_EQ(plan.patches[0].patch,
            R"({"spec":{"versions":[{"version":"21.15.0"},{"version":"21.14.0"},)"
            R"({"version":"21.12.0"},{"version":"21.10.1"}]}})");
  // The same answer again changes nothing.
  EXPECT_THAT(planDepot(d, docsDiscovery(), existing, at(3000)).patches, IsEmpty());
}

TEST(DepotPlan, FailedOrEmptyPollLeavesChildrenAsTheyAre) {
  Depot d = depotOf(kDocsDepot);
  DepotChildren existing = childrenFrom(planDepot(d, docsDiscovery(), {}, at(1000)));
  auto found = docsDiscovery();
  found[0].kept.clear();
  found[0].error = "upstream answered 500";
  found[2].kept.clear();  // a valid but empty answer
  DepotPlan plan = planDepot(d, found, existing, at(2000));
  EXPECT_THAT(plan.creates, IsEmpty());
  EXPECT_THAT(plan.patches, IsEmpty());
  EXPECT_THAT(plan.status.modules, ElementsAre("terraform-aws-eks", "terraform-azurerm-aks"));
  EXPECT_THAT(plan.status.providers, ElementsAre("aws"));
  ASSERT_EQ(plan.problems.size(), 2u);
  EXPECT_THAT(plan.problems[0], HasSubstr("upstream answered 500 (left as it was)"));
  EXPECT_EQ(plan.status.conditions[0].status, "False");
  EXPECT_EQ(plan.status.conditions[0].reason, "EntriesFailed");
  EXPECT_THAT(plan.status.conditions[1].message, HasSubstr("no upstream version satisfies"));
}

TEST(DepotPlan, InvalidConstraintOnlyStopsItsEntry) {
  Depot d = depotOf(kDocsDepot);
  d.spec.module_configs[0].version_constraints = "~> banana";
  DepotPlan plan = planDepot(d, docsDiscovery(), {}, at(1000));
  ASSERT_EQ(plan.creates.size(), 2u);
  EXPECT_EQ(plan.creates[0].name, "terraform-azurerm-aks");
  EXPECT_EQ(plan.creates[1].name, "aws");
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.status.conditions[0].message,
              HasSubstr("spec.moduleConfigs[0].versionConstraints"));
  EXPECT_EQ(plan.status.conditions[0].reason, "EntriesFailed");
}

TEST(DepotPlan, BeforeTheFirstPollOnlyTheStatus) {
  Depot d = depotOf(kDocsDepot);
  DepotPlan plan = planDepot(d, std::nullopt, {}, at(1000));
  EXPECT_THAT(plan.creates, IsEmpty());
  EXPECT_EQ(plan.status.conditions[0].status, "Unknown");
  EXPECT_EQ(plan.status.observed_generation, 1);
}

TEST(DepotPlan, InvalidDepotWritesNothing) {
  Depot d = depotOf(kDocsDepot);
  d.spec.global->storage_config.reset();
  DepotPlan plan = planDepot(d, docsDiscovery(), {}, at(1000));
  EXPECT_THAT(plan.creates, IsEmpty());
  EXPECT_EQ(plan.status.conditions[0].reason, "InvalidSpec");
  EXPECT_THAT(plan.status.conditions[0].message, HasSubstr("spec.global.storageConfig"));
}

TEST(DepotPlan, ChildBeingDeletedIsLeftAlone) {
  Depot d = depotOf(kDocsDepot);
  DepotChildren existing = childrenFrom(planDepot(d, docsDiscovery(), {}, at(1000)));
  existing.modules["terraform-aws-eks"].metadata.deletion_timestamp = "2026-01-01T00:00:00Z";
  auto found = docsDiscovery();
  found[0].kept = {"22.0.0"};
  DepotPlan plan = planDepot(d, found, existing, at(2000));
  EXPECT_THAT(plan.patches, IsEmpty());
  EXPECT_THAT(plan.creates, IsEmpty());
  EXPECT_THAT(plan.problems[0], HasSubstr("being deleted"));
}

TEST(DepotPlan, EntryAnotherDepotManagesIsLeftToIt) {
  Depot d = depotOf(kDocsDepot);
  DepotChildren existing;
  existing.claimed_modules["terraform-aws-eks"] = "a-team-depot";
  DepotPlan plan = planDepot(d, docsDiscovery(), existing, at(1000));
  ASSERT_EQ(plan.creates.size(), 2u);
  EXPECT_EQ(plan.creates[0].name, "terraform-azurerm-aks");
  EXPECT_THAT(plan.status.modules, ElementsAre("terraform-azurerm-aks"));
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0], HasSubstr("Depot a-team-depot manages it already"));
}

TEST(DepotStatusPatch, UnchangedStatusIsNoPatchAndKeepsTransitionTimes) {
  Depot d = depotOf(kDocsDepot);
  DepotPlan first = planDepot(d, docsDiscovery(), {}, at(1000));
  Depot written = d;
  written.status = first.status;
  for (auto& c : written.status.conditions) {
    c.last_transition_time = "1970-01-01T00:16:40Z";
  }
  DepotChildren existing = childrenFrom(first);
  DepotPlan again = planDepot(written, docsDiscovery(), existing, at(5000));
  EXPECT_EQ(again.status_patch, "");
}

}  // namespace
}  // namespace od::core
