#include "adapters/valkey/connection.h"

#include <hiredis/adapters/libev.h>

#include <algorithm>
#include <utility>

namespace od::adapters::valkey {
namespace {

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

std::vector<Argv> fullSetup(const ValkeyOptions& options, std::vector<Argv> extra) {
  std::vector<Argv> setup;
  if (!options.password.empty()) {
    if (options.user.empty()) {
      setup.push_back({"AUTH", options.password});
    } else {
      setup.push_back({"AUTH", options.user, options.password});
    }
  }
  if (options.db != 0) {
    setup.push_back({"SELECT", std::to_string(options.db)});
  }
  for (auto& argv : extra) {
    setup.push_back(std::move(argv));
  }
  setup.push_back({"PING"});
  return setup;
}

uint64_t seedFrom(uint64_t seed) {
  if (seed != 0) {
    return seed;
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Connection::Connection(loop::EventLoop& loop, ValkeyOptions options, std::string name,
                       std::vector<Argv> setup, spdlog::logger& log)
    : loop_(loop),
      options_(std::move(options)),
      name_(std::move(name)),
      setup_(fullSetup(options_, std::move(setup))),
      log_(log),
      rng_(seedFrom(options_.jitter_seed)) {
  ev_timer_init(&connect_timer_, &Connection::onConnectTimer, seconds(options_.connect_timeout),
                0.0);
  connect_timer_.data = this;
  ev_timer_init(&backoff_timer_, &Connection::onBackoffTimer, 0.0, 0.0);
  backoff_timer_.data = this;
}

Connection::~Connection() {
  ev_timer_stop(loop_.raw(), &connect_timer_);
  ev_timer_stop(loop_.raw(), &backoff_timer_);
  waiting_.clear();
  // Detach first: a detached Request neither calls back nor touches this object.
  std::vector<Request*> requests(requests_.begin(), requests_.end());
  requests_.clear();
  for (Request* request : requests) {
    request->detach();
  }
  if (ctx_ != nullptr) {
    redisAsyncContext* ac = ctx_;
    ctx_ = nullptr;
    ac->data = nullptr;
    redisAsyncFree(ac);  // deferred by hiredis when called from inside one of its callbacks
  }
}

void Connection::start() {
  if (state_ == State::Down && ctx_ == nullptr && !ev_is_active(&backoff_timer_)) {
    connect();
  }
}

void Connection::connect() {
  redisAsyncContext* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (ac == nullptr) {
    lost("cannot allocate a hiredis context");
    return;
  }
  if (ac->err != 0) {
    std::string reason = std::string("connect failed: ") + ac->errstr;
    redisAsyncFree(ac);
    lost(reason);
    return;
  }
  ac->data = this;
  redisEnableKeepAlive(&ac->c);
  redisLibevAttach(loop_.raw(), ac);
  redisAsyncSetConnectCallback(ac, &Connection::onConnect);
  redisAsyncSetDisconnectCallback(ac, &Connection::onDisconnect);
  ctx_ = ac;
  state_ = State::Connecting;
  queueSetup();
  ev_timer_set(&connect_timer_, seconds(options_.connect_timeout), 0.0);
  ev_timer_start(loop_.raw(), &connect_timer_);
}

void Connection::queueSetup() {
  for (size_t i = 0; i < setup_.size(); ++i) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& arg : setup_[i]) {
      args.push_back(arg.data());
      lens.push_back(arg.size());
    }
    redisAsyncCommandArgv(ctx_, &Connection::onSetupReply, reinterpret_cast<void*>(i),
                          static_cast<int>(args.size()), args.data(), lens.data());
  }
}

core::CancelablePtr Connection::send(Argv argv, std::chrono::milliseconds timeout,
                                     ReplyHandler handler) {
  auto* request = new Request(this, loop_.raw(), std::move(argv), timeout, std::move(handler));
  requests_.insert(request);
  auto handle = std::make_unique<RequestHandle>(request);
  switch (state_) {
    case State::Ready:
      dispatch(request);
      break;
    case State::Connecting:
      request->holdByQueue(true);
      waiting_.push_back(request);
      break;
    case State::Down:
      request->failLater(core::makeError(core::Errc::Unavailable,
                                         "valkey: not connected (" + name_ + ")"));
      break;
  }
  return handle;
}

void Connection::dispatch(Request* request) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& arg : request->argv()) {
    args.push_back(arg.data());
    lens.push_back(arg.size());
  }
  int rc = redisAsyncCommandArgv(ctx_, &Request::onReply, request, static_cast<int>(args.size()),
                                 args.data(), lens.data());
  if (rc != REDIS_OK) {
    request->failLater(core::makeError(core::Errc::Unavailable, "valkey: connection closing"));
    return;
  }
  request->holdByHiredis();
  ++in_flight_;
}

