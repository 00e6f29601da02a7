// Read model build at scale (issue 5: 100,000 module versions in < 5 s and < 300 MB). A plain
// timed binary, not a Google Benchmark: the figures are one wall time and the process's peak
// RSS, and a repeated loop would hide the memory of the first build.
//
//   read_model_bench --fold     envelopes decoded from the stream records and folded straight
//                               into proj::ReadModel, then build()
//   read_model_bench --streams  the same records appended to a real redis-server this binary
//                               starts, then proj::ReadModelFeed reads both streams from "0"
//                               until caughtUp() (its first published snapshot)
//   --modules N (1000)  --versions-per-module K (100)
//
// The records are what production writes: Module and Version objects (full Kubernetes
// documents, labels and owner references as the reconciler creates them) turned into
// ResourceObserved records by adapters/kube's observedRecord(), and one VersionSynced fact
// per Version from events/codec.h. They are generated one module at a time so the generator's
// memory does not inflate the peak RSS. Each mode runs in its own process (bench/
// run_read_model.sh) because ru_maxrss is a per-process high-water mark.
// The last line is the summary, e.g.
//   READMODEL-FOLD versions=100000 modules=1000 fold_s=1.23 build_s=0.45 total_s=1.68 peak_rss_mb=210.3
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "adapters/crypto/system_random.h"
#include "adapters/kube/resource_events.h"
#include "adapters/loop/event_loop.h"
#include "adapters/loop/libev_clock.h"
#include "adapters/valkey/valkey_event_log.h"
#include "core/base64.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/streams.h"
#include "projections/read_model/feed.h"
#include "projections/read_model/read_model.h"
#include "tests/integration/redis_fixture.h"

namespace od::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kTs = 1767225600000;  // 2026-01-01, a fixed event time
constexpr const char* kStorageRoot = "/data";

struct Options {
  enum class Mode { Fold, Streams } mode = Mode::Fold;
  int modules = 1000;
  int versions_per_module = 100;
};

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU time of this thread: the fold runs on one thread, and on a shared machine its CPU
// time says more than the wall time does.
double threadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double peakRssMb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

std::string moduleName(int m) { return "module-" + std::to_string(m); }
std::string moduleUid(int m) { return "0b5e1c2a-0000-4000-8000-" + std::to_string(100000000000 + m); }

// A Module as the API server returns it (what the watch adapter observes).
std::string moduleObject(int m, int versions) {
  std::string list;
  for (int i = 0; i < versions; ++i) {
    list += std::string(i == 0 ? "" : ",") + R"({"version":"1.)" + std::to_string(i) + R"(.0"})";
  }
  return R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Module","metadata":{"name":")" +
         moduleName(m) + R"(","namespace":"team","uid":")" + moduleUid(m) +
         R"(","resourceVersion":")" + std::to_string(1000 + m) +
         R"(","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"moduleConfig":{"provider":"aws","repoOwner":"acme","fileFormat":"zip","storageConfig":{"fileSystem":{"directoryPath":"/data/modules"}}},"versions":[)" +
         list + R"(]},"status":{}})";
}

std::string versionName(int m, int i) { return moduleName(m) + "-1-" + std::to_string(i) + "-0"; }

// A child Version as the reconciler creates it: labels, owner reference, fileName fixed once.
std::string versionObject(int m, int i, const std::string& file_name) {
  const std::string module = moduleName(m);
  const std::string version = "1." + std::to_string(i) + ".0";
  return R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Version","metadata":{"name":")" +
         versionName(m, i) + R"(","namespace":"team","uid":"v-)" + std::to_string(m) + "-" +
         std::to_string(i) + R"(","resourceVersion":")" + std::to_string(200000 + m * 1000 + i) +
         R"(","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"opendepot.defdev.io/module":")" +
         module + R"(","opendepot.defdev.io/namespace":"team","opendepot.defdev.io/version":")" + version +
         R"("},"ownerReferences":[{"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Module","name":")" +
         module + R"(","uid":")" + moduleUid(m) +
         R"(","controller":true,"blockOwnerDeletion":true}]},"spec":{"type":"Module","version":")" +
         version + R"(","fileName":")" + file_name + R"(","moduleConfigRef":{"name":")" + module +
         R"(","provider":"aws","repoOwner":"acme","fileFormat":"zip","storageConfig":{"fileSystem":{"directoryPath":"/data/modules"}}}},"status":{}})";
}

