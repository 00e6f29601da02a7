#include "events/envelope.h"

#include <gtest/gtest.h>

#include "events/codec.h"
#include "events/streams.h"

namespace od::events {
namespace {

Envelope sample() {
  return Envelope{"ResourceObserved", 1, eventId({"ResourceObserved", "uid-1", "42"}),
                  "Module/default/vpc", "corr-1", "", 1704067200000, R"({"uid":"uid-1"})"};
}

core::StreamFields without(core::StreamFields f, std::string_view name) {
  std::erase_if(f, [&](const auto& kv) { return kv.first == name; });
  return f;
}

core::StreamFields with(core::StreamFields f, std::string_view name, std::string value) {
  for (auto& kv : f) {
    if (kv.first == name) {
      kv.second = std::move(value);
    }
  }
  return f;
}

TEST(Envelope, EncodesTheEightFieldsInOrderAndRoundTrips) {
  const auto fields = encodeEnvelope(sample());
  std::vector<std::string> names;
  for (const auto& kv : fields) {
    names.push_back(kv.first);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"type", "v", "id", "key", "corr", "cause", "ts",
                                             "data"}));
  auto decoded = decodeEnvelope(fields);
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(decoded->type, "ResourceObserved");
  EXPECT_EQ(decoded->v, 1);
  EXPECT_EQ(decoded->key, "Module/default/vpc");
  EXPECT_EQ(decoded->corr, "corr-1");
  EXPECT_EQ(decoded->ts, 1704067200000);
  EXPECT_EQ(decoded->data, R"({"uid":"uid-1"})");
}

TEST(Envelope, IgnoresUnknownFieldsAndToleratesMissingCorrAndCause) {
  auto fields = without(without(encodeEnvelope(sample()), "corr"), "cause");
  fields.emplace_back("future", "x");
  auto decoded = decodeEnvelope(fields);
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  EXPECT_EQ(decoded->corr, "");
}

TEST(Envelope, RejectsEachMissingRequiredFieldAsCorrupt) {
  for (std::string_view name : {"type", "v", "id", "key", "ts", "data"}) {
    auto decoded = decodeEnvelope(without(encodeEnvelope(sample()), name));
    ASSERT_FALSE(decoded.ok()) << name;
    EXPECT_EQ(decoded.error().code, core::Errc::Corrupt);
    EXPECT_NE(decoded.error().message.find(std::string(name)), std::string::npos)
        << decoded.error().message;
  }
}

TEST(Envelope, RejectsBadNumbersBadJsonAndHugeData) {
  const auto base = encodeEnvelope(sample());
  const std::vector<core::StreamFields> bad = {
      with(base, "v", "one"),  with(base, "v", "0"),     with(base, "v", "-1"),
      with(base, "v", ""),     with(base, "ts", "x1"),   with(base, "ts", "-5"),
      with(base, "ts", "1.5"), with(base, "data", "{"),  with(base, "data", "[1,2]"),
      with(base, "data", "\"s\""), with(base, "type", ""),
      with(base, "data", "{\"a\":\"" + std::string(kMaxDataBytes, 'x') + "\"}"),
  };
  for (const auto& fields : bad) {
    auto decoded = decodeEnvelope(fields);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, core::Errc::Corrupt) << decoded.error().message;
  }
  auto twice = base;
  twice.emplace_back("type", "Other");
  EXPECT_FALSE(decodeEnvelope(twice).ok());
}

TEST(EventId, Fnv1a128MatchesPublishedVectors) {
  EXPECT_EQ(toHex(fnv1a128("")), "6c62272e07bb014262b821756295c58d");
  EXPECT_EQ(toHex(fnv1a128("a")), "d228cb696f1a8caf78912b704e4a8964");
  EXPECT_EQ(toHex(fnv1a128("foobar")), "343e1662793c64bf6f0d3597ba446f18");
}

TEST(EventId, IsStableAcrossRunsAndSeparatesParts) {
  // Fixed expectation: a change here changes every stored event id (and breaks dedupe).
  EXPECT_EQ(eventId({"type", "uid"}), "8de776b4addf2e0e76a8d517ab539304");
  EXPECT_EQ(eventId({"ResourceObserved", "uid-1", "42"}),
            eventId({"ResourceObserved", "uid-1", "42"}));
  EXPECT_NE(eventId({"ab", "c"}), eventId({"a", "bc"}));
  EXPECT_NE(eventId({"ResourceObserved", "uid-1", "42"}),
            eventId({"ResourceObserved", "uid-1", "43"}));
  EXPECT_EQ(eventId({"x"}).size(), 32u);
}

