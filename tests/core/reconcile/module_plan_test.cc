// Table tests for planModule: the Module reconciler's decisions, including the reference's
// bugs as regression tests (inventory §9 items 9-13).
#include <gtest/gtest.h>

#include "core/names.h"
#include "core/reconcile/module_plan.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

using testing::at;
using testing::created;
using testing::makeModule;
using testing::markSynced;
using testing::SeqRandom;

ModulePlan plan(const Module& m, const std::vector<Version>& existing) {
  SeqRandom random;
  return planModule(m, existing, at(1800000000), random);
}

std::vector<std::string> names(const std::vector<Version>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    out.push_back(v.metadata.name);
  }
  return out;
}

std::vector<std::string> deleted(const ModulePlan& p) {
  std::vector<std::string> out;
  for (const auto& d : p.children.deletes) {
    out.push_back(d.name);
  }
  return out;
}

TEST(ModulePlan, CreatesOneCompleteVersionPerEntry) {
  const Module m = makeModule({"2.0.0", "v1.0.0"});
  const ModulePlan p = plan(m, {});
  ASSERT_EQ(names(p.children.creates),
            (std::vector<std::string>{"terraform-aws-key-pair-2-0-0",
                                      "terraform-aws-key-pair-1-0-0"}));
  const Version& v = p.children.creates[1];
  EXPECT_EQ(v.metadata.namespace_, "team");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelModule)), "terraform-aws-key-pair");
  EXPECT_EQ(v.metadata.labels.at(std::string(kLabelNamespace)), "team");
  ASSERT_EQ(v.metadata.owner_references.size(), 1u);
  const OwnerReference& o = v.metadata.owner_references[0];
  EXPECT_EQ(o.api_version, "opendepot.defdev.io/v1alpha1");
  EXPECT_EQ(o.kind, "Module");
  EXPECT_EQ(o.name, "key-pair");
  EXPECT_EQ(o.uid, "uid-module");
  EXPECT_EQ(o.controller, true);
  EXPECT_EQ(o.block_owner_deletion, true);
  EXPECT_EQ(v.metadata.finalizers, std::vector<std::string>{std::string(kFinalizer)});
  EXPECT_EQ(v.spec.type, "Module");
  EXPECT_EQ(v.spec.version, "v1.0.0");  // as written
  ModuleConfig want = *m.spec.module_config;  // the full config, not the reference's copy
  EXPECT_EQ(v.spec.module_config_ref, want);
  EXPECT_FALSE(v.spec.provider_config_ref.has_value());
  EXPECT_TRUE(validate(v).empty()) << validate(v).describe();
  EXPECT_TRUE(p.children.problems.empty());
  EXPECT_TRUE(p.children.updates.empty());
  EXPECT_TRUE(p.children.deletes.empty());
}

TEST(ModulePlan, CreatedObjectsRoundTripThroughTheirJson) {
  const ModulePlan p = plan(makeModule({"1.0.0", "1.1.0"}, "tar"), {});
  for (const Version& v : p.children.creates) {
    const std::string body = toJson(v);
    EXPECT_NE(body.find(R"("apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Version")"),
              std::string::npos)
        << body;
    auto back = parseVersion(body);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, v);
  }
}

TEST(ModulePlan, DefaultsConfigNameToTheResourceName) {
  Module m = makeModule({"1.0.0"});
  m.spec.module_config->name.reset();
  const ModulePlan p = plan(m, {});
  ASSERT_EQ(p.children.creates.size(), 1u);
  EXPECT_EQ(p.children.creates[0].metadata.name, "key-pair-1-0-0");
  EXPECT_EQ(p.children.creates[0].spec.module_config_ref->name, "key-pair");
  EXPECT_EQ(p.children.creates[0].metadata.labels.at(std::string(kLabelModule)), "key-pair");
}

