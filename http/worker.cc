#include "http/worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/connection.h"

namespace od::http {

namespace {

constexpr int kAcceptBatch = 64;

std::string peerName(const sockaddr_in& addr) {
  char ip[INET_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

}  // namespace

Worker::Worker(WorkerShared shared, int listen_fd) : shared_(shared), listen_fd_(listen_fd) {
  loop_ = ev_loop_new(EVFLAG_AUTO);
}

Worker::~Worker() {
  closeAll();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
  if (loop_ != nullptr) {
    ev_loop_destroy(loop_);
  }
}

core::Status Worker::init() {
  if (loop_ == nullptr) {
    return core::makeError(core::Errc::Internal, "ev_loop_new failed");
  }
  if (shared_.options.tls) {
    tls_ = std::make_unique<TlsReloader>(*shared_.options.tls, shared_.options.tls_reload_interval,
                                         shared_.log);
    core::Status st = tls_->init();
    if (!st.ok()) {
      return st;
    }
  }
  ev_set_userdata(loop_, this);
  ev_io_init(&accept_watcher_, &Worker::onAccept, listen_fd_, EV_READ);
  ev_async_init(&stop_watcher_, &Worker::onStop);
  ev_prepare_init(&prepare_watcher_, &Worker::onPrepare);
  ev_timer_init(&shutdown_timer_, &Worker::onShutdownTimer, shared_.options.shutdown_timeout, 0);
  ev_io_start(loop_, &accept_watcher_);
  ev_async_start(loop_, &stop_watcher_);
  ev_prepare_start(loop_, &prepare_watcher_);
  return core::okStatus();
}

void Worker::run() {
  ev_run(loop_, 0);
  closeAll();  // whatever the shutdown timer left
}

void Worker::closeAll() {
  std::vector<Connection*> open;
  for (auto& [conn, owned] : connections_) {
    open.push_back(conn);
  }
  for (Connection* conn : open) {
    conn->closeNow();
  }
  deferred_.clear();
}

void Worker::requestStop() { ev_async_send(loop_, &stop_watcher_); }

void Worker::onAccept(struct ev_loop* loop, ev_io*, int) noexcept {
  guardCallback("Worker::onAccept", [&] { static_cast<Worker*>(ev_userdata(loop))->acceptAll(); });
}

void Worker::onStop(struct ev_loop* loop, ev_async*, int) noexcept {
  guardCallback("Worker::onStop", [&] { static_cast<Worker*>(ev_userdata(loop))->beginShutdown(); });
}

void Worker::onPrepare(struct ev_loop* loop, ev_prepare*, int) noexcept {
  guardCallback("Worker::onPrepare", [&] { static_cast<Worker*>(ev_userdata(loop))->drainDeferred(); });
}

void Worker::onShutdownTimer(struct ev_loop* loop, ev_timer*, int) noexcept {
  guardCallback("Worker::onShutdownTimer", [&] {
    Worker* self = static_cast<Worker*>(ev_userdata(loop));
    self->log().warn("event=http.shutdown_forced connections={}", self->connections_.size());
    self->closeAll();
  });
}

void Worker::acceptAll() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
        log().warn("event=http.accept_failed errno={}", errno);
      }
      return;
    }
    uint32_t ip = addr.sin_addr.s_addr;
    if (shared_.connections.fetch_add(1) >= shared_.options.max_connections) {
      shared_.connections.fetch_sub(1);
      metrics().onConnectionRejected();
      ::close(fd);  // B16: refused at once; established connections are not touched
      continue;
    }
    if (!shared_.per_ip.tryAcquire(ip, shared_.options.max_connections_per_ip)) {
      shared_.connections.fetch_sub(1);
      metrics().onConnectionRejected();
      ::close(fd);
      continue;
    }
    accepted(fd, ip, peerName(addr));
  }
}

void Worker::accepted(int fd, uint32_t ip, const std::string& client) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SslPtr ssl;
  if (tls_) {
    ssl.reset(SSL_new(tls_->current(ev_now(loop_))));
    if (!ssl) {
      shared_.connections.fetch_sub(1);
      shared_.per_ip.release(ip);
      ::close(fd);
      return;
    }
    SSL_set_fd(ssl.get(), fd);
    SSL_set_accept_state(ssl.get());
  }
  auto conn = std::make_unique<Connection>(*this, fd, client, std::move(ssl));
  Connection* raw = conn.get();
  connections_.emplace(raw, Owned{std::move(conn), ip});
  raw->start();
}

void Worker::release(Connection* conn) {
  auto it = connections_.find(conn);
  if (it == connections_.end()) {
    return;
  }
  deferred_.push_back(std::move(it->second.conn));
  shared_.per_ip.release(it->second.ip);
  connections_.erase(it);
  shared_.connections.fetch_sub(1);
  if (draining_ && connections_.empty()) {
    ev_break(loop_, EVBREAK_ALL);
  }
}

void Worker::drainDeferred() { deferred_.clear(); }

void Worker::beginShutdown() {
  if (draining_) {
    return;
  }
  draining_ = true;
  ev_io_stop(loop_, &accept_watcher_);
  ::close(listen_fd_);
  listen_fd_ = -1;
  ev_timer_start(loop_, &shutdown_timer_);
  std::vector<Connection*> open;
  for (auto& [conn, owned] : connections_) {
    open.push_back(conn);
  }
  for (Connection* conn : open) {
    conn->beginDrain();
  }
  if (connections_.empty()) {
    ev_break(loop_, EVBREAK_ALL);
  }
}

Router::Routed Worker::handle(Request& request) {
  bool read = request.method == "GET" || request.method == "HEAD";
  if (read && request.segments.size() == 1) {
    const std::string& name = request.segments[0];
    if (name == "healthz") {
      return Router::Routed{Response::text(200, "ok\n"), "healthz"};
    }
    if (name == "readyz") {
      std::string reason = shared_.options.readiness ? shared_.options.readiness() : std::string();
      return Router::Routed{
          reason.empty() ? Response::text(200, "ready\n") : Response::error(503, reason), "readyz"};
    }
    if (name == "metrics") {
      std::string body = metrics().render();
      if (shared_.options.extra_metrics) {
        body += shared_.options.extra_metrics();
      }
      Response r = Response::text(200, std::move(body));
      r.headers[0].value = "text/plain; version=0.0.4; charset=utf-8";
      return Router::Routed{std::move(r), "metrics"};
    }
  }
  return shared_.router.dispatch(request);
}

}  // namespace od::http
