#pragma once
// Connection: one hiredis async connection on the loop, kept alive across failures.
//
// DESIGN
// - States: Down (no context; waiting for the reconnect timer), Connecting (context made,
//   setup commands in flight: AUTH, SELECT, the caller's setup such as FUNCTION LOAD, PING),
//   Ready. Commands sent while Connecting wait in a queue; while Down they fail at once
//   (later, on a fresh stack) with Errc::Unavailable.
// - Every command has its own deadline (Request). A missed deadline or a missed connect
//   deadline frees the context (redisAsyncFree runs every pending callback with NULL, which
//   becomes Unavailable) and reconnects with exponential backoff and jitter.
// - hiredis owns the context and frees it after the disconnect callback; the callback nulls
//   our pointer. Contexts we free ourselves get `data = nullptr` first so that their late
//   callbacks are ignored.
//
// Thread affinity: loop thread only. *loop and *log must outlive the Connection.

#include <hiredis/async.h>
#include <ev.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/request.h"
#include "adapters/valkey/valkey_options.h"

namespace od::adapters::valkey {

class Connection {
 public:
  // `name` appears in logs ("cmd", "block-1"); `setup` runs after AUTH/SELECT on every
  // (re)connect, before the connection counts as ready; an error reply to it fails the
  // connection attempt.
  Connection(loop::EventLoop& loop, ValkeyOptions options, std::string name,
             std::vector<Argv> setup, spdlog::logger& log);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting (once; later attempts are driven by the backoff timer).
  void start();
  // Sends `argv` (or queues it while connecting). `handler` runs exactly once unless the
  // handle is cancelled or destroyed, or this Connection is destroyed first.
  core::CancelablePtr send(Argv argv, std::chrono::milliseconds timeout, ReplyHandler handler);
  // Frees the context and reconnects (after a failure the caller detected, e.g. NOSCRIPT).
  void reset(const std::string& reason);

  bool ready() const { return state_ == State::Ready; }
  bool down() const { return state_ == State::Down; }
  size_t inFlight() const { return in_flight_; }
  const std::string& name() const { return name_; }
  uint64_t connects() const { return connects_; }  // successful connects so far

  // Called by Request.
  void noteReplied() { --in_flight_; }
  void onRequestTimeout(Request* request);
  void forget(Request* request) { requests_.erase(request); }

 private:
  enum class State { Down, Connecting, Ready };

  void connect();
  void queueSetup();
  void dispatch(Request* request);
  void becomeReady();
  void lost(const std::string& reason);
  void scheduleReconnect();
  void failWaiting();
  void handleSetupReply(redisAsyncContext* ac, size_t index, const redisReply* reply);

  static void onConnect(const redisAsyncContext* ac, int status) noexcept;
  static void onDisconnect(const redisAsyncContext* ac, int status) noexcept;
  static void onSetupReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;
  static void onConnectTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;
  static void onBackoffTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;

  loop::EventLoop& loop_;
  const ValkeyOptions options_;
  const std::string name_;
  std::vector<Argv> setup_;  // full setup sequence, AUTH/SELECT included, PING last
  spdlog::logger& log_;
  std::mt19937_64 rng_;

  State state_ = State::Down;
  redisAsyncContext* ctx_ = nullptr;  // owned by hiredis once connected (see DESIGN)
  ev_timer connect_timer_;
  ev_timer backoff_timer_;
  uint32_t failed_attempts_ = 0;
  uint64_t connects_ = 0;
  size_t in_flight_ = 0;
  std::deque<Request*> waiting_;
  std::unordered_set<Request*> requests_;  // every live Request that points here
};

}  // namespace od::adapters::valkey