TEST(EventId, AppendRecordDedupesOnTheEventId) {
  auto record = toAppendRecord(streams::kResources, sample());
  EXPECT_EQ(record.stream, "od:{ctl}:resources");
  EXPECT_EQ(record.dedupe_id, sample().id);
}

TEST(Streams, BindingKeyNames) {
  EXPECT_EQ(streams::kWork, "od:{ctl}:work");
  EXPECT_EQ(streams::kFacts, "od:{ctl}:facts");
  EXPECT_EQ(streams::kDead, "od:{ctl}:dead");
  EXPECT_EQ(streams::kDue, "od:{ctl}:due");
  EXPECT_EQ(streams::kDownloads, "od:{stats}:downloads");
  EXPECT_EQ(streams::checkpointKey("readmodel"), "od:{ctl}:ckpt:readmodel");
  EXPECT_EQ(streams::seenKey("abc"), "od:{ctl}:seen:abc");
  EXPECT_EQ(streams::leaseKey("reconcile"), "od:{ctl}:lease:reconcile");
}

TEST(Catalogue, KnowsEveryTypeWithItsVersion) {
  EXPECT_EQ(eventCatalogue().size(), 12u);
  EXPECT_EQ(knownSchemaVersion("VersionSyncRequested"), 1);
  EXPECT_EQ(knownSchemaVersion("ArtifactDownloaded"), 1);
  EXPECT_EQ(knownSchemaVersion("SomethingNew"), std::nullopt);
}

TEST(Codec, ResourceObservedRoundTripsAndIgnoresUnknownFields) {
  ResourceObserved d;
  d.uid = "u1";
  d.resource_version = "7";
  d.generation = 3;
  d.labels = {{"a", "b"}};
  d.deletion_timestamp = "2024-01-01T00:00:00Z";
  d.spec = R"({"versions":[{"version":"1.0.0"}]})";
  auto env = makeEnvelope(d, EnvelopeMeta{"id1", "Module/ns/m", "", "", 5});
  EXPECT_EQ(env.type, "ResourceObserved");
  auto back = decodeAs<ResourceObserved>(env);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->uid, "u1");
  EXPECT_EQ(back->generation, 3);
  EXPECT_EQ(back->labels.at("a"), "b");
  EXPECT_EQ(back->deletion_timestamp, "2024-01-01T00:00:00Z");
  EXPECT_EQ(back->spec, d.spec);
  auto extra = decodeData(R"({"uid":"u","resourceVersion":"1","newField":[1]})",
                          std::type_identity<ResourceObserved>{});
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->spec, "{}");
}

TEST(Codec, OtherTypedEventsRoundTrip) {
  VersionSyncRequested req{7, R"({"version":"1.2.3"})", 2, SyncReason::ForceSync};
  auto r = decodeData(encodeData(req), std::type_identity<VersionSyncRequested>{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, SyncReason::ForceSync);
  EXPECT_EQ(r->attempt, 2);
  VersionSyncFailed failed{7, "upstream 503", true, 2, 1704067260000};
  auto f = decodeData(encodeData(failed), std::type_identity<VersionSyncFailed>{});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->retryable);
  EXPECT_EQ(f->next_attempt_at, 1704067260000);
  ArtifactStored stored{7, "0190.tar.gz", "fs:///data/x", "q1w2", 1234};
  auto s = decodeData(encodeData(stored), std::type_identity<ArtifactStored>{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size, 1234u);
  VersionSynced synced{7, "0190.zip", "q1w2", 99, 3, std::nullopt};
  auto y = decodeData(encodeData(synced), std::type_identity<VersionSynced>{});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->file_name, "0190.zip");
  EXPECT_EQ(y->checksum, "q1w2");
  EXPECT_EQ(y->size, 99u);
  EXPECT_EQ(y->attempt, 3);
  EXPECT_FALSE(y->h1.has_value());
  EXPECT_EQ(encodeData(synced).find("h1"), std::string::npos);
  synced.h1 = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  auto h = decodeData(encodeData(synced), std::type_identity<VersionSynced>{});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->h1, synced.h1);
  EXPECT_FALSE(decodeData(R"({"fileName":"f","checksum":"c","size":-1})",
                          std::type_identity<VersionSynced>{}).ok());
  EXPECT_FALSE(decodeData(R"({"fileName":"f","checksum":"c","h1":"zh:abc"})",
                          std::type_identity<VersionSynced>{}).ok());
  EXPECT_FALSE(decodeData(R"({"fileName":"f","checksum":"c","h1":7})",
                          std::type_identity<VersionSynced>{}).ok());
  ChildrenApplied applied{4, {"m-1-0-0", "m-1-1-0"}, {"m-0-9-0"}, "v1.1.0"};
  auto a = decodeData(encodeData(applied), std::type_identity<ChildrenApplied>{});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->generation, 4);
  EXPECT_EQ(a->created, applied.created);
  EXPECT_EQ(a->deleted, applied.deleted);
  EXPECT_EQ(a->latest_version, "v1.1.0");
  auto none = decodeData(encodeData(ChildrenApplied{}), std::type_identity<ChildrenApplied>{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->created.empty());
  EXPECT_FALSE(none->latest_version.has_value());
  auto bad = decodeData(R"({"created":["a",3]})", std::type_identity<ChildrenApplied>{});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("created"), std::string::npos);
  EXPECT_FALSE(decodeData(R"({"deleted":"a"})", std::type_identity<ChildrenApplied>{}).ok());
  auto del = decodeData(encodeData(ResourceDeleted{"u", "9"}), std::type_identity<ResourceDeleted>{});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->resource_version, "9");
}

