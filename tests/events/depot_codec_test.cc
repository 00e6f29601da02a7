// Codecs of the Depot events: DepotPollRequested (work) and ReleasesDiscovered (facts).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "events/codec.h"

namespace od::events {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DepotCodec, PollRequestedRoundTrips) {
  DepotPollRequested poll{3, 2, "retry", R"({"pollingIntervalMinutes":5})"};
  auto envelope = makeEnvelope(poll, EnvelopeMeta{"id", "Depot/ns/d", "uid", "", 9});
  EXPECT_EQ(envelope.type, "DepotPollRequested");
  auto back = decodeAs<DepotPollRequested>(envelope);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->generation, 3);
  EXPECT_EQ(back->attempt, 2);
  EXPECT_EQ(back->reason, "retry");
  EXPECT_EQ(back->spec, R"({"pollingIntervalMinutes":5})");
  auto defaults = decodeData("{}", std::type_identity<DepotPollRequested>{});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->attempt, 1);
  EXPECT_EQ(defaults->spec, "{}");
}

TEST(DepotCodec, PollRequestedRejectsCorruptData) {
  for (const char* bad : {R"({"spec":[]})", R"({"spec":"x"})", R"({"generation":"1"})",
                          R"({"attempt":0})", R"({"reason":5})", "[]", "{", "nonsense"}) {
    auto r = decodeData(bad, std::type_identity<DepotPollRequested>{});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, core::Errc::Corrupt) << bad;
  }
}

TEST(DepotCodec, ReleasesDiscoveredRoundTrips) {
  ReleasesDiscovered d;
  d.generation = 4;
  d.attempt = 2;
  d.entries.push_back({"Module", "eks", 12, {"21.1.0", "21.0.0"}, std::nullopt, false});
  d.entries.push_back({"Provider", "aws", 0, {}, "upstream answered 500", true});
  d.next_attempt_at = 1700000000000;
  auto back = decodeData(encodeData(d), std::type_identity<ReleasesDiscovered>{});
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->generation, 4);
  EXPECT_EQ(back->attempt, 2);
  EXPECT_EQ(back->next_attempt_at, 1700000000000);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[0].kind, "Module");
  EXPECT_EQ(back->entries[0].found, 12);
  EXPECT_THAT(back->entries[0].kept, ElementsAre("21.1.0", "21.0.0"));
  EXPECT_FALSE(back->entries[0].error);
  EXPECT_EQ(back->entries[1].error, "upstream answered 500");
  EXPECT_TRUE(back->entries[1].retryable);
  auto none = decodeData(R"({"entries":[]})", std::type_identity<ReleasesDiscovered>{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->next_attempt_at);
}

TEST(DepotCodec, ReleasesDiscoveredRejectsCorruptData) {
  const char* bad[] = {
      R"({})",                                                          // no entries
      R"({"entries":{}})",                                              // not an array
      R"({"entries":[7]})",                                             // not an object
      R"({"entries":[{"kind":"Version","name":"x"}]})",                 // other kind
      R"({"entries":[{"kind":"Module"}]})",                             // no name
      R"({"entries":[{"kind":"Module","name":"x","found":-1}]})",       // negative
      R"({"entries":[{"kind":"Module","name":"x","found":"3"}]})",      // wrong type
      R"({"entries":[{"kind":"Module","name":"x","kept":["1.0.0",2]}]})",
      R"({"entries":[{"kind":"Module","name":"x","kept":"1.0.0"}]})",
      R"({"entries":[{"kind":"Module","name":"x","error":false}]})",
      R"({"entries":[{"kind":"Module","name":"x","retryable":"yes"}]})",
      R"({"entries":[],"nextAttemptAt":"soon"})",
      R"({"entries":[{"kind":"Module","name":"x","kept":["1.0.0"])",  // truncated
  };
  for (const char* text : bad) {
    auto r = decodeData(text, std::type_identity<ReleasesDiscovered>{});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, core::Errc::Corrupt) << text;
    EXPECT_THAT(r.error().message, HasSubstr("ReleasesDiscovered")) << text;
  }
}

}  // namespace
}  // namespace od::events
