// DepotController specs: Given a Depot in the (fake) cluster and ReleasesDiscovered facts as
// a worker would append them / When the controller runs / Then the poll requests (now and in
// the due set), the Modules and Providers, and the Depot's status.
#include "events/reconcile/depot_controller.h"

#include "events/streams.h"
#include "tests/events/reconcile/reconcile_fixture.h"

namespace od::events::testing {
namespace {

using Op = fakes::FakeResourceStore::Op;

json depotManifest(std::optional<int> interval_minutes) {
  json d = {
      {"apiVersion", "opendepot.defdev.io/v1alpha1"},
      {"kind", "Depot"},
      {"metadata", {{"name", "team-depot"}, {"namespace", "ns"}}},
      {"spec",
       {{"global",
         {{"moduleConfig", {{"fileFormat", "zip"}, {"immutable", true}}},
          {"storageConfig", {{"fileSystem", {{"directoryPath", "/data/modules"}}}}}}},
        {"moduleConfigs",
         json::array({{{"name", "eks"},
                       {"provider", "aws"},
                       {"repoOwner", "acme"},
                       {"versionConstraints", ">= 2.0.0"}},
                      {{"name", "aks"},
                       {"provider", "azurerm"},
                       {"repoOwner", "azure"},
                       {"versionConstraints", "~> nope"}}})},
        {"providerConfigs",
         json::array({{{"name", "aws"},
                       {"operatingSystems", {"linux"}},
                       {"architectures", {"amd64", "arm64"}},
                       {"versionConstraints", ">= 5.80.0"}}})}}}};
  if (interval_minutes) {
    d["spec"]["pollingIntervalMinutes"] = *interval_minutes;
  }
  return d;
}

class DepotSpec : public ReconcileWorld {
 protected:
  DepotControllerConfig config() const {
    DepotControllerConfig c;
    c.debounce = std::chrono::milliseconds(0);
    c.resync_interval = std::chrono::milliseconds(0);
    c.retry_backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.0};
    c.read_batch = 8;
    c.read_block = std::chrono::milliseconds(1000);
    c.poll_grace = std::chrono::minutes(15);
    return c;
  }
  std::unique_ptr<DepotController> start() {
    auto c = std::make_unique<DepotController>(runtime(), store, config());
    c->start();
    settle();
    return c;
  }
  std::vector<DepotPollRequested> polls() const {
    std::vector<DepotPollRequested> out;
    for (const auto& e : events(streams::kWork, type::kDepotPollRequested)) {
      out.push_back(*decodeAs<DepotPollRequested>(e));
    }
    return out;
  }
  // Answers the newest poll request as a worker would.
  void answer(std::vector<DiscoveredReleases> entries, std::optional<int64_t> retry_at = {}) {
    auto requests = events(streams::kWork, type::kDepotPollRequested);
    ASSERT_FALSE(requests.empty());
    const Envelope& req = requests.back();
    ReleasesDiscovered fact{decodeAs<DepotPollRequested>(req)->generation, 1, std::move(entries),
                            retry_at};
    EnvelopeMeta meta{"answer-" + req.id, req.key, req.corr, req.id,
                      core::unixMillis(clock.now())};
    log.addNow(toAppendRecord(streams::kFacts, makeEnvelope(fact, meta)));
    settle();
  }
  static std::vector<DiscoveredReleases> good() {
    return {{"Module", "eks", 4, {"2.1.0", "2.0.0"}, std::nullopt, false},
            {"Provider", "aws", 3, {"5.81.0", "5.80.0"}, std::nullopt, false}};
  }
  json depot() const { return store.object("Depot", "ns", "team-depot"); }
  std::vector<std::string> moduleVersions(const std::string& name) const {
    std::vector<std::string> out;
    const json module = store.object("Module", "ns", name);
    for (const auto& v : module["spec"]["versions"]) {
      out.push_back(v["version"]);
    }
    return out;
  }
};

TEST_F(DepotSpec, ObservedDepotIsPolledOnceAndItsAnswerApplied) {
  store.putNow(depotManifest(std::nullopt));
  auto controller = start();
  ASSERT_TRUE(controller->ready());
  auto requested = polls();
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(requested[0].reason, "observed");
  EXPECT_EQ(requested[0].generation, 1);
  EXPECT_NE(requested[0].spec.find("moduleConfigs"), std::string::npos);
  EXPECT_EQ(depot()["status"]["conditions"][0]["status"], "False");  // aks is invalid already
  EXPECT_TRUE(store.object("Module", "ns", "eks").is_null());

  answer(good());
  json eks = store.object("Module", "ns", "eks");
  ASSERT_FALSE(eks.is_null());
  EXPECT_EQ(moduleVersions("eks"), (std::vector<std::string>{"2.1.0", "2.0.0"}));
  EXPECT_EQ(eks["spec"]["moduleConfig"]["fileFormat"], "zip");
  EXPECT_EQ(eks["spec"]["moduleConfig"]["immutable"], true);
  EXPECT_EQ(eks["spec"]["moduleConfig"]["repoUrl"], "https://github.com/acme/eks");
  EXPECT_FALSE(eks["metadata"].contains("ownerReferences"));
  json aws = store.object("Provider", "ns", "aws");
  ASSERT_FALSE(aws.is_null());
  EXPECT_EQ(aws["spec"]["providerConfig"]["architectures"].size(), 2u);
  EXPECT_TRUE(store.object("Module", "ns", "aks").is_null());  // its constraint is invalid
  json status = depot()["status"];
  EXPECT_EQ(status["modules"], json::array({"eks"}));
  EXPECT_EQ(status["providers"], json::array({"aws"}));
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  EXPECT_NE(status["conditions"][0]["message"].get<std::string>().find(
                "spec.moduleConfigs[1].versionConstraints"),
            std::string::npos);
  // No polling interval: nothing scheduled, nothing requested again.
  EXPECT_TRUE(log.due().empty());
  EXPECT_EQ(polls().size(), 1u);

  // A restart replays the streams and writes nothing new.
  const size_t writes = store.count(Op::Create) + store.count(Op::Patch) +
                        store.count(Op::PatchStatus);
  controller.reset();
  auto again = start();
  EXPECT_EQ(polls().size(), 1u);
  EXPECT_EQ(store.count(Op::Create) + store.count(Op::Patch) + store.count(Op::PatchStatus),
            writes);
}

TEST_F(DepotSpec, IntervalSchedulesTheNextPollAndANewReleaseIsPatchedIn) {
  store.putNow(depotManifest(60));
  auto controller = start();
  answer(good());
  auto due = log.due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].due_at, clock.now() + std::chrono::minutes(60));
  EXPECT_EQ(due[0].record.stream, streams::kWork);

  // The due poll is released (as the Scheduler does) and answered with a new release.
  clock.advance(std::chrono::minutes(60));
  std::optional<core::Result<size_t>> released;
  auto h = log.releaseDue(clock.now(), 10, [&](auto r) { released = std::move(r); });
  settle();
  ASSERT_TRUE(released && released->ok());
  ASSERT_EQ(polls().size(), 2u);
  EXPECT_EQ(polls()[1].reason, "interval");
  const size_t patches = store.count(Op::Patch);
  auto newer = good();
  newer[0].kept.insert(newer[0].kept.begin(), "2.2.0");
  answer(newer);
  EXPECT_EQ(store.count(Op::Patch), patches + 1);
  EXPECT_EQ(moduleVersions("eks"), (std::vector<std::string>{"2.2.0", "2.1.0", "2.0.0"}));
  ASSERT_EQ(log.due().size(), 1u);  // the next one
  EXPECT_EQ(log.due()[0].due_at, clock.now() + std::chrono::minutes(60));
}

