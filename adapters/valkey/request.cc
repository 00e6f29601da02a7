#include "adapters/valkey/request.h"

#include <utility>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/connection.h"

namespace od::adapters::valkey {

Request::Request(Connection* conn, struct ev_loop* loop, Argv argv,
                 std::chrono::milliseconds timeout, ReplyHandler handler)
    : conn_(conn), loop_(loop), argv_(std::move(argv)), handler_(std::move(handler)) {
  ev_timer_init(&timer_, &Request::onTimer, static_cast<double>(timeout.count()) / 1000.0, 0.0);
  timer_.data = this;
  ev_timer_start(loop_, &timer_);
}

Request::~Request() {
  ev_timer_stop(loop_, &timer_);
  if (conn_ != nullptr) {
    conn_->forget(this);
  }
}

void Request::releaseHandle() {
  cancel();
  held_by_handle_ = false;
  maybeDelete();
}

void Request::releaseQueue() {
  held_by_queue_ = false;
  maybeDelete();
}

void Request::cancel() {
  ev_timer_stop(loop_, &timer_);
  handler_ = nullptr;
  later_.reset();
}

void Request::failLater(core::Error error) {
  if (!handler_) {
    return;
  }
  later_ = std::move(error);
  ev_timer_stop(loop_, &timer_);
  ev_timer_set(&timer_, 0.0, 0.0);
  ev_timer_start(loop_, &timer_);
}

void Request::detach() {
  conn_ = nullptr;
  held_by_queue_ = false;
  cancel();
  maybeDelete();
}

void Request::maybeDelete() {
  if (!held_by_handle_ && !held_by_hiredis_ && !held_by_queue_ && !in_handler_) {
    delete this;
  }
}

void Request::onReply(redisAsyncContext* /*ac*/, void* reply, void* privdata) noexcept {
  auto* self = static_cast<Request*>(privdata);
  loop::guarded("valkey::Request::onReply",
                [&] { self->handleReply(static_cast<const redisReply*>(reply)); });
}

void Request::handleReply(const redisReply* reply) {
  held_by_hiredis_ = false;
  if (conn_ != nullptr) {
    conn_->noteReplied();
  }
  if (reply == nullptr) {
    // The context is being freed (lost connection, timeout elsewhere, shutdown).
    if (handler_ && !later_) {
      failLater(core::makeError(core::Errc::Unavailable, "valkey: connection lost"));
    }
    maybeDelete();
    return;
  }
  if (!handler_ || later_) {
    maybeDelete();
    return;
  }
  ev_timer_stop(loop_, &timer_);
  ReplyHandler handler = std::move(handler_);
  handler_ = nullptr;
  in_handler_ = true;
  handler(reply);
  in_handler_ = false;
  maybeDelete();
}

void Request::onTimer(struct ev_loop* /*loop*/, ev_timer* w, int /*revents*/) noexcept {
  auto* self = static_cast<Request*>(w->data);
  loop::guarded("valkey::Request::onTimer", [self] { self->handleTimer(); });
}

void Request::handleTimer() {
  ReplyHandler handler = std::move(handler_);
  handler_ = nullptr;
  std::optional<core::Error> later = std::move(later_);
  later_.reset();
  if (!later && conn_ != nullptr) {
    // The deadline passed. Replies come in order, so the connection is stuck: replace it.
    // This fails the other requests on it later, never here.
    conn_->onRequestTimeout(this);
  }
  if (!handler) {
    return;
  }
  in_handler_ = true;
  if (later) {
    handler(std::move(*later));
  } else {
    handler(core::makeError(core::Errc::Timeout,
                            "valkey: no reply within the deadline to " + argv_.front()));
  }
  in_handler_ = false;
  maybeDelete();
}

}  // namespace od::adapters::valkey
