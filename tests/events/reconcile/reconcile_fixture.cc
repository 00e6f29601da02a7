#include "tests/events/reconcile/reconcile_fixture.h"

#include <set>

#include "events/streams.h"

namespace od::events::testing {

ModuleControllerConfig ReconcileWorld::controllerConfig() const {
  ModuleControllerConfig c;
  c.storage_root = "/data";
  c.debounce = std::chrono::milliseconds(0);
  c.max_writes_in_flight = 2;
  c.resync_interval = std::chrono::milliseconds(0);
  c.retry_backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.0};
  c.read_batch = 8;
  c.read_block = std::chrono::milliseconds(1000);
  return c;
}

StatusWriterConfig ReconcileWorld::statusConfig() const {
  StatusWriterConfig c;
  c.debounce = std::chrono::milliseconds(0);
  c.max_writes_in_flight = 2;
  c.retry_backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.0};
  c.read_batch = 8;
  c.read_block = std::chrono::milliseconds(1000);
  return c;
}

std::unique_ptr<ModuleController> ReconcileWorld::startController() {
  auto c = std::make_unique<ModuleController>(runtime(), store, &objects, controllerConfig());
  c->start();
  settle();
  return c;
}

std::unique_ptr<StatusWriter> ReconcileWorld::startStatusWriter() {
  auto w = std::make_unique<StatusWriter>(runtime(), store, statusConfig());
  w->start();
  settle();
  return w;
}

json ReconcileWorld::moduleManifest(const std::string& name,
                                    const std::vector<std::string>& versions, const json& extra) {
  json config = {{"name", name},
                 {"provider", "aws"},
                 {"repoOwner", "acme"},
                 {"fileFormat", "zip"},
                 {"storageConfig", {{"fileSystem", {{"directoryPath", "/data/modules"}}}}}};
  config.merge_patch(extra);
  json list = json::array();
  for (const auto& v : versions) {
    list.push_back({{"version", v}});
  }
  return {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
          {"kind", "Module"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"spec", {{"moduleConfig", config}, {"versions", list}}}};
}

void ReconcileWorld::patchModuleSpec(const std::string& name, const json& spec_patch) {
  bool done = false;
  auto h = store.patch({"Module", "ns", name}, core::PatchType::Merge,
                       json{{"spec", spec_patch}}.dump(),
                       [&](core::Result<std::string> r) { done = r.ok(); });
  clock.runReady();
  ASSERT_TRUE(done);
}

void ReconcileWorld::patchVersionSpec(const std::string& name, const json& spec_patch) {
  bool done = false;
  auto h = store.patch({"Version", "ns", name}, core::PatchType::Merge,
                       json{{"spec", spec_patch}}.dump(),
                       [&](core::Result<std::string> r) { done = r.ok(); });
  clock.runReady();
  ASSERT_TRUE(done);
}

std::vector<Envelope> ReconcileWorld::events(std::string_view stream,
                                             std::string_view type) const {
  std::vector<Envelope> out;
  for (const auto& entry : log.entries(std::string(stream))) {
    auto e = decodeEnvelope(entry.fields);
    if (e.ok() && e->type == type) {
      out.push_back(std::move(e).value());
    }
  }
  return out;
}

std::vector<VersionSyncRequested> ReconcileWorld::syncRequests() const {
  std::vector<VersionSyncRequested> out;
  for (const auto& e : events(streams::kWork, type::kVersionSyncRequested)) {
    auto d = decodeAs<VersionSyncRequested>(e);
    EXPECT_TRUE(d.ok());
    if (d.ok()) {
      out.push_back(std::move(d).value());
    }
  }
  return out;
}

void ReconcileWorld::appendSynced(const std::string& name, int64_t generation, int64_t attempt,
                                  const std::string& salt) {
  const std::string key = "Version/ns/" + name;
  const std::string file = version(name)["spec"].value("fileName", "f.zip");
  VersionSynced d{generation, file, "c2hhMjU2LW9mLXRoZS1hcnRpZmFjdA==", 4096, attempt, std::nullopt};
  EnvelopeMeta meta{eventId({"synced", key, std::to_string(generation), std::to_string(attempt),
                             salt}),
                    key, "", "", core::unixMillis(clock.now())};
  log.addNow(toAppendRecord(streams::kFacts, makeEnvelope(d, std::move(meta))));
}

void ReconcileWorld::appendFailed(const std::string& name, int64_t generation,
                                  const std::string& reason, bool retryable, int64_t attempt) {
  const std::string key = "Version/ns/" + name;
  VersionSyncFailed d{generation, reason, retryable, attempt, std::nullopt};
  if (retryable) {
    d.next_attempt_at = core::unixMillis(clock.now()) + 60000;
  }
  EnvelopeMeta meta{eventId({"failed", key, std::to_string(generation), std::to_string(attempt)}),
                    key, "", "", core::unixMillis(clock.now())};
  log.addNow(toAppendRecord(streams::kFacts, makeEnvelope(d, std::move(meta))));
}

void ReconcileWorld::answerAllRequests() {
  std::set<std::string> answered;
  for (const auto& e : events(streams::kWork, type::kVersionSyncRequested)) {
    auto d = decodeAs<VersionSyncRequested>(e);
    ASSERT_TRUE(d.ok());
    const std::string name = e.key.substr(e.key.rfind('/') + 1);
    const std::string id = e.key + "#" + std::to_string(d->generation) + "#" +
                           std::to_string(d->attempt);
    if (answered.insert(id).second) {
      appendSynced(name, d->generation, d->attempt);
    }
  }
}

}  // namespace od::events::testing
