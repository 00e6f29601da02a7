#pragma once
// The version sync worker's test rig: FakeEventLog + FakeClock for the log and time, the
// FakeModuleSource, the real ArchivePackager on a real pool and loop, and the real
// FsObjectStore in a temp dir. drive() alternates the fake clock and the real loop.

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/archive/packager.h"
#include "adapters/crypto/openssl_hasher.h"
#include "adapters/exec/worker_pool.h"
#include "adapters/loop/event_loop.h"
#include "adapters/storage/fs/fs_object_store.h"
#include "core/json_writer.h"
#include "events/codec.h"
#include "events/worker/version_sync.h"
#include "tests/adapters/archive/archive_builder.h"
#include "tests/events/worker/fake_module_source.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"

namespace od::tests {

class CountingRandom final : public core::Random {
 public:
  uint64_t next() override { return ++n_ * 0x9E3779B97F4A7C15ull; }

 private:
  uint64_t n_ = 0;
};

// What a test Version looks like; spec() renders it as the reconciler would.
struct TestVersion {
  std::string type = "Module";
  std::string version = "1.2.3";
  std::string file_name = "0190a1b2.zip";
  std::string config_name = "vpc";
  std::string repo_owner = "acme";
  std::string file_format = "zip";
  std::optional<std::string> repo_url;
  std::optional<bool> immutable;
  bool authenticated = false;
  std::string directory;  // fileSystem.directoryPath; empty: none

  std::string spec() const;
};

class WorkerTest : public ::testing::Test {
 public:
  static constexpr const char* kKey = "Version/team-a/vpc-1-2-3";

  WorkerTest();
  ~WorkerTest() override;

  // A VersionSyncRequested envelope for `v`.
  events::Envelope request(const TestVersion& v, int64_t generation = 1, int64_t attempt = 1,
                   const std::string& id = "req-1") const;
  // Runs the handler on `event` until it calls back.
  core::Result<std::vector<core::AppendRecord>> run(const events::Envelope& event);
  // Runs the fake clock and the real loop until `done()` (20 s of real time at most).
  bool drive(const std::function<bool()>& done);

  // A GitHub-shaped archive ("acme-vpc-<sha>/" wrapper) with `main_tf` as main.tf.
  std::string githubArchive(const std::string& name, adapters::archive::testing::Container container,
                            const std::string& main_tf);
  std::string storedPath(const std::string& key) const { return storage_root_ + "/" + key; }
  std::string readFile(const std::string& path) const { return adapters::archive::testing::readFile(path); }
  std::vector<std::string> namesIn(const std::string& archive) const;
  size_t workFiles() const;  // files left in work_dir and the extraction parent

  events::VersionSyncConfig config() const;
  void makeHandler(events::VersionSyncConfig config);

  std::string dir_;
  std::string work_dir_;
  std::string storage_root_;
  std::string sources_dir_;
  fakes::FakeClock clock_;
  fakes::FakeEventLog log_{clock_};
  CountingRandom random_;
  spdlog::logger logger_{"worker-test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  adapters::loop::EventLoop loop_;
  adapters::exec::WorkerPool pool_{loop_, adapters::exec::WorkerPoolOptions{2, 32}};
  adapters::crypto::OpenSslHasher hasher_;
  FakeModuleSource source_{clock_, hasher_};
  std::unique_ptr<adapters::archive::ArchivePackager> packager_;
  std::unique_ptr<adapters::storage::FsObjectStore> store_;
  std::unique_ptr<events::VersionSyncHandler> handler_;
};

// Decoders for the records a handler returned.
template <typename T>
T factAs(const core::AppendRecord& record) {
  auto envelope = events::decodeEnvelope(record.fields);
  EXPECT_TRUE(envelope.ok());
  auto data = events::decodeAs<T>(*envelope);
  EXPECT_TRUE(data.ok()) << (data.ok() ? "" : data.error().message);
  return data.ok() ? *data : T{};
}
std::string typeOf(const core::AppendRecord& record);

}  // namespace od::tests