TEST_F(DepotSpec, FailedUpstreamLeavesChildrenAndSaysWhy) {
  store.putNow(depotManifest(std::nullopt));
  auto controller = start();
  answer(good());
  const json before = store.object("Module", "ns", "eks");
  // The Depot changes (a new generation): a new poll, answered with garbage for eks.
  json spec_patch = {{"spec", {{"pollingIntervalMinutes", 0}}}};
  std::optional<core::Result<std::string>> patched;
  auto h = store.patch(core::ResourceRef{"Depot", "ns", "team-depot"}, core::PatchType::Merge,
                       spec_patch.dump(), [&](auto r) { patched = std::move(r); });
  settle();
  ASSERT_EQ(polls().size(), 2u);
  EXPECT_EQ(polls()[1].generation, 2);
  answer({{"Module", "eks", 0, {}, "listing failed: HTML, not JSON", false},
          {"Provider", "aws", 0, {}, "listing failed: upstream answered 500", true}});
  EXPECT_EQ(store.object("Module", "ns", "eks")["spec"], before["spec"]);
  EXPECT_EQ(moduleVersions("eks"), (std::vector<std::string>{"2.1.0", "2.0.0"}));
  json status = depot()["status"];
  EXPECT_EQ(status["modules"], json::array({"eks"}));  // still listed
  EXPECT_EQ(status["observedGeneration"], 2);
  const std::string message = status["conditions"][1]["message"];
  EXPECT_NE(message.find("HTML, not JSON (left as it was)"), std::string::npos) << message;
  EXPECT_NE(message.find("upstream answered 500"), std::string::npos) << message;
}

TEST_F(DepotSpec, AnEditedChildIsPutBack) {
  store.putNow(depotManifest(std::nullopt));
  auto controller = start();
  answer(good());
  std::optional<core::Result<std::string>> patched;
  auto h = store.patch(core::ResourceRef{"Module", "ns", "eks"}, core::PatchType::Merge,
                       R"({"spec":{"versions":[{"version":"9.9.9"}]}})",
                       [&](auto r) { patched = std::move(r); });
  settle();
  EXPECT_EQ(moduleVersions("eks"), (std::vector<std::string>{"2.1.0", "2.0.0"}));
}

