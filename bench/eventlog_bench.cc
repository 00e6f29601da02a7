// ValkeyEventLog throughput against a redis-server this binary starts (no persistence), and
// in the same run redis-benchmark's raw XADD on the same server, with the ratio. Outside
// `make test`; bench/run_eventlog.sh runs it and prints the summary line.
//
//   BM_Append/0       append() without dedupe id (FCALL od_append → XADD), 64 in flight
//   BM_Append/1       append() with dedupe ids (EXISTS + XADD + SET EX in the FUNCTION)
//   BM_Consume        readGroup(count 256) + ack of a 20,000-entry stream, reads pipelined

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/valkey_event_log.h"
#include "tests/integration/redis_fixture.h"

namespace od {
namespace {

using std::chrono::milliseconds;

constexpr int kAppendsPerIteration = 2000;
constexpr int kInFlight = 64;
constexpr int kConsumeEntries = 20000;

struct Env {
  testing::RedisServer server;
  adapters::loop::EventLoop loop;
  std::unique_ptr<adapters::valkey::ValkeyEventLog> log;
  uint64_t seq = 0;
};

Env* env = nullptr;

// Appends `n` single-record batches to `stream` with up to kInFlight outstanding.
bool appendMany(const std::string& stream, int n, bool dedupe) {
  int issued = 0;
  int done = 0;
  bool failed = false;
  std::vector<core::CancelablePtr> handles;
  handles.reserve(n);
  std::function<void()> issue = [&] {
    while (issued < n && issued - done < kInFlight) {
      ++issued;
      std::string id = dedupe ? "bench-" + std::to_string(++env->seq) : "";
      std::vector<core::AppendRecord> records{{stream, id, {{"type", "Bench"}, {"data", "{}"}}}};
      handles.push_back(env->log->append(records, [&](auto r) {
        failed |= !r.ok();
        ++done;
        issue();
      }));
    }
  };
  issue();
  env->loop.runUntil([&] { return done == n; }, std::chrono::seconds(60));
  return done == n && !failed;
}

void BM_Append(benchmark::State& state) {
  const bool dedupe = state.range(0) != 0;
  for (auto _ : state) {
    if (!appendMany("od:{ctl}:bench:append", kAppendsPerIteration, dedupe)) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kAppendsPerIteration);
}
BENCHMARK(BM_Append)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Reads the whole stream through `group` (count 256 per read, next read issued as soon as
// the previous one answered) and acks every batch.
bool consumeAll(const std::string& stream, const std::string& group) {
  int consumed = 0;
  bool failed = false;
  bool reading = false;
  std::vector<core::CancelablePtr> handles;
  std::function<void()> next = [&] {
    if (reading || consumed >= kConsumeEntries || failed) {
      return;
    }
    reading = true;
    core::GroupRead request{stream, group, "bench", 256, milliseconds(0), false};
    handles.push_back(env->log->readGroup(request, [&](auto r) {
      reading = false;
      if (!r.ok() || r->empty()) {
        failed = true;
        return;
      }
      std::vector<std::string> ids;
      for (auto& d : *r) {
        ids.push_back(d.entry.id);
      }
      consumed += static_cast<int>(ids.size());
      handles.push_back(env->log->ack(stream, group, ids, [&](core::Status s) { failed |= !s.ok(); }));
      next();
    }));
  };
  next();
  env->loop.runUntil([&] { return consumed >= kConsumeEntries || failed; }, std::chrono::seconds(60));
  // Let the last acks land.
  env->loop.runUntil([] { return false; }, milliseconds(5));
  return !failed && consumed >= kConsumeEntries;
}

void BM_Consume(benchmark::State& state) {
  const std::string stream = "od:{ctl}:bench:consume";
  env->server.text({"DEL", stream});
  if (!appendMany(stream, kConsumeEntries, false)) {
    state.SkipWithError("prefill failed");
    return;
  }
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string group = "g" + std::to_string(++round);
    env->server.text({"XGROUP", "CREATE", stream, group, "0"});
    state.ResumeTiming();
    if (!consumeAll(stream, group)) {
      state.SkipWithError("consume failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kConsumeEntries);
}
BENCHMARK(BM_Consume)->Unit(benchmark::kMillisecond)->UseRealTime();

// requests per second from `redis-benchmark -q` output, or 0.
double redisBenchmark(const std::string& extra) {
  std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(env->server.port()) +
                    " -q -n 200000 " + extra + " XADD od:{ctl}:bench:raw '*' type Bench data '{}' 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return 0;
  }
  char line[512];
  double rps = 0;
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    std::string s(line);
    // Progress lines end in \r, so the final "<cmd>: <n> requests per second" may share a
    // line with them: look backwards from the phrase.
    auto rate = s.find(" requests per second");
    auto colon = rate == std::string::npos ? std::string::npos : s.rfind(": ", rate);
    if (colon != std::string::npos) {
      rps = std::stod(s.substr(colon + 2, rate - colon - 2));
    }
  }
  ::pclose(pipe);
  return rps;
}

// Captures the items/s of the benchmarks for the summary.
class Reporter : public benchmark::ConsoleReporter {
 public:
  Reporter() : ConsoleReporter(OO_Tabular) {}  // no colours: the summary is grepped
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) {
        rates[run.benchmark_name()] = it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

}  // namespace
}  // namespace od

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  spdlog::set_level(spdlog::level::warn);
  od::Env environment;
  od::env = &environment;
  if (!environment.server.start()) {
    std::fprintf(stderr, "redis-server did not start\n");
    return 1;
  }
  od::adapters::valkey::ValkeyOptions options;
  options.port = environment.server.port();
  environment.log = std::make_unique<od::adapters::valkey::ValkeyEventLog>(
      environment.loop, options, *spdlog::default_logger());
  od::Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double raw_p64 = od::redisBenchmark("-c 1 -P 64");
  const double raw_c50 = od::redisBenchmark("-c 50");
  const double append = reporter.rates["BM_Append/0/real_time"];
  const double append_dedupe = reporter.rates["BM_Append/1/real_time"];
  const double consume = reporter.rates["BM_Consume/real_time"];
  std::fflush(stdout);
  std::printf(
      "\nEVENTLOG-SUMMARY append=%.0f/s append_dedupe=%.0f/s consume=%.0f/s "
      "raw_xadd_1conn_P64=%.0f/s raw_xadd_50conn=%.0f/s append/raw_P64=%.2f\n",
      append, append_dedupe, consume, raw_p64, raw_c50, raw_p64 > 0 ? append / raw_p64 : 0.0);
  environment.log.reset();
  return 0;
}
