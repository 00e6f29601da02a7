// Table tests for planVersion: the reference's guards as terminal statuses, the fileName
// fixed once, and the sync decision.
#include <gtest/gtest.h>

#include "core/reconcile/standalone.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

using testing::at;
using testing::SeqRandom;

Version inlineModuleVersion(std::string format = "zip") {
  Version v;
  v.metadata.name = "vpc-1-0-0";
  v.metadata.namespace_ = "team";
  v.metadata.generation = 1;
  v.spec.type = "Module";
  v.spec.version = "1.0.0";
  ModuleConfig c;
  c.name = "vpc";
  c.repo_owner = "acme";
  c.file_format = std::move(format);
  v.spec.module_config_ref = c;
  return v;
}

VersionDecision decide(const Version& v, const SyncHistory& h = {}) {
  SeqRandom random;
  return planVersion(v, h, at(1800000000), random);
}

TEST(StandaloneVersion, GuardsAreTerminalStatusesWithTheReferenceMessages) {
  struct Case {
    const char* what;
    void (*edit)(Version&);
    std::string message;
  };
  const std::vector<Case> cases = {
      {"dot in name", [](Version& v) { v.metadata.name = "vpc-1.0.0"; },
       "Version name 'vpc-1.0.0' is invalid: name must not contain '.' characters: rename the "
       "resource and reapply"},
      {"both refs", [](Version& v) { v.spec.provider_config_ref = ProviderConfig{}; },
       std::string(kDualConfigMessage)},
      {"missing module ref", [](Version& v) { v.spec.module_config_ref.reset(); },
       "moduleConfigRef is required for a Version of type 'Module'"},
      {"missing provider ref",
       [](Version& v) {
         v.spec.type = "Provider";
         v.spec.module_config_ref.reset();
       },
       "providerConfigRef is required for a Version of type 'Provider'"},
      {"unknown type", [](Version& v) { v.spec.type = "module"; },
       "no usable type provided: spec.type must be 'Module' or 'Provider', got 'module'"},
  };
  for (const Case& c : cases) {
    Version v = inlineModuleVersion();
    c.edit(v);
    const VersionDecision d = decide(v);
    EXPECT_EQ(d.terminal_message, c.message) << c.what;
    EXPECT_FALSE(d.sync.has_value()) << c.what;
    EXPECT_TRUE(d.spec_patch.empty()) << c.what;
    EXPECT_FALSE(d.status.synced);
    EXPECT_EQ(d.status.sync_status, c.message);
    EXPECT_NE(d.status_patch.find(R"("syncStatus":)"), std::string::npos) << d.status_patch;
    // Once written, the same guard patches nothing.
    Version written = v;
    written.status = d.status;
    written.status.conditions.clear();
    for (auto c2 : d.status.conditions) {
      c2.last_transition_time = "2027-01-15T08:00:00Z";
      written.status.conditions.push_back(c2);
    }
    EXPECT_EQ(decide(written).status_patch, "") << c.what;
  }
}

TEST(StandaloneVersion, FileNameIsGeneratedOnceWithTheRightExtension) {
  struct Case {
    std::string format;
    std::string type;
    std::string suffix;
  };
  for (const Case& c : {Case{"zip", "Module", ".zip"}, Case{"tar", "Module", ".tar.gz"},
                        Case{"", "Module", ".tar.gz"}, Case{"", "Provider", ".zip"}}) {
    Version v = inlineModuleVersion(c.format);
    if (c.type == "Provider") {
      v.spec.type = "Provider";
      v.spec.module_config_ref.reset();
      v.spec.provider_config_ref = ProviderConfig{};
      v.spec.provider_config_ref->name = "aws";
    }
    const VersionDecision d = decide(v);
    ASSERT_TRUE(d.file_name.has_value());
    EXPECT_EQ(d.file_name->substr(36), c.suffix);
    EXPECT_EQ(d.spec_patch, R"({"spec":{"fileName":")" + *d.file_name + R"("}})");
    EXPECT_FALSE(d.sync.has_value());  // after the patch lands
  }
}

TEST(StandaloneVersion, KeepsAnExistingFileNameAndAsksForASync) {
  Version v = inlineModuleVersion();
  v.spec.file_name = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000.tar.gz";
  const VersionDecision d = decide(v);
  EXPECT_EQ(d.file_name, v.spec.file_name);
  EXPECT_TRUE(d.spec_patch.empty());
  EXPECT_EQ(d.sync, SyncReason::New);
  SyncHistory done;
  done.result_generation = 1;
  done.last_outcome = SyncOutcome::Synced;
  EXPECT_FALSE(decide(v, done).sync.has_value());
}

TEST(StandaloneVersion, BeingDeletedDecidesNothing) {
  Version v = inlineModuleVersion();
  v.metadata.name = "has.dot";
  v.metadata.deletion_timestamp = "2027-01-01T00:00:00Z";
  const VersionDecision d = decide(v);
  EXPECT_FALSE(d.terminal_message.has_value());
  EXPECT_TRUE(d.spec_patch.empty());
  EXPECT_TRUE(d.status_patch.empty());
  EXPECT_FALSE(d.sync.has_value());
}

}  // namespace
}  // namespace od::core
