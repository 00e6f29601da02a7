#pragma once
// Request: one command on a Connection, with its own deadline (hiredis 0.14 has no timeout
// API), its completion handler, and the Cancelable handle given to the caller.
//
// Lifetime: a Request is held by up to three owners: the caller's handle, hiredis (from
// redisAsyncCommandArgv until its callback ran, which hiredis guarantees, with a NULL reply
// when the context is freed) and the Connection's wait queue. It deletes itself when the
// last one lets go, never while its handler runs. The Connection may die first: it then
// detaches its Requests, which stay valid for their handles and for hiredis.
//
// Handlers run either inside the hiredis reply callback (a real reply) or from the
// Request's own ev_timer (timeout, or an error delivered "later" on a fresh stack), never
// inside Connection bookkeeping. After a handler returns, nothing touches the Connection,
// so a handler may destroy the whole event log.
//
// Thread affinity: loop thread only.

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <ev.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::adapters::valkey {

class Connection;
using Argv = std::vector<std::string>;
// Gets the server's reply (never NULL; may be an error reply) or a transport error
// (Timeout, Unavailable). The reply is valid only during the call: copy what you need.
using ReplyHandler = std::function<void(core::Result<const redisReply*>)>;

class Request {
 public:
  Request(Connection* conn, struct ev_loop* loop, Argv argv, std::chrono::milliseconds timeout,
          ReplyHandler handler);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const Argv& argv() const { return argv_; }
  bool cancelled() const { return !handler_; }

  // Owners.
  void holdByHiredis() { held_by_hiredis_ = true; }
  void holdByQueue(bool held) { held_by_queue_ = held; }
  void releaseHandle();  // the handle died: cancel, and maybe delete
  void releaseQueue();   // left the wait queue without being sent: maybe delete

  void cancel();  // idempotent: no handler call after this
  // Delivers `error` from a fresh loop callback (zero-delay timer).
  void failLater(core::Error error);
  // The Connection is being destroyed: forget it, cancel.
  void detach();

  // hiredis trampoline (privdata is the Request).
  static void onReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;

 private:
  ~Request();
  void handleReply(const redisReply* reply);
  void handleTimer();
  void maybeDelete();
  static void onTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;

  Connection* conn_;
  struct ev_loop* loop_;
  ev_timer timer_;
  Argv argv_;
  ReplyHandler handler_;
  std::optional<core::Error> later_;
  bool held_by_handle_ = true;
  bool held_by_hiredis_ = false;
  bool held_by_queue_ = false;
  bool in_handler_ = false;
};

// The caller's handle: destroying it releases the Request.
class RequestHandle final : public core::Cancelable {
 public:
  explicit RequestHandle(Request* request) : request_(request) {}
  ~RequestHandle() override { request_->releaseHandle(); }
  void cancel() override { request_->cancel(); }

 private:
  Request* request_;
};

}  // namespace od::adapters::valkey
