// Stats key plan specs: the reference's key names and value shapes for one download, and
// refusal of every value that could break a key apart.
#include "adapters/stats/stats_keys.h"

#include <gtest/gtest.h>

namespace od::adapters::stats {
namespace {

events::ArtifactDownloaded module(std::string version = "1.2.0") {
  return events::ArtifactDownloaded{"Module", "team-a", "vpc", std::move(version), "", "",
                                    "Terraform/1.11.0", 1704153600123};  // 2024-01-02
}

TEST(StatsKeys, PlansTheReferenceKeysForAModuleDownload) {
  auto u = planStatsUpdate("0123abcd", module());
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_EQ(u->counted_key, "od:{stats}:counted:0123abcd");
  EXPECT_EQ(u->total_key, "stats:total");
  EXPECT_EQ(u->ns_key, "stats:ns:team-a");
  EXPECT_EQ(u->resource_key, "stats:resource:team-a:module:vpc");
  EXPECT_EQ(u->version_key, "stats:version:team-a:module:vpc:1.2.0");
  EXPECT_EQ(u->leaderboard_global_key, "stats:leaderboard:global");
  EXPECT_EQ(u->leaderboard_ns_key, "stats:leaderboard:team-a");
  EXPECT_EQ(u->day_key, "stats:day:2024-01-02:team-a:module:vpc:1.2.0");
  EXPECT_EQ(u->member, "team-a/module/vpc/1.2.0");
  EXPECT_EQ(u->last_at, "2024-01-02T00:00:00.123Z");
  // Midnight UTC of the download's day plus 90 days: 2024-04-01T00:00:00Z.
  EXPECT_EQ(u->day_expire_at, 1711929600);
  EXPECT_EQ(u->counted_ttl_seconds, 604800);
}

TEST(StatsKeys, ProviderKindIsLowercaseAndOptionsApply) {
  events::ArtifactDownloaded p{"Provider", "ns", "aws", "5.0.0", "linux", "amd64", "", 86399999};
  auto u = planStatsUpdate("id", p, StatsKeyOptions{std::chrono::seconds(60), 1});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->member, "ns/provider/aws/5.0.0");
  EXPECT_EQ(u->day_key, "stats:day:1970-01-01:ns:provider:aws:5.0.0");
  EXPECT_EQ(u->last_at, "1970-01-01T23:59:59.999Z");
  EXPECT_EQ(u->day_expire_at, 86400);
  EXPECT_EQ(u->counted_ttl_seconds, 60);
}

TEST(StatsKeys, FormatsTimesInUtc) {
  EXPECT_EQ(formatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339Millis(951782400000), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(formatRfc3339Millis(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(utcDate(1709164800000), "2024-02-29");
  // Fixed width: later times compare greater as strings.
  EXPECT_LT(formatRfc3339Millis(1704067200000), formatRfc3339Millis(1704067200001));
}

TEST(StatsKeys, RefusesValuesThatCannotBeKeyParts) {
  struct Case {
    std::string id;
    events::ArtifactDownloaded d;
    std::string field;
  };
  auto with = [](auto change) {
    auto d = module();
    change(d);
    return d;
  };
  std::vector<Case> cases = {
      {"", module(), "event id"},
      {"a:b", module(), "event id"},
      {std::string(129, 'a'), module(), "event id"},
      {"id", with([](auto& d) { d.kind = "Depot"; }), "kind"},
      {"id", with([](auto& d) { d.kind = ""; }), "kind"},
      {"id", with([](auto& d) { d.name_space = "Team"; }), "namespace"},
      {"id", with([](auto& d) { d.name_space = "a:b"; }), "namespace"},
      {"id", with([](auto& d) { d.name_space = ""; }), "namespace"},
      {"id", with([](auto& d) { d.name = "a/b"; }), "name"},
      {"id", with([](auto& d) { d.name = "x:y"; }), "name"},
      {"id", with([](auto& d) { d.version = ""; }), "version"},
      {"id", with([](auto& d) { d.version = "1.0/../x"; }), "version"},
      {"id", with([](auto& d) { d.version = "1:0"; }), "version"},
      {"id", with([](auto& d) { d.version = "1.0 "; }), "version"},
      {"id", with([](auto& d) { d.version = std::string(129, '1'); }), "version"},
      {"id", with([](auto& d) { d.at = 0; }), "at"},
      {"id", with([](auto& d) { d.at = 253402300800000; }), "at"},
  };
  for (const auto& c : cases) {
    auto u = planStatsUpdate(c.id, c.d);
    ASSERT_FALSE(u.ok()) << c.field;
    EXPECT_EQ(u.error().code, core::Errc::Invalid);
    EXPECT_NE(u.error().message.find(c.field), std::string::npos) << u.error().message;
  }
  EXPECT_TRUE(planStatsUpdate("id", with([](auto& d) { d.version = "v1.0.0-rc.1+b_2"; })).ok());
}

}  // namespace
}  // namespace od::adapters::stats
