// planSync and the records the worker answers with: pure functions.
#include "events/worker/sync_plan.h"

#include <gtest/gtest.h>

#include "tests/events/worker/worker_fixture.h"

namespace od::tests {
namespace {

events::Envelope requestFor(const TestVersion& v, const std::string& key = "Version/ns/vpc-1-2-3") {
  events::VersionSyncRequested data{3, v.spec(), 2, events::SyncReason::ForceSync};
  return events::makeEnvelope(data, events::EnvelopeMeta{"req-9", key, "", "", 5});
}

core::Result<events::SyncPlan> plan(const TestVersion& v, const std::string& key = "Version/ns/vpc-1-2-3") {
  auto e = requestFor(v, key);
  auto data = events::decodeAs<events::VersionSyncRequested>(e);
  EXPECT_TRUE(data.ok());
  return events::planSync(e, *data, "/data");
}

TEST(SyncPlan, ModuleFromGitHubWithStorageUnderTheRoot) {
  TestVersion v;
  v.file_format = "tar";
  v.file_name = "x.tar.gz";
  v.directory = "/data/modules/";
  v.immutable = true;
  v.authenticated = true;
  auto p = plan(v);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->object_key, "modules/vpc/x.tar.gz");
  EXPECT_EQ(p->format, core::ArtifactFormat::TarGz);
  EXPECT_FALSE(p->local);
  EXPECT_TRUE(p->immutable);
  EXPECT_EQ(p->name_space, "ns");
  auto fetch = events::moduleFetchFor(*p, "/w/f");
  EXPECT_EQ(fetch.owner, "acme");
  EXPECT_EQ(fetch.repo, "vpc");
  EXPECT_EQ(fetch.format, "tar");
  EXPECT_TRUE(fetch.auth.use_app);
  EXPECT_EQ(fetch.auth.name_space, "ns");
  EXPECT_EQ(fetch.dest_path, "/w/f");
}

TEST(SyncPlan, DefaultsAreZipMutableAndUnauthenticated) {
  TestVersion v;
  auto p = plan(v);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->object_key, "vpc/0190a1b2.zip");
  EXPECT_EQ(p->format, core::ArtifactFormat::Zip);
  EXPECT_FALSE(p->immutable);
  EXPECT_FALSE(events::moduleFetchFor(*p, "").auth.use_app);
}

TEST(SyncPlan, FileUrlIsLocalAndNeedsNoOwner) {
  TestVersion v;
  v.repo_url = "file:///srv/modules/vpc";
  v.repo_owner = "";
  auto p = plan(v);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->local);
}

TEST(SyncPlan, RefusesWhatCannotBeSynced) {
  struct Case {
    std::string name;
    TestVersion v;
    std::string key;
    std::string expect;
  };
  TestVersion no_owner;
  no_owner.repo_owner = "";
  TestVersion https_url;
  https_url.repo_url = "https://github.com/acme/vpc";
  https_url.repo_owner = "";
  TestVersion bad_file;
  bad_file.file_name = "../x.zip";
  TestVersion no_version;
  no_version.version = "";
  TestVersion outside;
  outside.directory = "/var/lib";
  TestVersion s3_less;
  s3_less.directory = "relative/dir";
  for (const auto& c : std::vector<Case>{
           {"no owner", no_owner, "Version/ns/v", "repoOwner is required"},
           {"https repoUrl stays cosmetic", https_url, "Version/ns/v", "repoOwner is required"},
           {"file name with a slash", bad_file, "Version/ns/v", "spec.fileName"},
           {"no version", no_version, "Version/ns/v", "spec.version"},
           {"directory outside the root", outside, "Version/ns/v", "not under the storage root"},
           {"relative directory", s3_less, "Version/ns/v", "directoryPath"},
           {"wrong kind in key", TestVersion{}, "Module/ns/v", "is not Version/<namespace>/<name>"},
           {"short key", TestVersion{}, "Version/v", "is not Version/<namespace>/<name>"},
           {"long key", TestVersion{}, "Version/ns/v/x", "is not Version/<namespace>/<name>"},
           {"dotted name", TestVersion{}, "Version/ns/v1.2.3", "must not contain '.'"},
       }) {
    auto p = plan(c.v, c.key);
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.error().code, core::Errc::Invalid) << c.name;
    EXPECT_NE(p.error().message.find(c.expect), std::string::npos) << c.name << ": " << p.error().message;
  }
}