TEST(ModulePlan, FileNamesAreUuidV7WithTheFormatsExtension) {
  struct Case {
    std::string format;
    std::string suffix;
  };
  for (const Case& c : {Case{"zip", ".zip"}, Case{"tar", ".tar.gz"}}) {
    const ModulePlan p = plan(makeModule({"1.0.0", "1.1.0"}, c.format), {});
    ASSERT_EQ(p.children.creates.size(), 2u);
    const std::string a = p.children.creates[0].spec.file_name.value_or("");
    const std::string b = p.children.creates[1].spec.file_name.value_or("");
    EXPECT_EQ(a.size(), 36 + c.suffix.size()) << a;
    EXPECT_EQ(a.substr(36), c.suffix);
    EXPECT_EQ(a[14], '7');
    EXPECT_NE(a, b);
    EXPECT_EQ(p.status.module_version_refs.at("1.0.0").file_name, a);
  }
}

TEST(ModulePlan, SecondRunChangesNothingAndKeepsFileNames) {
  const Module m = makeModule({"1.0.0", "2.0.0"});
  const ModulePlan first = plan(m, {});
  std::vector<Version> existing = created(first.children.creates);
  SeqRandom other_random;
  const ModulePlan second = planModule(m, existing, at(1800000999), other_random);
  EXPECT_TRUE(second.children.creates.empty());
  EXPECT_TRUE(second.children.updates.empty());
  EXPECT_TRUE(second.children.deletes.empty());
  EXPECT_EQ(second.status.module_version_refs, first.status.module_version_refs);
}

TEST(ModulePlan, PatchesOnlyTheSpecThatDiffersAndKeepsFinalizersAndFileName) {
  Module m = makeModule({"1.0.0"});
  std::vector<Version> existing = created(plan(m, {}).children.creates);
  existing[0].metadata.finalizers.push_back("other.io/keep");
  existing[0].status.synced = true;
  const std::string file_name = *existing[0].spec.file_name;
  m.spec.module_config->repo_owner = "someone-else";
  const ModulePlan p = plan(m, existing);
  EXPECT_TRUE(p.children.creates.empty());
  EXPECT_TRUE(p.children.deletes.empty());
  ASSERT_EQ(p.children.updates.size(), 1u);
  EXPECT_EQ(p.children.updates[0].name, "terraform-aws-key-pair-1-0-0");
  EXPECT_EQ(p.children.updates[0].patch,
            R"({"spec":{"moduleConfigRef":{"repoOwner":"someone-else"}}})");
  EXPECT_EQ(p.status.module_version_refs.at("1.0.0").file_name, file_name);
  EXPECT_FALSE(p.status.synced);  // its spec changes, so it is not synced for that spec
}

TEST(ModulePlan, ChangingFileFormatNeverRenamesAnExistingArtifact) {
  Module m = makeModule({"1.0.0"}, "zip");
  const std::vector<Version> existing = created(plan(m, {}).children.creates);
  m.spec.module_config->file_format = "tar";
  const ModulePlan p = plan(m, existing);
  ASSERT_EQ(p.children.updates.size(), 1u);
  EXPECT_EQ(p.children.updates[0].patch, R"({"spec":{"moduleConfigRef":{"fileFormat":"tar"}}})");
  EXPECT_EQ(p.status.module_version_refs.at("1.0.0").file_name, existing[0].spec.file_name);
}

// Reference bug: the controller replaced whole Versions (dropping the finalizer) and wrote a
// minimal moduleConfigRef {name, storageConfig} that the Version controller later expanded.
TEST(ModulePlan, AdoptsReferenceCreatedVersionWithAMergePatchOnly) {
  const Module m = makeModule({"1.0.0"});
  Version v = created(plan(m, {}).children.creates)[0];
  ModuleConfig minimal;
  minimal.name = "terraform-aws-key-pair";
  v.spec.module_config_ref = minimal;
  v.spec.file_name = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000.zip";
  v.spec.force_sync = true;
  const ModulePlan p = plan(m, {v});
  ASSERT_EQ(p.children.updates.size(), 1u);
  const std::string& patch = p.children.updates[0].patch;
  EXPECT_EQ(patch.find("finalizers"), std::string::npos) << patch;
  EXPECT_EQ(patch.find("fileName"), std::string::npos) << patch;
  EXPECT_EQ(patch.find("forceSync"), std::string::npos) << patch;
  EXPECT_NE(patch.find(R"("repoOwner":"terraform-aws-modules")"), std::string::npos) << patch;
  EXPECT_EQ(p.status.module_version_refs.at("1.0.0").file_name,
            "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000.zip");
}

