#pragma once
// DESIGN — the HTTP/1.1 server (http/).
//   Server owns N Workers; each Worker is one thread with its own ev_loop and its own
//   listening socket on the same port (SO_REUSEPORT), so the kernel spreads connections.
//   A Worker owns its Connections. A Connection parses with RequestParser, dispatches to the
//   built-in routes (/healthz, /readyz, /metrics) or the Router, and queues responses in
//   request order (keep-alive, pipelining). It stops reading while more than
//   `max_output_buffer` bytes wait to be sent. One timer per connection enforces the slow
//   header (408 + close), body, idle keep-alive and write-stall limits. File bodies go out
//   with sendfile(2) (read in chunks under TLS). stop() is graceful: stop accepting, close
//   idle connections, let in-flight responses finish (bounded by shutdown_timeout).
//   Handlers run on the loop threads and must not block (they read immutable snapshots).

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/tls.h"

namespace od::http {

struct ServerOptions {
  std::string host = "0.0.0.0";  // IPv4 address to bind
  uint16_t port = 8080;          // 0 picks a free port (see Server::port())
  int threads = 0;               // HTTP loops, one listening socket each; 0 = one per core
  Limits limits;
  double header_timeout = 10;    // seconds for a whole request head → 408 + close
  double body_timeout = 30;      // seconds for a request body after its head → 408 + close
  double idle_timeout = 60;      // seconds a keep-alive connection may sit idle → close
  double write_timeout = 30;     // seconds without write progress → close
  double linger_timeout = 2;     // seconds to drain input after an error before closing
  double shutdown_timeout = 30;  // seconds stop() waits for in-flight responses
  size_t max_connections = 10000;           // across all loops; more are closed at once
  size_t max_connections_per_ip = 1000;     // per client IPv4 address; 0 = no per-IP limit
  size_t max_output_buffer = 1024 * 1024;   // bytes queued per connection before reads pause
  std::optional<TlsFiles> tls;              // HTTPS when set
  double tls_reload_interval = 5;           // seconds between certificate mtime checks
  // Readiness for /readyz: "" when ready, otherwise the reason. Called on loop threads.
  std::function<std::string()> readiness;
  // More Prometheus text appended to /metrics (the roles' counters). Called on loop threads.
  std::function<std::string()> extra_metrics;
};

class Worker;

// Open connections per client address, shared by every loop. Thread affinity: any thread.
class PerIpCounter {
 public:
  // False (and nothing counted) when `ip` already holds `limit` connections; limit 0 = none.
  bool tryAcquire(uint32_t ip, size_t limit);
  void release(uint32_t ip);

 private:
  std::mutex mu_;
  std::unordered_map<uint32_t, size_t> open_;
};

class Server {
 public:
  // `router` and `log` must outlive the Server. Thread affinity: construct, start() and
  // stop() from one controlling thread; the loops run on their own threads.
  Server(ServerOptions options, const Router& router, spdlog::logger& log);
  ~Server();  // stop()s if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listening socket and starts the loops. Ignores SIGPIPE process-wide if it is
  // still at its default (TLS writes go through write(2)).
  core::Status start();
  // The bound port (after start()).
  uint16_t port() const { return port_; }
  // Graceful stop; blocks until every loop has finished. Idempotent.
  void stop();

  Metrics& metrics() { return metrics_; }
  const ServerOptions& options() const { return options_; }

 private:
  core::Result<int> listenSocket(uint16_t port) const;

  ServerOptions options_;
  const Router& router_;
  spdlog::logger& log_;
  Metrics metrics_;
  std::atomic<size_t> connections_{0};  // declared before workers_: they count into these
  PerIpCounter per_ip_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  bool running_ = false;
};

}  // namespace od::http
