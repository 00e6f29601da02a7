// Table tests for planProvider, including the reference's bugs as regression tests
// (inventory §9 items 9-11).
#include <gtest/gtest.h>

#include "core/names.h"
#include "core/reconcile/provider_plan.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

using testing::at;
using testing::created;
using testing::makeProvider;
using testing::markSynced;
using testing::SeqRandom;

ProviderPlan plan(const Provider& p, const std::vector<Version>& existing) {
  SeqRandom random;
  return planProvider(p, existing, at(1800000000), random);
}

std::vector<std::string> names(const std::vector<Version>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    out.push_back(v.metadata.name);
  }
  return out;
}

TEST(ProviderPlan, OneVersionPerVersionOsAndArchNamedAsTheReference) {
  const Provider p = makeProvider({"5.80.0", "v5.81.0"}, {"linux", "darwin"}, {"amd64", "arm64"});
  const ProviderPlan pl = plan(p, {});
  EXPECT_EQ(names(pl.children.creates),
            (std::vector<std::string>{
                "aws-5-80-0-linux-amd64", "aws-5-80-0-linux-arm64", "aws-5-80-0-darwin-amd64",
                "aws-5-80-0-darwin-arm64", "aws-5-81-0-linux-amd64", "aws-5-81-0-linux-arm64",
                "aws-5-81-0-darwin-amd64", "aws-5-81-0-darwin-arm64"}));
  const Version& v = pl.children.creates[5];
  EXPECT_EQ(v.spec.type, "Provider");
  EXPECT_EQ(v.spec.version, "5.81.0");
  EXPECT_EQ(v.spec.operating_system, "linux");
  EXPECT_EQ(v.spec.architecture, "arm64");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelProvider)), "aws");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelNamespace)), "team");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelProviderOs)), "linux");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelProviderArch)), "arm64");
  EXPECT_EQ(v.metadata.owner_references.at(0).kind, "Provider");
  EXPECT_EQ(v.metadata.owner_references.at(0).uid, "uid-provider");
  EXPECT_EQ(v.metadata.finalizers, std::vector<std::string>{std::string(kFinalizer)});
  ASSERT_TRUE(v.spec.provider_config_ref.has_value());
  EXPECT_EQ(v.spec.provider_config_ref->name, "aws");
  EXPECT_EQ(v.spec.provider_config_ref->namespace_, "hashicorp");
  // Only what the Version needs: its platform is spec.operatingSystem/architecture.
  EXPECT_TRUE(v.spec.provider_config_ref->operating_systems.empty());
  EXPECT_TRUE(v.spec.provider_config_ref->architectures.empty());
  EXPECT_FALSE(v.spec.provider_config_ref->version_history_limit.has_value());
  EXPECT_EQ(v.spec.file_name.value_or("").substr(36), ".zip");
  EXPECT_TRUE(validate(v).empty()) << validate(v).describe();
  const ProviderVersion& ref = pl.status.provider_version_refs.at("5.81.0-linux-arm64");
  EXPECT_EQ(ref.name, "aws-5-81-0-linux-arm64");
  EXPECT_EQ(ref.version, "5.81.0");
  EXPECT_EQ(ref.operating_system, "linux");
  EXPECT_EQ(ref.architecture, "arm64");
  EXPECT_EQ(pl.status.latest_version, "v5.81.0");
}

TEST(ProviderPlan, RegistryNamespaceIsTrimmedAndDefaulted) {
  struct Case {
    std::optional<std::string> in;
    std::string want;
  };
  for (const Case& c : {Case{std::nullopt, "hashicorp"}, Case{"", "hashicorp"},
                        Case{"   ", "hashicorp"}, Case{" integrations ", "integrations"}}) {
    Provider p = makeProvider({"1.0.0"});
    p.spec.provider_config->namespace_ = c.in;
    EXPECT_EQ(plan(p, {}).children.creates.at(0).spec.provider_config_ref->namespace_, c.want);
  }
}

// Reference bug: a limit above the count panicked before any Version was created.
TEST(ProviderPlan, HistoryLimitCountsVersionsNotPlatforms) {
  struct Case {
    std::optional<int64_t> limit;
    size_t creates;
  };
  for (const Case& c : {Case{std::nullopt, 6}, Case{0, 6}, Case{5, 6}, Case{3, 6}, Case{2, 4},
                        Case{1, 2}}) {
    Provider p = makeProvider({"1.0.0", "1.2.0", "v1.1.0"});
    p.spec.provider_config->version_history_limit = c.limit;
    const ProviderPlan pl = plan(p, {});
    EXPECT_EQ(pl.children.creates.size(), c.creates) << c.limit.value_or(-1);
    EXPECT_EQ(pl.status.latest_version, "v1.2.0");
    EXPECT_TRUE(pl.children.parent_patch.empty());
  }
}