TEST(SyncPlan, MissingFileNameWaitsForTheReconciler) {
  TestVersion v;
  core::JsonWriter w;
  w.beginObject().member("type", "Module").member("version", "1.0.0");
  w.key("moduleConfigRef").beginObject().member("name", "vpc").member("repoOwner", "acme").endObject().endObject();
  events::VersionSyncRequested data{1, w.take(), 1, events::SyncReason::New};
  auto e = events::makeEnvelope(data, events::EnvelopeMeta{"r", "Version/ns/v", "", "", 0});
  auto p = events::planSync(e, data, "/data");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("spec.fileName is not set"), std::string::npos);
}

TEST(SyncPlan, NonPositiveAttemptIsRefused) {
  TestVersion v;
  auto e = requestFor(v);
  auto data = events::decodeAs<events::VersionSyncRequested>(e).value();
  data.attempt = 0;
  EXPECT_FALSE(events::planSync(e, data, "/data").ok());
}

TEST(SyncRecords, FactIdsDependOnTypeGenerationAttemptAndRequest) {
  TestVersion v;
  auto e = requestFor(v);
  auto data = events::decodeAs<events::VersionSyncRequested>(e).value();
  events::VersionSynced synced{3, "f.zip", "c", 1, 2, std::nullopt};
  events::ArtifactStored stored{3, "f.zip", "k", "c", 1};
  auto a = events::factRecord("od:{ctl}:facts", e, data, synced, 10);
  auto b = events::factRecord("od:{ctl}:facts", e, data, synced, 99);  // another clock reading
  EXPECT_EQ(a.dedupe_id, b.dedupe_id);
  EXPECT_NE(a.dedupe_id, events::factRecord("od:{ctl}:facts", e, data, stored, 10).dedupe_id);
  auto later = data;
  later.attempt = 3;
  EXPECT_NE(a.dedupe_id, events::factRecord("od:{ctl}:facts", e, later, synced, 10).dedupe_id);
  auto other = e;
  other.id = "req-10";
  EXPECT_NE(a.dedupe_id, events::factRecord("od:{ctl}:facts", other, data, synced, 10).dedupe_id);
  auto envelope = events::decodeEnvelope(a.fields);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->id, a.dedupe_id);
  EXPECT_EQ(envelope->cause, "req-9");
  EXPECT_EQ(envelope->corr, "req-9");  // the request had none: it starts the correlation
}

TEST(SyncRecords, RetryIsTheNextAttemptWithAStableId) {
  TestVersion v;
  auto e = requestFor(v);
  auto data = events::decodeAs<events::VersionSyncRequested>(e).value();
  auto r1 = events::retryRecord("od:{ctl}:work", e, data, 1);
  auto r2 = events::retryRecord("od:{ctl}:work", e, data, 2);
  EXPECT_EQ(r1.dedupe_id, r2.dedupe_id);
  EXPECT_EQ(r1.stream, "od:{ctl}:work");
  auto envelope = events::decodeEnvelope(r1.fields);
  ASSERT_TRUE(envelope.ok());
  auto next = events::decodeAs<events::VersionSyncRequested>(*envelope);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->attempt, 3);
  EXPECT_EQ(next->generation, 3);
  EXPECT_EQ(next->reason, events::SyncReason::Retry);
  EXPECT_EQ(next->spec, data.spec);
}

class CountingRandom final : public core::Random {
 public:
  uint64_t next() override {
    ++draws;
    return 0;
  }
  int draws = 0;
};

