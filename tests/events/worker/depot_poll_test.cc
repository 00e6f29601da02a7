// DepotPollHandler: Given a DepotPollRequested, When the upstreams answer (or fail), Then one
// ReleasesDiscovered fact with the kept versions per entry, and a retry poll in the due set
// when a failure may pass. Fakes: FakeEventLog/FakeClock and an in-memory listing source.
#include "events/worker/depot_poll.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <map>
#include <memory>

#include "events/codec.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::events {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Both listing ports, from maps; an entry in `errors` fails that listing. Completions are
// posted on the clock, never run inside the call (as the real sources).
class ListingSource final : public core::ModuleSource, public core::ProviderSource {
 public:
  template <typename T>
  using Callback = std::function<void(core::Result<T>)>;
  explicit ListingSource(core::Clock& clock) : clock_(clock) {}
  std::map<std::string, std::vector<core::Release>> releases;  // "owner/repo"
  std::map<std::string, std::vector<std::string>> versions;    // "ns/type"
  std::map<std::string, core::Error> errors;                   // either key
  std::vector<std::string> calls;
  std::vector<core::GithubAuth> auths;

  core::CancelablePtr fetch(core::ModuleFetch, Callback<core::FetchedFile> done) override {
    done(core::makeError(core::Errc::Internal, "not used"));
    return core::completedHandle();
  }
  core::CancelablePtr listReleases(std::string owner, std::string repo, core::GithubAuth auth,
                                   Callback<std::vector<core::Release>> done) override {
    const std::string key = owner + "/" + repo;
    calls.push_back("releases " + key);
    auths.push_back(auth);
    auto result = errors.count(key) ? core::Result<std::vector<core::Release>>(errors.at(key))
                                    : core::Result<std::vector<core::Release>>(releases[key]);
    return clock_.after(std::chrono::milliseconds(0),
                        [done = std::move(done), result]() mutable { done(std::move(result)); });
  }
  core::CancelablePtr listVersions(core::ProviderAddress a,
                                   Callback<std::vector<std::string>> done) override {
    const std::string key = a.name_space + "/" + a.type;
    calls.push_back("versions " + key);
    auto result = errors.count(key) ? core::Result<std::vector<std::string>>(errors.at(key))
                                    : core::Result<std::vector<std::string>>(versions[key]);
    return clock_.after(std::chrono::milliseconds(0),
                        [done = std::move(done), result]() mutable { done(std::move(result)); });
  }
  core::CancelablePtr resolve(core::ProviderAddress, std::string, std::string, std::string,
                              Callback<core::ProviderPackage> done) override {
    done(core::makeError(core::Errc::Internal, "not used"));
    return core::completedHandle();
  }
  core::CancelablePtr download(std::string, std::string, Callback<core::FetchedFile> done) override {
    done(core::makeError(core::Errc::Internal, "not used"));
    return core::completedHandle();
  }
  core::CancelablePtr fetchSmall(std::string, size_t, Callback<std::string> done) override {
    done(core::makeError(core::Errc::Internal, "not used"));
    return core::completedHandle();
  }

 private:
  core::Clock& clock_;
};

class StepRandom final : public core::Random {
 public:
  uint64_t next() override { return 0; }  // no jitter taken off
};

constexpr const char* kSpec = R"({
  "global": {"githubClientConfig": {"useAuthenticatedClient": true},
             "moduleConfig": {"fileFormat": "zip"},
             "storageConfig": {"fileSystem": {"directoryPath": "/data/m"}}},
  "moduleConfigs": [
    {"name": "eks", "provider": "aws", "repoOwner": "acme", "versionConstraints": ">= 2.0.0, != 2.1.0"},
    {"name": "aks", "provider": "azurerm", "repoOwner": "azure", "versionConstraints": "~> banana"}],
  "providerConfigs": [
    {"name": "aws", "operatingSystems": ["linux"], "architectures": ["amd64"],
     "versionConstraints": "~> 5.80", "versionHistoryLimit": 2}]})";

class DepotPollTest : public ::testing::Test {
 protected:
  DepotPollTest()
      : logger_("test", std::make_shared<spdlog::sinks::null_sink_mt>()),
        log_(clock_),
        source_(clock_),
        handler_(Runtime{log_, clock_, random_, logger_}, source_, source_, DepotPollConfig{}) {
    source_.releases["acme/eks"] = {{"v1.9.0", false, false}, {"v2.0.0", false, false},
                                    {"v2.1.0", false, false}, {"v2.2.0", false, false},
                                    {"v3.0.0", true, false},  // a draft
                                    {"nightly", false, true}};
    source_.versions["hashicorp/aws"] = {"5.79.0", "5.80.0", "5.81.0", "5.82.1", "6.0.0"};
  }

