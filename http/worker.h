#pragma once
// Worker: one HTTP loop thread — its ev_loop, its listening socket, its connections, its TLS
// context. Internal to http/ (see server.h DESIGN). Thread affinity: everything runs on the
// worker's thread except requestStop(), which any thread may call.

#include <ev.h>
#include <spdlog/logger.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace od::http {

class Connection;

// What a Worker shares with its Server. Everything referenced outlives the Worker.
struct WorkerShared {
  const ServerOptions& options;
  const Router& router;
  spdlog::logger& log;
  Metrics& metrics;
  std::atomic<size_t>& connections;  // open connections across all workers
  PerIpCounter& per_ip;              // open connections per client address
};

class Worker {
 public:
  // Takes ownership of `listen_fd`. REQUIRES: `shared`'s referents outlive the Worker.
  Worker(WorkerShared shared, int listen_fd);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  core::Status init();  // TLS context, watchers; on the controlling thread before run()
  void run();           // the thread body: runs the loop until stopped and drained
  void requestStop();   // any thread

  // For Connection (worker thread).
  struct ev_loop* loop() const { return loop_; }
  const ServerOptions& options() const { return shared_.options; }
  spdlog::logger& log() { return shared_.log; }
  Metrics& metrics() { return shared_.metrics; }
  // Built-in routes (/healthz, /readyz, /metrics) first, then the Router.
  Router::Routed handle(Request& request);
  // Schedules `conn` for deletion after the current callback (deferred delete).
  void release(Connection* conn);

 private:
  static void onAccept(struct ev_loop* loop, ev_io* w, int revents) noexcept;
  static void onStop(struct ev_loop* loop, ev_async* w, int revents) noexcept;
  static void onPrepare(struct ev_loop* loop, ev_prepare* w, int revents) noexcept;
  static void onShutdownTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;
  void acceptAll();
  void accepted(int fd, uint32_t ip, const std::string& client);
  void beginShutdown();
  void drainDeferred();
  void closeAll();

  WorkerShared shared_;
  int listen_fd_;
  struct ev_loop* loop_ = nullptr;
  ev_io accept_watcher_{};
  ev_async stop_watcher_{};
  ev_prepare prepare_watcher_{};
  ev_timer shutdown_timer_{};
  std::unique_ptr<TlsReloader> tls_;
  struct Owned {
    std::unique_ptr<Connection> conn;
    uint32_t ip;  // network byte order, for the per-IP count
  };
  std::unordered_map<Connection*, Owned> connections_;
  std::vector<std::unique_ptr<Connection>> deferred_;
  bool draining_ = false;
};

// Runs `body` inside a libev callback: an escaped exception would unwind through C frames,
// so it is reported and the process aborts (house style §3).
template <typename F>
void guardCallback(const char* where, F&& body) noexcept {
  try {
    body();
  } catch (...) {
    std::fprintf(stderr, "od: http: exception escaped libev callback %s\n", where);
    std::abort();
  }
}

}  // namespace od::http
