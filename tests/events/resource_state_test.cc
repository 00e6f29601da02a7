#include <gtest/gtest.h>

#include "events/codec.h"
#include "events/resource_state.h"

namespace od::events {
namespace {

using Outcome = ResourceState::Outcome;

events::Envelope observed(const std::string& key, const std::string& uid, const std::string& rv,
                          const std::string& spec = R"({"versions":[]})") {
  events::ResourceObserved data;
  data.uid = uid;
  data.resource_version = rv;
  data.generation = 1;
  data.spec = spec;
  return events::makeEnvelope(data, {events::eventId({"ResourceObserved", uid, rv}), key, "", "", 1});
}

events::Envelope deleted(const std::string& key, const std::string& uid, const std::string& rv) {
  events::ResourceDeleted data{uid, rv};
  return events::makeEnvelope(data, {events::eventId({"ResourceDeleted", uid, rv}), key, "", "", 2});
}

Outcome fold(ResourceState& state, const events::Envelope& e) {
  auto r = state.apply(e);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : Outcome::Ignored;
}

TEST(ResourceState, LatestObservationOfAKeyWins) {
  ResourceState state;
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "5", R"({"v":1})")), Outcome::Changed);
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "7", R"({"v":2})")), Outcome::Changed);
  ASSERT_NE(state.find("Module/ns/a"), nullptr);
  EXPECT_EQ(state.find("Module/ns/a")->object.spec, R"({"v":2})");
  EXPECT_EQ(state.find("Module/ns/a")->key.name, "a");
  EXPECT_EQ(state.size(), 1u);
}

TEST(ResourceState, SameUidAndResourceVersionIsADuplicate) {
  ResourceState state;
  fold(state, observed("Module/ns/a", "u1", "5"));
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "5")), Outcome::Duplicate);
}

TEST(ResourceState, OlderObservationAfterANewerOneIsStale) {
  ResourceState state;
  fold(state, observed("Module/ns/a", "u1", "9", R"({"v":9})"));
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "10")), Outcome::Changed);
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "8")), Outcome::Stale);
  EXPECT_EQ(state.find("Module/ns/a")->object.resource_version, "10");
}

TEST(ResourceState, DeletionRemovesAndLateObservationDoesNotResurrect) {
  ResourceState state;
  fold(state, observed("Module/ns/a", "u1", "5"));
  EXPECT_EQ(fold(state, deleted("Module/ns/a", "u1", "6")), Outcome::Deleted);
  EXPECT_EQ(state.find("Module/ns/a"), nullptr);
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "5")), Outcome::Stale);
  EXPECT_EQ(fold(state, deleted("Module/ns/a", "u1", "6")), Outcome::Duplicate);
  EXPECT_EQ(state.size(), 0u);
}

TEST(ResourceState, RecreatedObjectWithNewUidReplacesAndOldDeletionIsStale) {
  ResourceState state;
  fold(state, observed("Module/ns/a", "u1", "5"));
  fold(state, deleted("Module/ns/a", "u1", "6"));
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u2", "7")), Outcome::Changed);
  EXPECT_EQ(fold(state, deleted("Module/ns/a", "u1", "6")), Outcome::Stale);
  ASSERT_NE(state.find("Module/ns/a"), nullptr);
  EXPECT_EQ(state.find("Module/ns/a")->object.uid, "u2");
}

TEST(ResourceState, OpaqueResourceVersionsReplaceUnlessEqual) {
  ResourceState state;
  fold(state, observed("Module/ns/a", "u1", "abc"));
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "abc")), Outcome::Duplicate);
  EXPECT_EQ(fold(state, observed("Module/ns/a", "u1", "abd")), Outcome::Changed);
  EXPECT_EQ(compareResourceVersions("10", "9"), 1);
  EXPECT_EQ(compareResourceVersions("x", "9"), std::nullopt);
}

TEST(ResourceState, ListsByKindAndNamespace) {
  ResourceState state;
  fold(state, observed("Module/a/m1", "1", "1"));
  fold(state, observed("Module/b/m2", "2", "2"));
  fold(state, observed("Provider/a/p1", "3", "3"));
  EXPECT_EQ(state.list("Module").size(), 2u);
  EXPECT_EQ(state.list("Module", "a").size(), 1u);
  EXPECT_EQ(state.list("Provider", "b").size(), 0u);
}

TEST(ResourceState, OtherEventTypesAreIgnored) {
  ResourceState state;
  events::VersionSyncRequested req;
  auto e = events::makeEnvelope(req, {"id1", "Version/ns/v", "", "", 1});
  EXPECT_EQ(fold(state, e), Outcome::Ignored);
}

TEST(ResourceState, CorruptKeysAndDataAreErrorsAndChangeNothing) {
  ResourceState state;
  for (const char* key : {"Module/ns", "Module//a", "/ns/a", "Module/ns/a/b", "Module/ns/"}) {
    auto r = state.apply(observed(key, "u", "1"));
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().code, core::Errc::Corrupt);
  }
  auto bad = observed("Module/ns/a", "u", "1");
  bad.data = R"({"uid":5})";
  EXPECT_FALSE(state.apply(bad).ok());
  EXPECT_EQ(state.size(), 0u);
}

}  // namespace
}  // namespace od::events
