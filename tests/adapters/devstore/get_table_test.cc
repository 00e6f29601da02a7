#include "adapters/devstore/get_table.h"

#include <gtest/gtest.h>

#include "tests/adapters/devstore/devstore_fixture.h"

namespace od::adapters::devstore::testing {
namespace {

using core::ResourceRef;

class GetTableTest : public DevstoreTest {
 protected:
  void SetUp() override {
    state_ = dir_.file("store.json");
    store_ = makeStore(state_);
    ASSERT_TRUE(store_->open().ok());
    json module = json::parse(*store_->createNow("Module", "default", moduleObject("vpc").dump()));
    ASSERT_TRUE(store_
                    ->patchNow(ResourceRef{"Module", "default", "vpc"}, core::PatchType::Merge,
                               R"({"status":{"synced":true,"latestVersion":"v1.0.0",)"
                               R"("conditions":[{"type":"Ready","status":"True","reason":"Synced",)"
                               R"("message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})",
                               true)
                    .ok());
    ASSERT_TRUE(store_
                    ->createNow("Version", "default",
                                versionObject("vpc-1-0-0", "1.0.0", {ownerRef(module)}).dump())
                    .ok());
    ASSERT_TRUE(store_
                    ->patchNow(ResourceRef{"Version", "default", "vpc-1-0-0"},
                               core::PatchType::Merge,
                               R"({"status":{"synced":true,"syncStatus":"Synced",)"
                               R"("checksum":"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="}})",
                               true)
                    .ok());
    ASSERT_TRUE(store_->flush().ok());
    options_.now = clock_.now() + std::chrono::minutes(5);
  }

  std::string state_;
  std::unique_ptr<LocalResourceStore> store_;
  GetOptions options_;
};

TEST_F(GetTableTest, ModulesPrintAsATable) {
  auto out = renderGet("modules", state_, options_);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "NAMESPACE   NAME   PROVIDER   LATEST   VERSIONS   SYNCED   READY   AGE\n"
            "default     vpc    aws        v1.0.0   1          true     True    5m\n");
}

TEST_F(GetTableTest, VersionsShowTheirModuleVersionAndSyncStatus) {
  auto out = renderGet("version", state_, options_);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->find("NAMESPACE   NAME        TYPE     PARENT       VERSION   PLATFORM   SYNCED   "
                      "STATUS   CHECKSUM"),
            std::string::npos)
      << *out;
  EXPECT_NE(out->find("default     vpc-1-0-0   Module   Module/vpc   1.0.0     -          true     "
                      "Synced   n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=   5m"),
            std::string::npos)
      << *out;
}

TEST_F(GetTableTest, JsonIsAListOfTheObjects) {
  options_.output = "json";
  auto out = renderGet("Versions", store_->objects(), options_);
  ASSERT_TRUE(out.ok());
  json list = json::parse(*out);
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["status"]["syncStatus"], "Synced");
}

TEST_F(GetTableTest, EmptyUnknownAndMissing) {
  EXPECT_EQ(*renderGet("depots", state_, options_), "No resources found.\n");
  options_.name_space = "team";
  EXPECT_EQ(*renderGet("providers", state_, options_), "No resources found in team namespace.\n");
  EXPECT_EQ(renderGet("secrets", state_, options_).error().code, core::Errc::Invalid);
  options_.output = "yaml";
  EXPECT_EQ(renderGet("modules", state_, options_).error().code, core::Errc::Invalid);
  options_.output = "";
  auto missing = renderGet("modules", dir_.file("nope.json"), options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Errc::NotFound);
  EXPECT_NE(missing.error().message.find("opendepot dev"), std::string::npos);
}

TEST(ShortAge, FollowsKubectl) {
  EXPECT_EQ(shortAge(std::chrono::seconds(5)), "5s");
  EXPECT_EQ(shortAge(std::chrono::seconds(300)), "5m");
  EXPECT_EQ(shortAge(std::chrono::hours(3)), "3h");
  EXPECT_EQ(shortAge(std::chrono::hours(24 * 9)), "9d");
  EXPECT_EQ(shortAge(std::chrono::seconds(-3)), "0s");
}

}  // namespace
}  // namespace od::adapters::devstore::testing