TEST(SyncRecords, AFailureIsRetriedWhileAttemptsRemainThenTerminal) {
  TestVersion v;
  auto e = requestFor(v);
  auto data = events::decodeAs<events::VersionSyncRequested>(e).value();  // attempt 2
  events::RetryRules rules{events::BackoffPolicy{std::chrono::seconds(10), std::chrono::seconds(600), 0},
                           3, "od:{ctl}:facts", "od:{ctl}:work"};
  CountingRandom random;
  const auto now = core::Clock::TimePoint(std::chrono::seconds(1700000000));
  auto retry = events::planFailure(rules, e, data, "upstream 503", true, now, random);
  ASSERT_TRUE(retry.retry.has_value());
  EXPECT_EQ(retry.delay, std::chrono::seconds(20));  // attempt 2: base doubled once
  EXPECT_EQ(retry.retry->due_at, now + std::chrono::seconds(20));
  EXPECT_EQ(retry.retry->record.stream, "od:{ctl}:work");
  EXPECT_EQ(random.draws, 1);
  auto fact = events::decodeAs<events::VersionSyncFailed>(events::decodeEnvelope(retry.fact.fields).value());
  ASSERT_TRUE(fact.ok());
  EXPECT_TRUE(fact->retryable);
  EXPECT_EQ(fact->next_attempt_at, core::unixMillis(now + std::chrono::seconds(20)));

  data.attempt = 3;  // the last one
  auto last = events::planFailure(rules, e, data, "upstream 503", true, now, random);
  EXPECT_FALSE(last.retry.has_value());
  EXPECT_EQ(last.reason, "upstream 503 (attempt 3 of 3, giving up)");
  EXPECT_EQ(random.draws, 1);  // no jitter drawn for a terminal failure
  auto terminal = events::planFailure(rules, e, data, "tag not found", false, now, random);
  EXPECT_FALSE(terminal.retry.has_value());
  EXPECT_EQ(terminal.reason, "tag not found");
  auto t = events::decodeAs<events::VersionSyncFailed>(events::decodeEnvelope(terminal.fact.fields).value());
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->retryable);
  EXPECT_FALSE(t->next_attempt_at.has_value());
}

TEST(SyncRecords, StoredFactsAreArtifactStoredThenVersionSynced) {
  TestVersion v;
  auto e = requestFor(v);
  auto data = events::decodeAs<events::VersionSyncRequested>(e).value();
  core::Sha256 sha{};
  auto facts = events::storedFacts("od:{ctl}:facts", e, data, "f.zip", "vpc/f.zip", sha, 42, 7);
  ASSERT_EQ(facts.size(), 2u);
  auto first = events::decodeEnvelope(facts[0].fields).value();
  auto second = events::decodeEnvelope(facts[1].fields).value();
  EXPECT_EQ(first.type, "ArtifactStored");
  EXPECT_EQ(second.type, "VersionSynced");
  auto synced = events::decodeAs<events::VersionSynced>(second).value();
  EXPECT_EQ(synced.checksum, sha.base64());
  EXPECT_EQ(synced.size, 42u);
  EXPECT_EQ(synced.attempt, 2);
  EXPECT_FALSE(synced.h1.has_value());  // modules: no dirhash
  EXPECT_EQ(facts[1].fields, events::storedFacts("od:{ctl}:facts", e, data, "f.zip", "vpc/f.zip", sha, 42, 7,
                                                 std::nullopt)[1].fields);

  const std::string h1 = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  auto with_h1 = events::storedFacts("od:{ctl}:facts", e, data, "f.zip", "vpc/f.zip", sha, 42, 7, h1);
  auto provider_synced = events::decodeAs<events::VersionSynced>(events::decodeEnvelope(with_h1[1].fields).value());
  ASSERT_TRUE(provider_synced.ok());
  EXPECT_EQ(provider_synced->h1, h1);
  EXPECT_EQ(with_h1[1].dedupe_id, facts[1].dedupe_id);  // same fact, same id
}

TEST(SyncPlan, TempFilesAreNamedUnderTheWorkDir) {
  EXPECT_EQ(events::tempBase("/w", 0xabc), "/w/.od-sync-0000000000000abc");
  TestVersion v;
  auto spec = plan(v)->spec;
  EXPECT_FALSE(events::storedAs(spec, 0, "/data").ok());
  spec.file_name.reset();
  EXPECT_FALSE(events::storedAs(spec, 1, "/data").ok());
}

}  // namespace
}  // namespace od::tests
