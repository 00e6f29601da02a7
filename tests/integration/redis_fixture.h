#pragma once
// RedisServer: a real redis-server child process for integration tests, contract tests,
// the crash test and the benchmarks. Binds 127.0.0.1 on a free port, keeps its files in a
// private temporary directory (removed by the destructor), and stops what it started by
// process id. It can be SIGKILLed, SIGSTOPped and restarted on the same port and directory.
// Also: small synchronous helpers (hiredis blocking API, with a timeout) for test set-up
// and inspection, and a helper that runs an EventLoop until an async call completes.
// Thread affinity: the test thread.

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "core/cancelable.h"
#include "core/result.h"

namespace od::testing {

struct RedisServerOptions {
  bool appendonly = false;                // --appendonly yes (AOF in the temp dir)
  std::string appendfsync = "always";     // with appendonly
  std::string executable = "redis-server";
};

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server (first time: on a free port) and waits until it answers PING.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop();                // SIGTERM, wait
  void kill();                // SIGKILL, wait
  void pause();               // SIGSTOP
  void resume();              // SIGCONT
  bool running() const { return pid_ > 0; }
  bool restart() {
    kill();
    return start();
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

  // Synchronous command on a fresh connection (1 s timeout); nullptr when unreachable.
  ReplyPtr command(const std::vector<std::string>& args) const;
  // Convenience: the reply as text (string/status/error text, integer as decimal, "(nil)",
  // arrays as their element count "[n]"), or "(unreachable)".
  std::string text(const std::vector<std::string>& args) const;
  long long integer(const std::vector<std::string>& args) const;

 private:
  bool ping() const;

  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A free TCP port on 127.0.0.1 (bind port 0, read it back, close).
int freePort();

// Runs `loop` until the callback given to `start` has been called, or `timeout` passed
// (then an Errc::Internal "test wait timed out" error). `start` returns the call's handle.
template <typename T>
core::Result<T> awaitResult(
    adapters::loop::EventLoop& loop,
    const std::function<core::CancelablePtr(std::function<void(core::Result<T>)>)>& start,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::optional<core::Result<T>> result;
  core::CancelablePtr handle = start([&result](core::Result<T> r) { result.emplace(std::move(r)); });
  loop.runUntil([&] { return result.has_value(); }, timeout);
  if (!result) {
    return core::makeError(core::Errc::Internal, "test wait timed out");
  }
  return std::move(*result);
}

}  // namespace od::testing
