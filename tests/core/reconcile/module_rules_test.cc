// Table tests for planModule: history limit, latest version, invalid entries, forceSync and
// the desired status.
#include <gtest/gtest.h>

#include "core/reconcile/merge_patch.h"
#include "core/reconcile/module_plan.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

using testing::at;
using testing::created;
using testing::makeModule;
using testing::markSynced;
using testing::SeqRandom;

ModulePlan plan(const Module& m, const std::vector<Version>& existing, int64_t now = 1800000000) {
  SeqRandom random;
  return planModule(m, existing, at(now), random);
}

Module withLimit(std::vector<std::string> versions, std::optional<int64_t> limit) {
  Module m = makeModule(versions);
  m.spec.module_config->version_history_limit = limit;
  return m;
}

const Condition* condition(const ModuleStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

// Reference bug: a limit above the number of versions panicked (slice bound).
TEST(ModuleRules, HistoryLimitKeepsTheNHighest) {
  struct Case {
    std::optional<int64_t> limit;
    size_t kept;
    std::vector<std::string> pruned;
  };
  const std::vector<Case> cases = {
      {std::nullopt, 3, {}}, {0, 3, {}}, {-1, 3, {}}, {3, 3, {}}, {10, 3, {}},
      {2, 2, {"1.0.0"}},     {1, 1, {"1.0.0", "1.9.0-rc.1"}},
  };
  for (const Case& c : cases) {
    const Module m = withLimit({"1.0.0", "v1.10.0", "1.9.0-rc.1"}, c.limit);
    const ModulePlan p = plan(m, {});
    EXPECT_EQ(p.children.creates.size(), c.kept) << c.limit.value_or(-99);
    EXPECT_EQ(p.children.pruned, c.pruned) << c.limit.value_or(-99);
    EXPECT_EQ(p.status.module_version_refs.size(), c.kept);
    EXPECT_EQ(p.status.latest_version, "v1.10.0");
    EXPECT_TRUE(p.children.parent_patch.empty());  // spec.versions is never rewritten
  }
}

TEST(ModuleRules, HistoryLimitDeletesPrunedVersionsAndSaysSo) {
  const std::vector<Version> existing =
      created(plan(makeModule({"1.0.0", "2.0.0", "3.0.0"}), {}).children.creates);
  const ModulePlan p = plan(withLimit({"1.0.0", "2.0.0", "3.0.0"}, 2), existing);
  ASSERT_EQ(p.children.deletes.size(), 1u);
  EXPECT_EQ(p.children.deletes[0].name, "terraform-aws-key-pair-1-0-0");
  EXPECT_EQ(p.children.deletes[0].reason, "pruned by versionHistoryLimit=2");
  EXPECT_TRUE(p.children.creates.empty());
  const Condition* ready = condition(p.status, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_NE(ready->message.find("pruned by versionHistoryLimit=2: 1.0.0"), std::string::npos)
      << ready->message;
}

// Reference bug: an empty list made latestVersion nil and the reconcile errored forever.
TEST(ModuleRules, EmptyVersionsIsFine) {
  const std::vector<Version> existing = created(plan(makeModule({"1.0.0"}), {}).children.creates);
  const ModulePlan p = plan(makeModule({}), existing);
  EXPECT_FALSE(p.status.latest_version.has_value());
  EXPECT_TRUE(p.status.module_version_refs.empty());
  EXPECT_TRUE(p.status.synced);
  EXPECT_TRUE(p.children.problems.empty());
  EXPECT_EQ(p.children.deletes.size(), 1u);
  EXPECT_EQ(condition(p.status, "Ready")->status, "True");
}

TEST(ModuleRules, LatestIsTheHighestValidVersionInSemverCanonicalForm) {
  struct Case {
    std::vector<std::string> versions;
    std::optional<std::string> latest;
  };
  const std::vector<Case> cases = {
      {{"1.0.0", "v2.0.0", "1.5"}, "v2.0.0"},
      {{"2", "1.9.9"}, "v2.0.0"},
      {{"2.0.0-rc.1", "1.0.0"}, "v2.0.0-rc.1"},
      {{"1.0.0", "not-a-version"}, "v1.0.0"},
      {{"junk"}, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(plan(makeModule(c.versions), {}).status.latest_version, c.latest);
  }
}

// Reference bug: `+` made invalid resource names and the whole reconcile failed.
TEST(ModuleRules, InvalidAndCollidingEntriesAreReportedOneByOne) {
  struct Case {
    std::vector<std::string> versions;
    size_t creates;
    size_t problems;
  };
  const std::vector<Case> cases = {
      {{"1.0.0+build.5", "2.0.0"}, 1, 1},
      {{"1.0.0", "v1.0.0"}, 1, 1},  // same Version name, different text
      {{"1.0.0", "1.0.0"}, 1, 0},   // listed twice: one Version
      {{"latest", "1.2.3"}, 1, 1},
      {{"", "1.2.3"}, 1, 1},
      {{"1.2.3.4", "1.2.3"}, 1, 1},
  };
  for (const Case& c : cases) {
    const ModulePlan p = plan(makeModule(c.versions), {});
    EXPECT_EQ(p.children.creates.size(), c.creates) << c.versions[0];
    EXPECT_EQ(p.children.problems.size(), c.problems) << c.versions[0];
    if (c.problems > 0) {
      EXPECT_EQ(condition(p.status, "Ready")->reason, "InvalidVersions");
      EXPECT_NE(p.status.sync_status.find(p.children.problems[0]), std::string::npos);
    }
  }
}

TEST(ModuleRules, ForceSyncResyncsEveryVersionAndResetsTheFlag) {
  Module m = makeModule({"1.0.0", "2.0.0"});
  const std::vector<Version> existing = created(plan(m, {}).children.creates);
  m.spec.force_sync = true;
  const ModulePlan p = plan(m, existing);
  ASSERT_EQ(p.children.syncs.size(), 2u);
  for (const auto& s : p.children.syncs) {
    EXPECT_EQ(s.reason, SyncReason::ForceSync);
  }
  EXPECT_EQ(p.children.parent_patch, R"({"spec":{"forceSync":false}})");
  EXPECT_TRUE(p.children.updates.empty());
  EXPECT_TRUE(plan(makeModule({"1.0.0"}), existing).children.parent_patch.empty());
}

// Reference bug: synced was always true.
TEST(ModuleRules, SyncedFollowsTheVersionsRealStatuses) {
  const Module m = makeModule({"1.0.0", "2.0.0"});
  std::vector<Version> existing = created(plan(m, {}).children.creates);
  ModulePlan p = plan(m, existing);
  EXPECT_FALSE(p.status.synced);
  EXPECT_EQ(p.status.sync_status, "0 of 2 versions synced; waiting for 1.0.0, 2.0.0");
  EXPECT_EQ(condition(p.status, "Synced")->reason, "VersionsPending");
  existing[0].status.synced = true;  // synced but no checksum yet: not done
  existing[1].status.synced = true;
  existing[1].status.checksum = "abc=";
  EXPECT_EQ(plan(m, existing).status.sync_status, "1 of 2 versions synced; waiting for 1.0.0");
  markSynced(existing);
  p = plan(m, existing);
  EXPECT_TRUE(p.status.synced);
  EXPECT_EQ(p.status.sync_status, "Successfully synced module");
  EXPECT_EQ(p.status.observed_generation, 3);
  EXPECT_EQ(condition(p.status, "Ready")->status, "True");
  EXPECT_EQ(condition(p.status, "Synced")->observed_generation, 3);
}

TEST(ModuleRules, StatusPatchIsEmptyOnceApplied) {
  Module m = makeModule({"1.0.0"});
  std::vector<Version> existing = created(plan(m, {}).children.creates);
  markSynced(existing);
  const ModulePlan first = plan(m, existing, 1800000000);
  EXPECT_FALSE(first.children.status_patch.empty());
  // Apply it: the status as the API server would now hold it.
  m.status = first.status;
  m.status.conditions = carryTransitionTimes({}, first.status.conditions,
                                             formatRfc3339(at(1800000000)));
  const ModulePlan second = plan(m, existing, 1800000500);
  EXPECT_EQ(second.children.status_patch, "");
}

// Reference bug: an unset fileFormat panicked the controller.
TEST(ModuleRules, UnusableSpecChangesNoVersion) {
  struct Case {
    std::optional<std::string> format;
    bool drop_config;
  };
  for (const Case& c : {Case{std::nullopt, false}, Case{"rar", false}, Case{"zip", true}}) {
    Module m = makeModule({"1.0.0", "2.0.0"});
    const std::vector<Version> existing = created(plan(m, {}).children.creates);
    m.spec.module_config->file_format = c.format;
    m.spec.versions.pop_back();
    if (c.drop_config) {
      m.spec.module_config.reset();
    }
    const ModulePlan p = plan(m, existing);
    EXPECT_TRUE(p.children.creates.empty());
    EXPECT_TRUE(p.children.deletes.empty());
    EXPECT_TRUE(p.children.updates.empty());
    EXPECT_FALSE(p.status.synced);
    EXPECT_EQ(condition(p.status, "Ready")->reason, "InvalidSpec");
    EXPECT_NE(p.children.status_patch.find("InvalidSpec"), std::string::npos);
  }
}

}  // namespace
}  // namespace od::core
