// VersionSyncHandler: Given a VersionSyncRequested, When the worker handles it, Then these
// facts come back, this object is stored, this retry is scheduled (house style §10).
#include "events/worker/version_sync.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/events/worker/worker_fixture.h"

namespace od::tests {
namespace {

namespace fs = std::filesystem;
using adapters::archive::testing::Container;

class VersionSyncTest : public WorkerTest {};

TEST_F(VersionSyncTest, ZipballIsStoredWithTheModuleAtTheRootAndBothFactsComeBack) {
  TestVersion v;
  v.authenticated = true;
  v.directory = storage_root_ + "/modules";
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  auto r = run(request(v, 4));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].stream, events::streams::kFacts);
  EXPECT_EQ(typeOf((*r)[0]), events::type::kArtifactStored);
  EXPECT_EQ(typeOf((*r)[1]), events::type::kVersionSynced);

  const std::string object = storedPath("modules/vpc/0190a1b2.zip");
  ASSERT_TRUE(fs::is_regular_file(object));
  const std::string bytes = readFile(object);
  auto stored = factAs<events::ArtifactStored>((*r)[0]);
  EXPECT_EQ(stored.generation, 4);
  EXPECT_EQ(stored.file_name, "0190a1b2.zip");
  EXPECT_EQ(stored.location, "modules/vpc/0190a1b2.zip");
  EXPECT_EQ(stored.checksum, hasher_.sha256Of(bytes).base64());
  EXPECT_EQ(stored.size, bytes.size());
  auto synced = factAs<events::VersionSynced>((*r)[1]);
  EXPECT_EQ(synced.checksum, stored.checksum);
  EXPECT_EQ(synced.attempt, 1);
  EXPECT_EQ(namesIn(object), (std::vector<std::string>{"main.tf", "modules/", "modules/subnet/",
                                                       "modules/subnet/main.tf", "variables.tf"}));

  ASSERT_EQ(source_.requests().size(), 1u);
  const auto& fetch = source_.requests()[0];
  EXPECT_EQ(fetch.owner, "acme");
  EXPECT_EQ(fetch.repo, "vpc");
  EXPECT_EQ(fetch.version, "1.2.3");
  EXPECT_EQ(fetch.format, "zip");
  EXPECT_TRUE(fetch.auth.use_app);
  EXPECT_EQ(fetch.auth.name_space, "team-a");
  EXPECT_TRUE(fetch.dest_path.starts_with(work_dir_ + "/" + std::string(events::kSyncTempPrefix)));
  EXPECT_EQ(workFiles(), 0u);
  EXPECT_EQ(handler_->metrics().synced, 1u);
}

TEST_F(VersionSyncTest, TarballBecomesATarGzWithTheModuleAtTheRoot) {
  TestVersion v;
  v.file_format = "tar";
  v.file_name = "0190a1b2.tar.gz";
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.tgz", Container::TarGz, "# vpc\n"));
  auto r = run(request(v));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(source_.requests().at(0).format, "tar");
  const std::string object = storedPath("vpc/0190a1b2.tar.gz");
  const std::string bytes = readFile(object);
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  EXPECT_EQ(factAs<events::VersionSynced>((*r)[1]).checksum, hasher_.sha256Of(bytes).base64());
  const auto names = namesIn(object);
  EXPECT_NE(std::find(names.begin(), names.end(), "main.tf"), names.end());
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, TheSameRequestTwiceStoresOneObjectAndNoDuplicateFacts) {
  TestVersion v;
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  auto first = run(request(v));
  ASSERT_TRUE(first.ok());
  const std::string bytes = readFile(storedPath("vpc/0190a1b2.zip"));
  auto second = run(request(v));
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*first)[i].dedupe_id, (*second)[i].dedupe_id);
    EXPECT_FALSE((*first)[i].dedupe_id.empty());
  }
  EXPECT_EQ(factAs<events::VersionSynced>((*second)[1]).checksum, hasher_.sha256Of(bytes).base64());
  for (const auto* results : {&*first, &*second}) {
    for (const auto& record : *results) {
      log_.addNow(record);
    }
  }
  EXPECT_EQ(log_.entries(std::string(events::streams::kFacts)).size(), 2u);
  EXPECT_EQ(readFile(storedPath("vpc/0190a1b2.zip")), bytes);
  EXPECT_EQ(handler_->metrics().replaced, 0u);
}

