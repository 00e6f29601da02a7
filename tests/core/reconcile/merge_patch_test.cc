// Tests for the merge-patch builder, condition transition times and RFC 3339 formatting.
#include <gtest/gtest.h>

#include "core/reconcile/merge_patch.h"
#include "tests/core/reconcile/reconcile_test_util.h"

namespace od::core {
namespace {

TEST(MergePatch, MinimalPatchBetweenDocuments) {
  struct Case {
    const char* from;
    const char* to;
    const char* patch;
  };
  const std::vector<Case> cases = {
      {R"({"a":1})", R"({"a":1})", ""},
      {R"({"a":1,"b":2})", R"({"b":2,"a":1})", ""},
      {R"({"a":1})", R"({"a":2})", R"({"a":2})"},
      {R"({"a":1,"b":2})", R"({"a":1})", R"({"b":null})"},
      {R"({"a":1})", R"({"a":1,"b":{"c":true}})", R"({"b":{"c":true}})"},
      {R"({"s":{"x":1,"y":[1,2]}})", R"({"s":{"x":1,"y":[1,3]}})", R"({"s":{"y":[1,3]}})"},
      {R"({"s":{"x":1,"y":2}})", R"({"s":{"x":1}})", R"({"s":{"y":null}})"},
      {R"({"s":{"x":1}})", R"({"s":"flat"})", R"({"s":"flat"})"},
      {R"({"m":{"k.with.dots":{"n":"a"}}})", R"({"m":{"k.with.dots":{"n":"b"}}})",
       R"({"m":{"k.with.dots":{"n":"b"}}})"},
  };
  for (const Case& c : cases) {
    auto patch = jsonMergePatch(c.from, c.to);
    ASSERT_TRUE(patch.ok()) << c.from;
    EXPECT_EQ(*patch, c.patch) << c.from << " -> " << c.to;
  }
  EXPECT_FALSE(jsonMergePatch("[1]", "{}").ok());
  EXPECT_FALSE(jsonMergePatch("{}", "not json").ok());
}

TEST(MergePatch, FormatsRfc3339InUtcSeconds) {
  using testing::at;
  EXPECT_EQ(formatRfc3339(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(at(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatRfc3339(at(1800000000)), "2027-01-15T08:00:00Z");
  EXPECT_EQ(formatRfc3339(at(-1)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(formatRfc3339(Clock::TimePoint(std::chrono::milliseconds(1800000000999))),
            "2027-01-15T08:00:00Z");
}

Condition cond(std::string type, std::string status, std::string time = "") {
  Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.last_transition_time = std::move(time);
  return c;
}

TEST(MergePatch, TransitionTimeMovesOnlyWithStatus) {
  const std::vector<Condition> current = {cond("Ready", "False", "T1"),
                                          cond("Synced", "True", "T1")};
  const auto out = carryTransitionTimes(
      current, {cond("Ready", "True"), cond("Synced", "True"), cond("Blocked", "False")}, "T2");
  EXPECT_EQ(out[0].last_transition_time, "T2");  // changed
  EXPECT_EQ(out[1].last_transition_time, "T1");  // unchanged
  EXPECT_EQ(out[2].last_transition_time, "T2");  // new
}

TEST(MergePatch, VersionStatusPatchHoldsOnlyWhatChanged) {
  Version v;
  v.metadata.name = "m-1-0-0";
  v.spec.type = "Module";
  v.spec.version = "1.0.0";
  v.status.synced = false;
  v.status.sync_status = "pending";
  v.status.conditions = {cond("Synced", "False", "2027-01-01T00:00:00Z")};
  v.status.conditions[0].reason = "Pending";
  VersionStatus desired = v.status;
  EXPECT_EQ(versionStatusPatch(v, desired, "2027-02-02T00:00:00Z"), "");
  desired.sync_status = "still pending";
  desired.conditions[0].reason = "StillPending";
  EXPECT_EQ(versionStatusPatch(v, desired, "2027-02-02T00:00:00Z"),
            R"({"status":{"syncStatus":"still pending","conditions":[{"type":"Synced",)"
            R"("status":"False","lastTransitionTime":"2027-01-01T00:00:00Z",)"
            R"("reason":"StillPending","message":""}]}})");
  desired.synced = true;
  desired.checksum = "abc=";
  desired.conditions[0].status = "True";
  const std::string patch = versionStatusPatch(v, desired, "2027-02-02T00:00:00Z");
  EXPECT_NE(patch.find(R"("lastTransitionTime":"2027-02-02T00:00:00Z")"), std::string::npos);
  EXPECT_NE(patch.find(R"("checksum":"abc=")"), std::string::npos);
  EXPECT_EQ(patch.find("spec"), std::string::npos);
}

TEST(MergePatch, ForceSyncReset) {
  EXPECT_EQ(forceSyncResetPatch(), R"({"spec":{"forceSync":false}})");
}

}  // namespace
}  // namespace od::core