TEST(ProviderPlan, CollectsRemovedVersionsAndPlatformsWithoutChurn) {
  const std::vector<Version> existing =
      created(plan(makeProvider({"1.0.0", "2.0.0"}), {}).children.creates);
  ProviderPlan pl = plan(makeProvider({"v2.0.0"}, {"linux"}), existing);
  EXPECT_TRUE(pl.children.creates.empty());
  // The kept Version's spec does not mention the platform lists: it is not touched.
  EXPECT_TRUE(pl.children.updates.empty());
  std::vector<std::string> gone;
  for (const auto& d : pl.children.deletes) {
    gone.push_back(d.name);
  }
  EXPECT_EQ(gone, (std::vector<std::string>{"aws-1-0-0-linux-amd64", "aws-1-0-0-darwin-amd64",
                                            "aws-2-0-0-darwin-amd64"}));
}

TEST(ProviderPlan, ParentOnlyFieldsChangeNoExistingVersion) {
  const Provider before = makeProvider({"1.0.0", "2.0.0"}, {"linux", "darwin"}, {"amd64"});
  const std::vector<Version> existing = created(plan(before, {}).children.creates);
  ASSERT_EQ(existing.size(), 4u);

  Provider more = before;  // a new OS and architecture, a limit that keeps both versions
  more.spec.provider_config->operating_systems.push_back("windows");
  more.spec.provider_config->architectures.push_back("arm64");
  more.spec.provider_config->version_history_limit = 5;
  ProviderPlan pl = plan(more, existing);
  EXPECT_TRUE(pl.children.updates.empty());
  EXPECT_TRUE(pl.children.deletes.empty());
  EXPECT_EQ(pl.children.creates.size(), 8u);  // 2 versions x 3 OS x 2 arch, minus 4 kept

  // What the Version does need still reaches it: a new source repository patches all.
  Provider moved = before;
  moved.spec.provider_config->source_repository = "https://github.com/acme/terraform-provider-aws";
  const ProviderPlan moved_plan = plan(moved, existing);
  ASSERT_EQ(moved_plan.children.updates.size(), 4u);
  EXPECT_EQ(moved_plan.children.updates[0].patch,
            R"({"spec":{"providerConfigRef":{"sourceRepository":"https://github.com/acme/terraform-provider-aws"}}})");
}

TEST(ProviderPlan, EmptyPlatformListsAreAnErrorStatusNotACrash) {
  const std::vector<Version> existing = created(plan(makeProvider({"1.0.0"}), {}).children.creates);
  for (int which = 0; which < 3; ++which) {
    Provider p = makeProvider({"1.0.0"});
    if (which == 0) {
      p.spec.provider_config->operating_systems.clear();
    } else if (which == 1) {
      p.spec.provider_config->architectures.clear();
    } else {
      p.spec.provider_config.reset();
    }
    const ProviderPlan pl = plan(p, existing);
    EXPECT_TRUE(pl.children.creates.empty());
    EXPECT_TRUE(pl.children.deletes.empty());
    EXPECT_FALSE(pl.status.synced);
    EXPECT_EQ(pl.status.conditions.at(0).reason, "InvalidSpec");
    EXPECT_FALSE(pl.children.status_patch.empty());
  }
}

TEST(ProviderPlan, InvalidVersionsAreReportedOnceAndTheRestProceed) {
  const ProviderPlan pl = plan(makeProvider({"nightly", "1.0.0", "1.0.0+ent"}), {});
  EXPECT_EQ(pl.children.creates.size(), 2u);
  // "nightly" once; "1.0.0+ent" once per platform (its names are invalid).
  EXPECT_EQ(pl.children.problems.size(), 3u);
  EXPECT_FALSE(pl.status.synced || pl.status.conditions.at(0).status == "True");
}

TEST(ProviderPlan, ForceSyncAndRealSyncedStatus) {
  Provider p = makeProvider({"1.0.0"});
  std::vector<Version> existing = created(plan(p, {}).children.creates);
  ProviderPlan pl = plan(p, existing);
  EXPECT_FALSE(pl.status.synced);
  markSynced(existing);
  pl = plan(p, existing);
  EXPECT_TRUE(pl.status.synced);
  EXPECT_EQ(pl.status.sync_status, "Successfully synced provider");
  EXPECT_EQ(pl.status.observed_generation, 2);
  p.spec.force_sync = true;
  pl = plan(p, existing);
  EXPECT_EQ(pl.children.syncs.size(), 2u);
  EXPECT_EQ(pl.children.parent_patch, R"({"spec":{"forceSync":false}})");
}

}  // namespace
}  // namespace od::core
