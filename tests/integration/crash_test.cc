// THE crash test (issue acceptance): at-least-once delivery + idempotent results =
// exactly-once results, through a consumer SIGKILL and a redis-server SIGKILL.
//
// redis-server with AOF (appendfsync always); three od_crash_consumer processes in group G
// on stream S; one producer (this process, through ValkeyEventLog) appends 20,000 input
// events with deterministic ids, retrying failed batches. Mid-way one consumer is SIGKILLed
// and replaced by a new consumer name (the dead one's pending entries are taken over via
// claimIdle after a short min-idle); later redis-server is SIGKILLed and restarted on the
// same port and directory. Then R must hold exactly one result per input, S exactly the
// inputs, nothing pending and nothing parked.

#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/valkey_event_log.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "tests/integration/redis_fixture.h"

namespace od {
namespace {

using std::chrono::milliseconds;

constexpr int kEvents = 20000;
constexpr int kBatch = 100;
const std::string kInput = "od:{ctl}:crash:in";
const std::string kResults = "od:{ctl}:crash:out";
const std::string kGroup = "G";

pid_t spawnConsumer(int port, const std::string& name) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::vector<std::string> args{OD_CRASH_CONSUMER_PATH, std::to_string(port), kInput, kGroup,
                                  kResults, name, "1000", "250"};
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void killProcess(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

std::vector<core::AppendRecord> inputBatch(int first) {
  std::vector<core::AppendRecord> records;
  for (int i = first; i < first + kBatch; ++i) {
    events::Envelope e;
    e.type = std::string(events::type::kVersionSyncRequested);
    e.v = events::knownSchemaVersion(e.type).value_or(1);
    e.id = events::eventId({"crash-input", std::to_string(i)});
    e.key = "Version/crash/v" + std::to_string(i);
    e.ts = 1700000000000 + i;
    records.push_back(events::toAppendRecord(kInput, e));
  }
  return records;
}

// The `cause` of every entry of R (one XRANGE).
std::vector<std::string> resultCauses(const testing::RedisServer& server) {
  std::vector<std::string> causes;
  auto reply = server.command({"XRANGE", kResults, "-", "+", "COUNT", std::to_string(kEvents * 2)});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) {
    return causes;
  }
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* fields = reply->element[i]->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (std::string(fields->element[f]->str, fields->element[f]->len) == "cause") {
        causes.emplace_back(fields->element[f + 1]->str, fields->element[f + 1]->len);
      }
    }
  }
  return causes;
}

long long pendingCount(const testing::RedisServer& server) {
  auto reply = server.command({"XPENDING", kInput, kGroup});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
    return -1;
  }
  return reply->element[0]->integer;
}

// Appends one batch, retrying (same records, same ids) until it is in.
bool produce(adapters::loop::EventLoop& loop, adapters::valkey::ValkeyEventLog& log, int first) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = testing::awaitResult<std::vector<core::AppendResult>>(
        loop, [&](auto done) { return log.append(inputBatch(first), done); });
    if (result.ok()) {
      return true;
    }
    loop.runUntil([] { return false; }, milliseconds(50));
  }
  return false;
}

// Every input once in S, exactly one result per input in R, nothing pending or parked.
void expectExactlyOnce(const testing::RedisServer& server) {
  EXPECT_EQ(server.integer({"XLEN", kInput}), kEvents);
  EXPECT_EQ(server.integer({"XLEN", kResults}), kEvents);
  EXPECT_EQ(pendingCount(server), 0);  // c1's entries were claimed by live consumers
  EXPECT_EQ(server.integer({"XLEN", "od:{ctl}:dead"}), 0);
  std::vector<std::string> causes = resultCauses(server);
  std::set<std::string> distinct(causes.begin(), causes.end());
  EXPECT_EQ(causes.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    if (distinct.count(events::eventId({"crash-input", std::to_string(i)})) == 0) {
      ADD_FAILURE() << "no result for input " << i;
      break;
    }
  }
}

TEST(CrashTest, EveryEventGetsExactlyOneResultThroughConsumerAndServerKills) {
  testing::RedisServer server({.appendonly = true, .appendfsync = "always"});
  ASSERT_TRUE(server.start());
  std::vector<pid_t> consumers;
  for (const char* name : {"c1", "c2", "c3"}) {
    consumers.push_back(spawnConsumer(server.port(), name));
  }
  adapters::loop::EventLoop loop;
  adapters::valkey::ValkeyOptions options;
  options.port = server.port();
  options.command_timeout = milliseconds(2000);
  options.reconnect_backoff_min = milliseconds(20);
  options.reconnect_backoff_max = milliseconds(200);
  adapters::valkey::ValkeyEventLog log(loop, options, *spdlog::default_logger());

  const auto start = std::chrono::steady_clock::now();
  for (int first = 0; first < kEvents; first += kBatch) {
    if (first == kEvents * 3 / 10) {
      killProcess(consumers.front());  // mid-way, with entries in flight
      auto left = server.command({"XPENDING", kInput, kGroup, "-", "+", "1000", "c1"});
      std::printf("crash test: c1 killed holding %zu pending entries\n",
                  left && left->type == REDIS_REPLY_ARRAY ? left->elements : 0);
      consumers.front() = spawnConsumer(server.port(), "c4");
    }
    if (first == kEvents * 6 / 10) {
      server.kill();
      ASSERT_TRUE(server.start());  // same port and dir: AOF replayed
    }
    ASSERT_TRUE(produce(loop, log, first)) << "batch at " << first;
  }
  const auto deadline = start + std::chrono::seconds(50);
  while (std::chrono::steady_clock::now() < deadline &&
         !(server.integer({"XLEN", kResults}) == kEvents && pendingCount(server) == 0)) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  for (pid_t pid : consumers) {
    killProcess(pid);
  }

  expectExactlyOnce(server);
  std::printf("crash test: %d events, %.1f s\n", kEvents,
              std::chrono::duration<double>(elapsed).count());
}

}  // namespace
}  // namespace od