void Connection::becomeReady() {
  ev_timer_stop(loop_.raw(), &connect_timer_);
  state_ = State::Ready;
  failed_attempts_ = 0;
  ++connects_;
  log_.info("event=ValkeyConnected conn={} host={} port={}", name_, options_.host, options_.port);
  std::deque<Request*> waiting;
  waiting.swap(waiting_);
  for (Request* request : waiting) {
    if (request->cancelled()) {
      request->releaseQueue();
      continue;
    }
    request->holdByQueue(false);
    dispatch(request);
  }
}

void Connection::reset(const std::string& reason) {
  redisAsyncContext* ac = ctx_;
  ctx_ = nullptr;
  if (ac != nullptr) {
    ac->data = nullptr;
    redisAsyncFree(ac);  // pending callbacks get NULL → Unavailable, delivered later
  }
  lost(reason);
}

void Connection::lost(const std::string& reason) {
  const bool was_ready = state_ == State::Ready;
  state_ = State::Down;
  ev_timer_stop(loop_.raw(), &connect_timer_);
  failWaiting();
  if (was_ready) {
    log_.warn("event=ValkeyDisconnected conn={} reason=\"{}\"", name_, reason);
  } else {
    log_.debug("event=ValkeyConnectFailed conn={} reason=\"{}\" attempt={}", name_, reason,
               failed_attempts_ + 1);
  }
  scheduleReconnect();
}

void Connection::failWaiting() {
  std::deque<Request*> waiting;
  waiting.swap(waiting_);
  for (Request* request : waiting) {
    request->failLater(core::makeError(core::Errc::Unavailable, "valkey: connect failed"));
    request->releaseQueue();
  }
}

void Connection::scheduleReconnect() {
  const auto min = std::max<int64_t>(1, options_.reconnect_backoff_min.count());
  const auto max = std::max<int64_t>(min, options_.reconnect_backoff_max.count());
  int64_t delay = min << std::min<uint32_t>(failed_attempts_, 20);
  delay = std::min(delay, max);
  std::uniform_int_distribution<int64_t> jitter(delay / 2, delay);
  delay = jitter(rng_);
  ++failed_attempts_;
  ev_timer_stop(loop_.raw(), &backoff_timer_);
  ev_timer_set(&backoff_timer_, seconds(std::chrono::milliseconds(delay)), 0.0);
  ev_timer_start(loop_.raw(), &backoff_timer_);
}

void Connection::onRequestTimeout(Request* request) {
  auto it = std::find(waiting_.begin(), waiting_.end(), request);
  if (it != waiting_.end()) {
    // Never sent: the connect deadline deals with the connection.
    waiting_.erase(it);
    request->holdByQueue(false);
    return;
  }
  reset("command timeout: " + request->argv().front());
}

void Connection::handleSetupReply(redisAsyncContext* ac, size_t index, const redisReply* reply) {
  if (ctx_ != ac || state_ != State::Connecting) {
    return;
  }
  if (reply == nullptr) {
    return;  // the context is going away; onDisconnect/onConnect report it
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string what = setup_[index].front();
    log_.error("event=ValkeySetupFailed conn={} command={} error=\"{}\"", name_, what,
               std::string(reply->str, reply->len));
    reset("setup command failed: " + what);
    return;
  }
  if (index + 1 == setup_.size()) {
    becomeReady();
  }
}

void Connection::onConnect(const redisAsyncContext* ac, int status) noexcept {
  loop::guarded("valkey::Connection::onConnect", [&] {
    auto* self = static_cast<Connection*>(ac->data);
    if (self == nullptr || self->ctx_ != ac || status == REDIS_OK) {
      return;
    }
    // hiredis frees the context when this returns.
    std::string reason = std::string("connect failed: ") + ac->errstr;
    self->ctx_ = nullptr;
    self->lost(reason);
  });
}

void Connection::onDisconnect(const redisAsyncContext* ac, int /*status*/) noexcept {
  loop::guarded("valkey::Connection::onDisconnect", [&] {
    auto* self = static_cast<Connection*>(ac->data);
    if (self == nullptr || self->ctx_ != ac) {
      return;
    }
    // hiredis frees the context when this returns: forget it.
    std::string reason = ac->err != 0 ? std::string(ac->errstr) : std::string("closed");
    self->ctx_ = nullptr;
    self->lost(reason);
  });
}

void Connection::onSetupReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  loop::guarded("valkey::Connection::onSetupReply", [&] {
    auto* self = static_cast<Connection*>(ac->data);
    if (self != nullptr) {
      self->handleSetupReply(ac, reinterpret_cast<size_t>(privdata),
                             static_cast<const redisReply*>(reply));
    }
  });
}

void Connection::onConnectTimer(struct ev_loop* /*loop*/, ev_timer* w, int /*revents*/) noexcept {
  auto* self = static_cast<Connection*>(w->data);
  loop::guarded("valkey::Connection::onConnectTimer", [self] { self->reset("connect timeout"); });
}

void Connection::onBackoffTimer(struct ev_loop* /*loop*/, ev_timer* w, int /*revents*/) noexcept {
  auto* self = static_cast<Connection*>(w->data);
  loop::guarded("valkey::Connection::onBackoffTimer", [self] { self->connect(); });
}

}  // namespace od::adapters::valkey