TEST(ModulePlan, DeletesVersionsRemovedFromSpec) {
  const std::vector<Version> existing =
      created(plan(makeModule({"1.0.0", "2.0.0"}), {}).children.creates);
  const ModulePlan p = plan(makeModule({"2.0.0"}), existing);
  EXPECT_EQ(deleted(p), std::vector<std::string>{"terraform-aws-key-pair-1-0-0"});
  EXPECT_EQ(p.children.deletes[0].reason, "removed from spec.versions");
  EXPECT_TRUE(p.children.creates.empty());
}

// Reference bug: after trimming, spec.versions held "v2.0.0" while the Version said "2.0.0";
// exact comparison deleted it and recreated it under a new file name.
TEST(ModulePlan, VPrefixedAndBareVersionAreTheSameVersion) {
  struct Case {
    std::string existing_version;
    std::string spec_version;
  };
  for (const Case& c : {Case{"2.0.0", "v2.0.0"}, Case{"v2.0.0", "2.0.0"}, Case{"2.0", "2.0.0"}}) {
    std::vector<Version> existing = created(plan(makeModule({c.existing_version}), {}).children.creates);
    const ModulePlan p = plan(makeModule({c.spec_version}), existing);
    EXPECT_TRUE(p.children.creates.empty()) << c.spec_version;
    EXPECT_TRUE(p.children.deletes.empty()) << c.spec_version;
    EXPECT_TRUE(p.children.updates.empty()) << c.spec_version;  // spec.version kept as it was
    EXPECT_EQ(p.status.module_version_refs.at(c.spec_version).name, existing[0].metadata.name);
  }
}

// Reference bug: garbage collection selected on the resource name while the label held the
// config name, so nothing was collected (or the wrong things were).
TEST(ModulePlan, CollectsVersionsLabelledWithTheConfigName) {
  const Module m = makeModule({"1.0.0", "2.0.0"});
  ASSERT_NE(m.metadata.name, *m.spec.module_config->name);
  const std::vector<Version> existing = created(plan(m, {}).children.creates);
  const ModulePlan p = plan(makeModule({"1.0.0"}), existing);
  EXPECT_EQ(deleted(p), std::vector<std::string>{"terraform-aws-key-pair-2-0-0"});
}

TEST(ModulePlan, NeverTouchesVersionsItDoesNotControl) {
  std::vector<Version> existing = created(plan(makeModule({"1.0.0", "2.0.0"}), {}).children.creates);
  existing[0].metadata.owner_references[0].uid = "uid-of-another-module";
  existing[1].metadata.owner_references.clear();
  const ModulePlan p = plan(makeModule({"1.0.0"}), existing);
  EXPECT_TRUE(p.children.deletes.empty());
  EXPECT_TRUE(p.children.updates.empty());
  EXPECT_TRUE(p.children.creates.empty());
  ASSERT_EQ(p.children.problems.size(), 1u);
  EXPECT_NE(p.children.problems[0].find("not controlled"), std::string::npos);
}

TEST(ModulePlan, WaitsForAVersionBeingDeleted) {
  std::vector<Version> existing = created(plan(makeModule({"1.0.0"}), {}).children.creates);
  existing[0].metadata.deletion_timestamp = "2027-01-01T00:00:00Z";
  const ModulePlan p = plan(makeModule({"1.0.0"}), existing);
  EXPECT_TRUE(p.children.creates.empty());
  EXPECT_TRUE(p.children.deletes.empty());
  EXPECT_TRUE(p.children.updates.empty());
  EXPECT_FALSE(p.status.synced);
}

}  // namespace
}  // namespace od::core