// Every record of module `m`: its observation, then per Version the observation and the
// VersionSynced fact. Exits on a record the adapter refuses (a bug in this generator).
std::vector<core::AppendRecord> moduleRecords(int m, int versions) {
  std::vector<core::AppendRecord> out;
  out.reserve(1 + 2 * static_cast<size_t>(versions));
  auto observed = [&](const char* kind, const std::string& object) {
    auto record = adapters::kube::observedRecord(kind, object, std::nullopt, kTs);
    if (!record) {
      std::fprintf(stderr, "read_model_bench: bad generated %s: %s\n", kind, record.error().message.c_str());
      std::exit(2);
    }
    out.push_back(std::move(*record));
  };
  observed("Module", moduleObject(m, versions));
  char file_name[64];
  for (int i = 0; i < versions; ++i) {
    std::snprintf(file_name, sizeof(file_name), "0190a1b2-c3d4-7e5f-8a9b-%06d%06d.zip", m, i);
    observed("Version", versionObject(m, i, file_name));
    events::VersionSynced synced;
    synced.generation = 1;
    synced.file_name = file_name;
    std::string digest(32, static_cast<char>(m + i));
    synced.checksum = core::base64Encode(digest);
    synced.size = 4096 + static_cast<uint64_t>(i);
    const std::string key = "Version/team/" + versionName(m, i);
    events::Envelope env = events::makeEnvelope(
        synced, events::EnvelopeMeta{events::eventId({events::type::kVersionSynced, key, "1", "1", "synced"}),
                                     key, "", "", kTs});
    out.push_back(events::toAppendRecord(events::streams::kFacts, env));
  }
  return out;
}

// Exits 1 unless the snapshot serves exactly what was generated.
void verify(const proj::Snapshot& snapshot, const Options& o) {
  const size_t want_versions = static_cast<size_t>(o.modules) * static_cast<size_t>(o.versions_per_module);
  if (snapshot.moduleCount() != static_cast<size_t>(o.modules) || snapshot.versionCount() != want_versions) {
    std::fprintf(stderr, "read_model_bench: snapshot holds %zu modules / %zu versions, expected %d / %zu\n",
                 snapshot.moduleCount(), snapshot.versionCount(), o.modules, want_versions);
    std::exit(1);
  }
}

int runFold(const Options& o) {
  proj::ReadModel model{proj::ReadModelOptions{kStorageRoot}};
  double fold_s = 0;
  double cpu_s = 0;
  for (int m = 0; m < o.modules; ++m) {
    std::vector<core::AppendRecord> records = moduleRecords(m, o.versions_per_module);
    const auto start = Clock::now();
    const double cpu_start = threadCpuSeconds();
    for (const auto& record : records) {
      auto env = events::decodeEnvelope(record.fields);
      auto outcome = env ? model.apply(*env) : core::Result<proj::ReadModel::Outcome>(env.error());
      if (!outcome) {
        std::fprintf(stderr, "read_model_bench: fold failed: %s\n", outcome.error().message.c_str());
        return 1;
      }
    }
    fold_s += seconds(start);
    cpu_s += threadCpuSeconds() - cpu_start;
  }
  const auto build_start = Clock::now();
  const double build_cpu_start = threadCpuSeconds();
  proj::SnapshotPtr snapshot = model.build();
  const double build_s = seconds(build_start);
  cpu_s += threadCpuSeconds() - build_cpu_start;
  verify(*snapshot, o);
  std::printf("READMODEL-FOLD versions=%zu modules=%zu fold_s=%.2f build_s=%.2f total_s=%.2f cpu_s=%.2f "
              "peak_rss_mb=%.1f\n",
              snapshot->versionCount(), snapshot->moduleCount(), fold_s, build_s, fold_s + build_s, cpu_s,
              peakRssMb());
  return 0;
}