TEST_F(DepotSpec, DeletingTheDepotKeepsItsChildren) {
  store.putNow(depotManifest(std::nullopt));
  auto controller = start();
  answer(good());
  std::optional<core::Status> removed;
  auto h = store.remove(core::ResourceRef{"Depot", "ns", "team-depot"}, {},
                        [&](core::Status st) { removed = std::move(st); });
  settle();
  ASSERT_TRUE(removed && removed->ok());
  EXPECT_TRUE(depot().is_null());
  EXPECT_FALSE(store.object("Module", "ns", "eks").is_null());
  EXPECT_FALSE(store.object("Provider", "ns", "aws").is_null());
  EXPECT_EQ(store.count(Op::Remove), 1u);
}

TEST_F(DepotSpec, RetryableConflictsAreRetried) {
  store.putNow(depotManifest(std::nullopt));
  auto controller = start();
  store.failNext(1, core::Errc::Unavailable, Op::Create);
  answer(good());
  EXPECT_TRUE(store.object("Module", "ns", "eks").is_null());
  clock.advance(std::chrono::seconds(2));
  EXPECT_FALSE(store.object("Module", "ns", "eks").is_null());
  EXPECT_FALSE(store.object("Provider", "ns", "aws").is_null());
  EXPECT_GE(controller->metrics().write_errors, 1u);
}

TEST_F(DepotSpec, TwoDepotsNamingOneModuleDoNotFight) {
  store.putNow(depotManifest(std::nullopt));
  json other = depotManifest(std::nullopt);
  other["metadata"]["name"] = "z-depot";
  store.putNow(other);
  auto controller = start();
  ASSERT_EQ(polls().size(), 2u);
  // Each Depot's poll answered; z-depot's with other versions.
  auto requests = events(streams::kWork, type::kDepotPollRequested);
  for (const auto& req : requests) {
    auto entries = good();
    if (req.key == "Depot/ns/z-depot") {
      entries[0].kept = {"9.0.0"};
    }
    ReleasesDiscovered fact{1, 1, entries, std::nullopt};
    log.addNow(toAppendRecord(streams::kFacts,
                              makeEnvelope(fact, EnvelopeMeta{"a-" + req.id, req.key, req.corr,
                                                              req.id, 1})));
  }
  settle();
  EXPECT_EQ(moduleVersions("eks"), (std::vector<std::string>{"2.1.0", "2.0.0"}));
  EXPECT_EQ(store.count(Op::Patch), 0u);
  json z = store.object("Depot", "ns", "z-depot");
  EXPECT_FALSE(z["status"].contains("modules"));  // eks is the other Depot's
  EXPECT_NE(z["status"]["conditions"][0]["message"].get<std::string>().find(
                "Depot team-depot manages it already"),
            std::string::npos);
}

TEST(DepotDecidePoll, RequestsRetriesAndStaleness) {
  using std::chrono::minutes;
  DepotPollHistory h;
  auto first = decidePoll(h, "Depot/ns/d", "u", 1, 0, 1000, minutes(1), minutes(15));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->reason, "observed");
  EXPECT_FALSE(first->due_ms);
  h.request = DepotPollHistory::Request{"u", 1, "r1", 1000};
  EXPECT_FALSE(decidePoll(h, "Depot/ns/d", "u", 1, 5, 2000, minutes(1), minutes(15)));
  auto stale = decidePoll(h, "Depot/ns/d", "u", 1, 5, 1000 + 16 * 60000, minutes(1), minutes(15));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->reason, "stale");
  h.answer = DepotPollHistory::Answer{"u", 1, "a1", "r1", 3000, std::nullopt, {}};
  auto next = decidePoll(h, "Depot/ns/d", "u", 1, 5, 4000, minutes(1), minutes(15));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->reason, "interval");
  EXPECT_EQ(next->due_ms, 3000 + 5 * 60000);
  EXPECT_FALSE(decidePoll(h, "Depot/ns/d", "u", 1, 0, 4000, minutes(1), minutes(15)));
  h.answer->next_attempt_at = 10000;  // the worker scheduled a retry: no interval poll
  EXPECT_FALSE(decidePoll(h, "Depot/ns/d", "u", 1, 5, 4000, minutes(1), minutes(15)));
  // A new object under the same name, or a new generation, is polled at once.
  EXPECT_EQ(decidePoll(h, "Depot/ns/d", "u2", 1, 5, 4000, minutes(1), minutes(15))->reason,
            "observed");
  EXPECT_EQ(decidePoll(h, "Depot/ns/d", "u", 2, 5, 4000, minutes(1), minutes(15))->reason,
            "observed");
}

}  // namespace
}  // namespace od::events::testing