  Envelope request(int64_t attempt = 1, const std::string& spec = kSpec) {
    return makeEnvelope(DepotPollRequested{7, attempt, "observed", spec},
                        EnvelopeMeta{"poll-" + std::to_string(attempt), "Depot/team/d", "uid-d",
                                     "", 1});
  }

  core::Result<std::vector<core::AppendRecord>> run(const Envelope& e) {
    std::optional<core::Result<std::vector<core::AppendRecord>>> out;
    auto handle = handler_.handle(e, core::StreamEntry{}, [&](auto r) { out = std::move(r); });
    for (int i = 0; i < 100 && !out; ++i) {
      clock_.runReady();
    }
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : core::makeError(core::Errc::Internal, "no answer");
  }

  static ReleasesDiscovered factOf(const core::AppendRecord& record) {
    std::map<std::string, std::string> f(record.fields.begin(), record.fields.end());
    auto e = decodeData(f["data"], std::type_identity<ReleasesDiscovered>{});
    EXPECT_TRUE(e.ok()) << e.error().describe();
    return e.ok() ? *e : ReleasesDiscovered{};
  }

  fakes::FakeClock clock_;
  StepRandom random_;
  spdlog::logger logger_;
  fakes::FakeEventLog log_;
  ListingSource source_;
  DepotPollHandler handler_;
};

TEST_F(DepotPollTest, ListsEveryEntryAndKeepsWhatTheConstraintsAllow) {
  auto records = run(request());
  ASSERT_TRUE(records.ok()) << records.error().describe();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].stream, streams::kFacts);
  ReleasesDiscovered fact = factOf((*records)[0]);
  EXPECT_EQ(fact.generation, 7);
  ASSERT_EQ(fact.entries.size(), 3u);
  EXPECT_EQ(fact.entries[0].name, "aks");  // not polled: its constraint does not parse
  EXPECT_THAT(*fact.entries[0].error, HasSubstr("versionConstraints"));
  EXPECT_FALSE(fact.entries[0].retryable);
  EXPECT_EQ(fact.entries[1].name, "eks");
  EXPECT_EQ(fact.entries[1].found, 5);  // the draft is not counted
  EXPECT_THAT(fact.entries[1].kept, ElementsAre("2.2.0", "2.0.0"));
  EXPECT_EQ(fact.entries[2].kind, "Provider");
  EXPECT_THAT(fact.entries[2].kept, ElementsAre("5.82.1", "5.81.0"));  // limit 2
  EXPECT_FALSE(fact.next_attempt_at);
  EXPECT_THAT(source_.calls, ElementsAre("releases acme/eks", "versions hashicorp/aws"));
  ASSERT_EQ(source_.auths.size(), 1u);
  EXPECT_TRUE(source_.auths[0].use_app);  // inherited from spec.global
  EXPECT_EQ(source_.auths[0].name_space, "team");
  EXPECT_TRUE(log_.due().empty());
}

TEST_F(DepotPollTest, FactIdIsDeterministic) {
  auto a = run(request());
  auto b = run(request());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)[0].dedupe_id, (*b)[0].dedupe_id);
}

TEST_F(DepotPollTest, RetryableFailureSchedulesARetryAndKeepsOtherEntries) {
  source_.errors["hashicorp/aws"] = core::makeError(core::Errc::Unavailable, "upstream 500");
  auto records = run(request());
  ASSERT_TRUE(records.ok());
  ReleasesDiscovered fact = factOf((*records)[0]);
  EXPECT_THAT(fact.entries[1].kept, ElementsAre("2.2.0", "2.0.0"));
  ASSERT_TRUE(fact.entries[2].error);
  EXPECT_THAT(*fact.entries[2].error, HasSubstr("upstream 500"));
  EXPECT_TRUE(fact.entries[2].retryable);
  EXPECT_TRUE(fact.entries[2].kept.empty());
  auto due = log_.due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.stream, streams::kWork);
  EXPECT_EQ(due[0].due_at, clock_.now() + std::chrono::seconds(10));
  ASSERT_TRUE(fact.next_attempt_at);
  EXPECT_EQ(*fact.next_attempt_at, core::unixMillis(due[0].due_at));
  std::map<std::string, std::string> f(due[0].record.fields.begin(), due[0].record.fields.end());
  auto retry = decodeData(f["data"], std::type_identity<DepotPollRequested>{});
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->attempt, 2);
  EXPECT_EQ(retry->reason, "retry");
  EXPECT_EQ(retry->generation, 7);
}