TEST(Codec, ArtifactDownloadedRoundTripsAndRejectsBadData) {
  ArtifactDownloaded module{"Module", "team-a", "vpc", "1.2.0", "", "", "Terraform/1.11.0",
                            1704067200123};
  auto m = decodeData(encodeData(module), std::type_identity<ArtifactDownloaded>{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, "Module");
  EXPECT_EQ(m->name_space, "team-a");
  EXPECT_EQ(m->name, "vpc");
  EXPECT_EQ(m->version, "1.2.0");
  EXPECT_TRUE(m->os.empty());
  EXPECT_EQ(m->client, "Terraform/1.11.0");
  EXPECT_EQ(m->at, 1704067200123);
  EXPECT_EQ(encodeData(module).find("\"os\""), std::string::npos);
  ArtifactDownloaded provider{"Provider", "ns", "aws", "5.0.0", "linux", "amd64", "", 7};
  auto envelope = makeEnvelope(provider, EnvelopeMeta{"id1", "Provider/ns/aws", "", "", 7});
  auto p = decodeAs<ArtifactDownloaded>(envelope);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->os, "linux");
  EXPECT_EQ(p->arch, "amd64");
  EXPECT_EQ(knownSchemaVersion(type::kArtifactDownloaded), 1);

  auto no_at = decodeData(R"({"kind":"Module","namespace":"n","name":"m","version":"1"})",
                          std::type_identity<ArtifactDownloaded>{});
  ASSERT_FALSE(no_at.ok());
  EXPECT_EQ(no_at.error().code, core::Errc::Corrupt);
  EXPECT_NE(no_at.error().message.find("at"), std::string::npos);
  auto negative = decodeData(R"({"kind":"Module","namespace":"n","name":"m","version":"1","at":-5})",
                             std::type_identity<ArtifactDownloaded>{});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message.find("negative"), std::string::npos);
  auto no_name = decodeData(R"({"kind":"Module","namespace":"n","version":"1","at":1})",
                            std::type_identity<ArtifactDownloaded>{});
  ASSERT_FALSE(no_name.ok());
  EXPECT_NE(no_name.error().message.find("name"), std::string::npos);
  EXPECT_FALSE(decodeData(R"({"kind":1,"namespace":"n","name":"m","version":"1","at":1})",
                          std::type_identity<ArtifactDownloaded>{}).ok());
  EXPECT_FALSE(decodeData(R"(["not an object"])", std::type_identity<ArtifactDownloaded>{}).ok());
}

TEST(Codec, WrongTypesAndMissingRequiredFieldsAreCorrupt) {
  auto missing = decodeData(R"({"resourceVersion":"1"})", std::type_identity<ResourceDeleted>{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Errc::Corrupt);
  EXPECT_NE(missing.error().message.find("uid"), std::string::npos);
  auto wrong = decodeData(R"({"generation":"x","fileName":"f","checksum":"c"})",
                          std::type_identity<ArtifactStored>{});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("generation"), std::string::npos);
  auto reason = decodeData(R"({"reason":"sometimes"})", std::type_identity<VersionSyncRequested>{});
  EXPECT_FALSE(reason.ok());
  Envelope newer{"ResourceDeleted", 2, "i", "k", "", "", 0, "{}"};
  EXPECT_EQ(decodeAs<ResourceDeleted>(newer).error().code, core::Errc::Invalid);
}

}  // namespace
}  // namespace od::events
