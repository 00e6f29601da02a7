#pragma once
// The world of the reconcile and status specs: a FakeEventLog and FakeClock, a
// FakeResourceStore whose changes come back on the resources stream (the fake watch), a
// RecordingObjectStore, and helpers to write manifests and facts and to read the streams.

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/codec.h"
#include "events/reconcile/controller.h"
#include "events/reconcile/status_writer.h"
#include "tests/events/reconcile/fake_resource_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::events::testing {

using nlohmann::json;

// Distinct values, so generated file names differ; repeatable.
class CountingRandom final : public core::Random {
 public:
  uint64_t next() override { return (++n_) * 0x9e3779b97f4a7c15ULL; }

 private:
  uint64_t n_ = 0;
};

class ReconcileWorld : public ::testing::Test {
 protected:
  fakes::FakeClock clock;
  fakes::FakeEventLog log{clock};
  fakes::FakeResourceStore store{clock};
  fakes::RecordingObjectStore objects{clock};
  CountingRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};

  ReconcileWorld() { store.watchInto(&log); }

  Runtime runtime() { return Runtime{log, clock, random, logger}; }
  ModuleControllerConfig controllerConfig() const;
  StatusWriterConfig statusConfig() const;
  std::unique_ptr<ModuleController> startController();
  std::unique_ptr<StatusWriter> startStatusWriter();
  // Runs every ready timer (completions, debounced keys) until nothing is ready.
  void settle() { clock.runReady(); }

  // A Module "ns/<name>" with the given versions (fileFormat zip, fileSystem storage under
  // /data/modules). `extra` is merged into its spec.moduleConfig.
  static json moduleManifest(const std::string& name, const std::vector<std::string>& versions,
                             const json& extra = json::object());
  void patchModuleSpec(const std::string& name, const json& spec_patch);
  void patchVersionSpec(const std::string& name, const json& spec_patch);

  // Decoded entries of a stream, of one type.
  std::vector<Envelope> events(std::string_view stream, std::string_view type) const;
  std::vector<VersionSyncRequested> syncRequests() const;
  // Appends a fact for Version "ns/<name>" as a worker would.
  void appendSynced(const std::string& name, int64_t generation, int64_t attempt = 1,
                    const std::string& salt = "");
  void appendFailed(const std::string& name, int64_t generation, const std::string& reason,
                    bool retryable, int64_t attempt = 1);
  // Answers every sync request not answered yet with VersionSynced.
  void answerAllRequests();

  std::vector<json> versions() const { return store.objects("Version"); }
  json version(const std::string& name) const { return store.object("Version", "ns", name); }
};

}  // namespace od::events::testing