// Appends every module's records with a few calls in flight; false on any error.
bool fill(adapters::loop::EventLoop& loop, core::EventLog& log, const Options& o, size_t& appended) {
  constexpr int kInFlight = 4;
  int issued = 0;
  int done = 0;
  bool failed = false;
  // A call's handle keeps its request alive: drop each one once it has answered, or the
  // whole data set would sit in memory and inflate the peak RSS measured afterwards.
  std::vector<core::CancelablePtr> handles(static_cast<size_t>(o.modules));
  std::vector<int> answered;
  while (done < o.modules && !failed) {
    while (issued < o.modules && issued - done < kInFlight) {
      std::vector<core::AppendRecord> records = moduleRecords(issued, o.versions_per_module);
      appended += records.size();
      handles[static_cast<size_t>(issued)] = log.append(std::move(records), [&, index = issued](auto r) {
        answered.push_back(index);
        if (!r.ok()) {
          std::fprintf(stderr, "read_model_bench: append failed: %s\n", r.error().message.c_str());
          failed = true;
        }
        ++done;
      });
      ++issued;
    }
    const int before = done;
    if (!loop.runUntil([&] { return done > before || failed; }, std::chrono::seconds(30))) {
      std::fprintf(stderr, "read_model_bench: append timed out\n");
      return false;
    }
    for (int index : answered) {
      handles[static_cast<size_t>(index)].reset();
    }
    answered.clear();
  }
  return !failed;
}

int runStreams(const Options& o) {
  testing::RedisServer server;
  if (!server.start()) {
    std::fprintf(stderr, "read_model_bench: redis-server did not start\n");
    return 1;
  }
  auto logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  adapters::loop::EventLoop loop;
  adapters::loop::LibevClock clock(loop);
  adapters::crypto::SystemRandom random;
  adapters::valkey::ValkeyOptions valkey;
  valkey.port = server.port();
  adapters::valkey::ValkeyEventLog log(loop, valkey, *logger);

  const auto fill_start = Clock::now();
  size_t appended = 0;
  if (!fill(loop, log, o, appended)) {
    return 1;
  }
  const double fill_s = seconds(fill_start);
  const double rss_after_fill = peakRssMb();

  proj::SnapshotHolder holder;
  proj::ReadModelFeedOptions feed_options;
  feed_options.model.storage_root = kStorageRoot;
  const auto start = Clock::now();
  const double cpu_start = threadCpuSeconds();
  proj::ReadModelFeed feed(events::Runtime{log, clock, random, *logger}, holder, feed_options);
  feed.start();
  if (!loop.runUntil([&] { return feed.caughtUp(); }, std::chrono::minutes(5))) {
    std::fprintf(stderr, "read_model_bench: the feed did not catch up: %s\n", feed.readiness().c_str());
    return 1;
  }
  const double catch_up_s = seconds(start);
  const double cpu_s = threadCpuSeconds() - cpu_start;
  proj::SnapshotPtr snapshot = holder.load();
  verify(*snapshot, o);
  const long long redis_bytes = server.integer({"MEMORY", "USAGE", std::string(events::streams::kResources)}) +
                                server.integer({"MEMORY", "USAGE", std::string(events::streams::kFacts)});
  bool stopped = false;
  feed.stop([&] { stopped = true; });
  loop.runUntil([&] { return stopped; }, std::chrono::seconds(10));
  std::printf("READMODEL-STREAMS versions=%zu modules=%zu entries=%zu fill_s=%.2f catch_up_s=%.2f cpu_s=%.2f "
              "folded=%llu skipped=%llu peak_rss_mb=%.1f rss_after_fill_mb=%.1f streams_mb=%.1f\n",
              snapshot->versionCount(), snapshot->moduleCount(), appended, fill_s, catch_up_s, cpu_s,
              static_cast<unsigned long long>(feed.folded()), static_cast<unsigned long long>(feed.skipped()),
              peakRssMb(), rss_after_fill, static_cast<double>(redis_bytes) / (1024.0 * 1024.0));
  return 0;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc) {
        return false;
      }
      char* end = nullptr;
      const long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < 1 || v > 1000000) {
        return false;
      }
      out = static_cast<int>(v);
      return true;
    };
    if (arg == "--fold") {
      o.mode = Options::Mode::Fold;
    } else if (arg == "--streams") {
      o.mode = Options::Mode::Streams;
    } else if (arg == "--modules") {
      if (!number(o.modules)) return false;
    } else if (arg == "--versions-per-module") {
      if (!number(o.versions_per_module)) return false;
    } else {
      return false;
    }
  }
  return o.versions_per_module < 1000;  // resourceVersions are 200000 + m*1000 + i: unique
}

}  // namespace
}  // namespace od::bench

int main(int argc, char** argv) {
  od::bench::Options options;
  if (!od::bench::parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: read_model_bench [--fold|--streams] [--modules N] [--versions-per-module K<1000]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  return options.mode == od::bench::Options::Mode::Fold ? od::bench::runFold(options)
                                                        : od::bench::runStreams(options);
}
