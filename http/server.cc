#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "http/worker.h"

namespace od::http {

namespace {

void ignoreSigpipeIfDefault() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

core::Error sysError(const std::string& what) {
  return core::makeError(core::Errc::Unavailable, what + ": " + std::strerror(errno));
}

}  // namespace

bool PerIpCounter::tryAcquire(uint32_t ip, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t& open = open_[ip];
  if (limit != 0 && open >= limit) {
    if (open == 0) {
      open_.erase(ip);
    }
    return false;
  }
  ++open;
  return true;
}

void PerIpCounter::release(uint32_t ip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(ip);
  if (it != open_.end() && --it->second == 0) {
    open_.erase(it);
  }
}

Server::Server(ServerOptions options, const Router& router, spdlog::logger& log)
    : options_(std::move(options)), router_(router), log_(log) {}

Server::~Server() { stop(); }

core::Result<int> Server::listenSocket(uint16_t port) const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return sysError("socket");
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return core::makeError(core::Errc::Invalid, "not an IPv4 address: " + options_.host);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1024) != 0) {
    core::Error e = sysError("bind/listen " + options_.host + ":" + std::to_string(port));
    ::close(fd);
    return e;
  }
  return fd;
}

core::Status Server::start() {
  if (running_) {
    return core::okStatus();
  }
  ignoreSigpipeIfDefault();
  uint16_t port = options_.port;
  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    OD_TRY(int fd, listenSocket(port));
    if (port == 0) {
      sockaddr_in bound{};
      socklen_t len = sizeof(bound);
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port = ntohs(bound.sin_port);
    }
    auto worker = std::make_unique<Worker>(
        WorkerShared{options_, router_, log_, metrics_, connections_, per_ip_}, fd);
    core::Status st = worker->init();
    if (!st.ok()) {
      workers_.clear();
      return st;
    }
    workers_.push_back(std::move(worker));
  }
  port_ = port;
  try {
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      threads_.emplace_back([w] { w->run(); });
    }
  } catch (const std::system_error& e) {  // std::thread reports failure only by throwing
    running_ = true;
    stop();
    return core::makeError(core::Errc::Unavailable, std::string("thread: ") + e.what());
  }
  running_ = true;
  log_.info("event=http.listening host={} port={} threads={} tls={}", options_.host, port_,
            workers_.size(), options_.tls.has_value());
  return core::okStatus();
}

void Server::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  for (auto& worker : workers_) {
    worker->requestStop();
  }
  for (auto& thread : threads_) {
    thread.join();
  }
  threads_.clear();
  workers_.clear();
  log_.info("event=http.stopped port={}", port_);
}

}  // namespace od::http