TEST_F(VersionSyncTest, ImmutableVersionThatChangedUpstreamFailsAndKeepsTheStoredArtifact) {
  TestVersion v;
  v.immutable = true;
  source_.serve("acme", "vpc", "1.2.3", githubArchive("old.zip", Container::Zip, "# old\n"));
  ASSERT_TRUE(run(request(v, 1)).ok());
  const std::string old_bytes = readFile(storedPath("vpc/0190a1b2.zip"));
  source_.serve("acme", "vpc", "1.2.3", githubArchive("new.zip", Container::Zip, "# retagged\n"));
  auto r = run(request(v, 2, 1, "req-2"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_FALSE(failed.retryable);
  EXPECT_EQ(failed.generation, 2);
  EXPECT_NE(failed.reason.find("immutable version 1.2.3"), std::string::npos) << failed.reason;
  EXPECT_NE(failed.reason.find(hasher_.sha256Of(old_bytes).base64()), std::string::npos) << failed.reason;
  EXPECT_NE(failed.reason.find("new checksum "), std::string::npos) << failed.reason;
  EXPECT_EQ(readFile(storedPath("vpc/0190a1b2.zip")), old_bytes);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, MutableVersionThatChangedUpstreamIsReplacedAndTheNewChecksumRecorded) {
  TestVersion v;
  source_.serve("acme", "vpc", "1.2.3", githubArchive("old.zip", Container::Zip, "# old\n"));
  ASSERT_TRUE(run(request(v, 1)).ok());
  const std::string old_bytes = readFile(storedPath("vpc/0190a1b2.zip"));
  source_.serve("acme", "vpc", "1.2.3", githubArchive("new.zip", Container::Zip, "# retagged\n"));
  auto r = run(request(v, 2, 1, "req-2"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const std::string new_bytes = readFile(storedPath("vpc/0190a1b2.zip"));
  EXPECT_NE(new_bytes, old_bytes);
  EXPECT_EQ(factAs<events::ArtifactStored>((*r)[0]).checksum, hasher_.sha256Of(new_bytes).base64());
  EXPECT_EQ(handler_->metrics().replaced, 1u);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, RetryableFetchErrorRecordsAFailureAndSchedulesTheNextAttempt) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Unavailable, "GitHub answered 502"));
  auto r = run(request(v, 7));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_TRUE(failed.retryable);
  EXPECT_EQ(failed.attempt, 1);
  EXPECT_NE(failed.reason.find("GitHub answered 502"), std::string::npos);
  ASSERT_TRUE(failed.next_attempt_at.has_value());
  const int64_t now = core::unixMillis(clock_.now());
  EXPECT_GE(*failed.next_attempt_at, now + 500);  // backoff(1): base 1 s, up to half jitter
  EXPECT_LE(*failed.next_attempt_at, now + 1000);

  auto due = log_.due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(core::unixMillis(due[0].due_at), *failed.next_attempt_at);
  EXPECT_EQ(due[0].record.stream, events::streams::kWork);
  auto envelope = events::decodeEnvelope(due[0].record.fields);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->key, kKey);
  EXPECT_EQ(envelope->id, due[0].record.dedupe_id);
  auto next = events::decodeAs<events::VersionSyncRequested>(*envelope);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->attempt, 2);
  EXPECT_EQ(next->generation, 7);
  EXPECT_EQ(next->reason, events::SyncReason::Retry);
  EXPECT_EQ(next->spec, events::decodeAs<events::VersionSyncRequested>(request(v, 7)).value().spec);
  EXPECT_EQ(workFiles(), 0u);

  // Handling the same request again reschedules the same record (idempotent).
  source_.failNext(core::makeError(core::Errc::Timeout, "timed out"));
  ASSERT_TRUE(run(request(v, 7)).ok());
  EXPECT_EQ(log_.due().size(), 1u);
  EXPECT_EQ(handler_->metrics().retries, 2u);
}