TEST_F(DepotPollTest, NoRetryAfterTheLastAttemptOrForTerminalErrors) {
  source_.errors["hashicorp/aws"] = core::makeError(core::Errc::Unavailable, "upstream 500");
  auto last = run(request(5));
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(factOf((*last)[0]).next_attempt_at);
  source_.errors["hashicorp/aws"] = core::makeError(core::Errc::Corrupt, "HTML, not JSON");
  auto garbage = run(request(1));
  ASSERT_TRUE(garbage.ok());
  EXPECT_FALSE(factOf((*garbage)[0]).entries[2].retryable);
  EXPECT_TRUE(log_.due().empty());
}

TEST_F(DepotPollTest, FailedScheduleIsAnErrorForTheConsumer) {
  source_.errors["acme/eks"] = core::makeError(core::Errc::Timeout, "slow");
  log_.failNext(1, core::Errc::Unavailable, fakes::FakeEventLog::Op::Schedule);
  auto r = run(request());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable());
}

TEST_F(DepotPollTest, CorruptRequestIsRefused) {
  Envelope bad = request();
  bad.data = R"({"generation":"seven"})";
  auto r = run(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
  Envelope wrong_key = request();
  wrong_key.key = "Module/team/d";
  EXPECT_FALSE(run(wrong_key).ok());
  EXPECT_TRUE(source_.calls.empty());
}

TEST_F(DepotPollTest, InvalidDepotPollsNothing) {
  auto r = run(request(1, R"({"moduleConfigs":[{"name":"eks","repoOwner":"acme",
                              "fileFormat":"zip","versionConstraints":">= 1.0"}]})"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(factOf((*r)[0]).entries.empty());  // spec.global.storageConfig is missing
  EXPECT_TRUE(source_.calls.empty());
}

TEST_F(DepotPollTest, AnAnswerTooLargeForOneEventBecomesErrors) {
  auto& many = source_.versions["hashicorp/aws"];
  many.clear();
  for (int i = 0; i < 120000; ++i) {
    many.push_back("5.80." + std::to_string(i));
  }
  auto r = run(request(1, R"({
    "global": {"storageConfig": {"fileSystem": {"directoryPath": "/data/m"}}},
    "providerConfigs": [{"name": "aws", "operatingSystems": ["linux"],
                         "architectures": ["amd64"], "versionConstraints": ">= 5.80.0"}]})"));
  ASSERT_TRUE(r.ok());
  std::map<std::string, std::string> f((*r)[0].fields.begin(), (*r)[0].fields.end());
  EXPECT_LE(f["data"].size(), kMaxDataBytes);
  ReleasesDiscovered fact = factOf((*r)[0]);
  ASSERT_EQ(fact.entries.size(), 1u);
  EXPECT_TRUE(fact.entries[0].kept.empty());
  ASSERT_TRUE(fact.entries[0].error);
  EXPECT_THAT(*fact.entries[0].error, HasSubstr("versionHistoryLimit"));
  EXPECT_EQ(fact.entries[0].found, 120000);
}

TEST_F(DepotPollTest, RouterSendsDepotPollsHereAndTheRestToTheFallback) {
  struct Counting final : Handler {
    int calls = 0;
    core::CancelablePtr handle(const Envelope&, const core::StreamEntry&, Done done) override {
      ++calls;
      done(std::vector<core::AppendRecord>{});
      return core::completedHandle();
    }
  } fallback;
  WorkRouter router(fallback);
  router.route(std::string(type::kDepotPollRequested), handler_);
  Envelope other = request();
  other.type = std::string(type::kVersionSyncRequested);
  std::optional<core::Result<std::vector<core::AppendRecord>>> out;
  auto h1 = router.handle(other, {}, [&](auto r) { out = std::move(r); });
  EXPECT_EQ(fallback.calls, 1);
  out.reset();
  auto h2 = router.handle(request(), {}, [&](auto r) { out = std::move(r); });
  for (int i = 0; i < 100 && !out; ++i) {
    clock_.runReady();
  }
  ASSERT_TRUE(out && out->ok());
  EXPECT_EQ(fallback.calls, 1);
  EXPECT_EQ((*out)->size(), 1u);
}

}  // namespace
}  // namespace od::events