TEST_F(VersionSyncTest, TheScheduledRetrySucceedsOnceUpstreamRecovers) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Unavailable, "connection reset"));
  ASSERT_TRUE(run(request(v)).ok());
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  auto retry = events::decodeEnvelope(log_.due().at(0).record.fields);
  ASSERT_TRUE(retry.ok());
  auto r = run(*retry);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(factAs<events::VersionSynced>((*r)[1]).attempt, 2);
  EXPECT_NE((*r)[1].dedupe_id, "");
}

TEST_F(VersionSyncTest, TheLastAttemptFailsTerminallyWithoutAnotherRetry) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Unavailable, "GitHub answered 503"));
  auto r = run(request(v, 1, 3));  // max_attempts = 3
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_FALSE(failed.retryable);
  EXPECT_FALSE(failed.next_attempt_at.has_value());
  EXPECT_EQ(failed.attempt, 3);
  EXPECT_NE(failed.reason.find("attempt 3 of 3, giving up"), std::string::npos) << failed.reason;
  EXPECT_TRUE(log_.due().empty());
  EXPECT_EQ(handler_->metrics().failed, 1u);
}

TEST_F(VersionSyncTest, MissingTagIsTerminalAndSaysWhichTagsWereTried) {
  TestVersion v;
  auto r = run(request(v));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_FALSE(failed.retryable);
  EXPECT_NE(failed.reason.find("tag v1.2.3 and 1.2.3 not found in acme/vpc"), std::string::npos) << failed.reason;
  EXPECT_TRUE(log_.due().empty());
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, PermissionErrorIsTerminal) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Permission, "GitHub answered 403: bad credentials"));
  auto r = run(request(v));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(factAs<events::VersionSyncFailed>((*r)[0]).retryable);
  EXPECT_TRUE(log_.due().empty());
}

TEST_F(VersionSyncTest, RejectedArchiveIsTerminalWithTheReasonAndStoresNothing) {
  TestVersion v;
  const std::string evil = sources_dir_ + "/evil.tar.gz";
  ASSERT_TRUE(adapters::archive::testing::writeArchive(
      evil, Container::TarGz,
      {adapters::archive::testing::file("w/main.tf", "x"), adapters::archive::testing::file("w/../../x", "y")}));
  source_.serve("acme", "vpc", "1.2.3", evil);
  auto r = run(request(v));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_FALSE(failed.retryable);
  EXPECT_TRUE(failed.reason.starts_with("archive rejected: path-traversal")) << failed.reason;
  EXPECT_NE(failed.reason.find("../"), std::string::npos) << failed.reason;
  EXPECT_FALSE(fs::exists(storedPath("vpc/0190a1b2.zip")));
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, FileUrlFolderIsPackagedWithoutAskingGitHub) {
  const std::string folder = sources_dir_ + "/vpc-1.2.3";
  fs::create_directories(folder);
  std::ofstream(folder + "/main.tf") << "# local\n";
  TestVersion v;
  v.repo_url = "file://" + sources_dir_ + "/vpc-{version}";
  v.repo_owner = "";
  auto r = run(request(v));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u) << (r->size() == 1 ? factAs<events::VersionSyncFailed>((*r)[0]).reason : "");
  EXPECT_TRUE(source_.requests().empty());
  EXPECT_EQ(namesIn(storedPath("vpc/0190a1b2.zip")), (std::vector<std::string>{"main.tf"}));
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, ProviderVersionsAreRefusedAsNotImplemented) {
  core::JsonWriter w;
  w.beginObject().member("type", "Provider").member("version", "5.0.0").member("fileName", "p.zip");
  w.member("operatingSystem", "linux").member("architecture", "amd64");
  w.key("providerConfigRef").beginObject().member("name", "aws").endObject().endObject();
  events::VersionSyncRequested data{1, w.take(), 1, events::SyncReason::New};
  auto r = run(events::makeEnvelope(data, events::EnvelopeMeta{"req-p", kKey, "", "", 0}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_EQ(failed.reason, "provider sync is not implemented yet");
  EXPECT_FALSE(failed.retryable);
  EXPECT_TRUE(source_.requests().empty());
}

TEST_F(VersionSyncTest, InvalidSpecIsATerminalFailureNamingTheField) {
  TestVersion v;
  v.file_format = "rar";
  auto r = run(request(v));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_FALSE(failed.retryable);
  EXPECT_NE(failed.reason.find("fileFormat"), std::string::npos) << failed.reason;
  EXPECT_TRUE(source_.requests().empty());
}

TEST_F(VersionSyncTest, StorageDirectoryOutsideTheRootIsRefused) {
  TestVersion v;
  v.directory = "/etc";
  auto r = run(request(v));
  ASSERT_TRUE(r.ok());
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_NE(failed.reason.find("not under the storage root"), std::string::npos) << failed.reason;
  EXPECT_TRUE(source_.requests().empty());
}

TEST_F(VersionSyncTest, UndecodableRequestIsAnErrorForTheConsumerToPark) {
  events::Envelope bad{std::string(events::type::kVersionSyncRequested), 1, "req-x", kKey, "", "", 0,
                       "{\"generation\":\"one\"}"};
  auto r = run(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
  EXPECT_FALSE(r.error().retryable());
}

TEST_F(VersionSyncTest, OtherWorkTypesAreAcknowledgedWithoutResults) {
  events::Envelope poll{std::string(events::type::kDepotPollRequested), 1, "poll-1", "Depot/ns/d", "", "", 0, "{}"};
  auto r = run(poll);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(handler_->metrics().ignored, 1u);
}

TEST_F(VersionSyncTest, AFailingScheduleIsReturnedToTheConsumerAsRetryable) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Unavailable, "GitHub answered 500"));
  log_.failNext(1, core::Errc::Unavailable, fakes::FakeEventLog::Op::Schedule);
  auto r = run(request(v));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable());
  EXPECT_TRUE(log_.due().empty());
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(VersionSyncTest, DroppingTheHandleStopsTheRequestAndRemovesItsFiles) {
  TestVersion v;
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  bool called = false;
  {
    auto handle = handler_->handle(request(v), core::StreamEntry{}, [&](auto) { called = true; });
  }
  EXPECT_EQ(workFiles(), 0u);  // the download the fake wrote at once is gone
  clock_.runReady();
  pool_.shutdown();
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
  EXPECT_FALSE(fs::exists(storedPath("vpc/0190a1b2.zip")));
}

TEST(PrepareWorkDir, RemovesOnlyStaleSyncFiles) {
  const std::string dir = ::testing::TempDir() + "/od-prepare-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(dir, ec);
  ASSERT_TRUE(events::prepareWorkDir(dir, std::chrono::hours(1)).ok());
  const std::string stale = dir + "/" + std::string(events::kSyncTempPrefix) + "aaaa.download";
  const std::string fresh = dir + "/" + std::string(events::kSyncTempPrefix) + "bbbb.pkg";
  const std::string other = dir + "/keep.txt";
  for (const auto& p : {stale, fresh, other}) {
    std::ofstream(p) << "x";
  }
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(3));
  fs::last_write_time(other, fs::file_time_type::clock::now() - std::chrono::hours(3));
  auto removed = events::prepareWorkDir(dir, std::chrono::hours(1));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(other));
  std::ofstream(dir + "/file") << "x";
  EXPECT_EQ(events::prepareWorkDir(dir + "/file/sub", std::chrono::hours(1)).error().code, core::Errc::Unavailable);
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace od::tests
