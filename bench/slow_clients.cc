// slow_clients: holds N TLS connections to a server, each sending one byte of a request head
// per second (a slowloris), and reopens every connection the server closes. Used by
// bench/run_slowloris.sh to measure what such clients cost everybody else.
//
//   slow_clients HOST PORT CONNECTIONS SECONDS
//
// One thread per connection with blocking I/O keeps this obviously correct; the threads
// sleep almost all the time. The certificate is not verified (the peer is our own test
// server; only its cost under load is measured). Prints one line at the end:
//   SLOW-CLIENTS connections=300 opened=912 bytes=8720 closed_by_server=612 connect_errors=0
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// A request head that never completes within the server's header timeout at 1 byte/s.
const std::string kHead =
    "GET /opendepot/modules/v1/default/bench/local/versions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "User-Agent: slow-client\r\nAccept: */*\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

struct Counters {
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> closed_by_server{0};
  std::atomic<uint64_t> connect_errors{0};
};

int connectTcp(const sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// True when the server has answered (its 408) or closed the connection. The socket is
// non-blocking after the handshake, so this only drains what has arrived; TLS 1.3 session
// tickets arrive after the handshake and make the socket readable without ending anything.
bool serverDone(SSL* ssl) {
  char buf[512];
  const int n = SSL_read(ssl, buf, sizeof(buf));
  if (n > 0) {
    return true;
  }
  const int e = SSL_get_error(ssl, n);
  return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

// One slow client until `deadline`: connect, handshake, then one byte per second; start over
// whenever the server closes or answers.
void slowClient(SSL_CTX* ctx, const sockaddr_in& addr, Clock::time_point deadline, Counters& c) {
  while (Clock::now() < deadline) {
    int fd = connectTcp(addr);
    SSL* ssl = fd < 0 ? nullptr : SSL_new(ctx);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
      ++c.connect_errors;
      if (ssl != nullptr) SSL_free(ssl);
      if (fd >= 0) ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    ++c.opened;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    size_t sent = 0;
    bool closed = false;
    while (Clock::now() < deadline && !closed) {
      if (serverDone(ssl)) {
        closed = true;
        break;
      }
      const int n = SSL_write(ssl, kHead.data() + sent % kHead.size(), 1);
      if (n == 1) {
        ++sent;
        ++c.bytes;
      } else if (const int e = SSL_get_error(ssl, n); e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
        closed = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (closed) {
      ++c.closed_by_server;
    }
    SSL_free(ssl);
    ::close(fd);
    ERR_clear_error();  // per-thread error queue: nothing of this connection is needed
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: slow_clients HOST PORT CONNECTIONS SECONDS\n");
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  const long port = std::strtol(argv[2], nullptr, 10);
  const long count = std::strtol(argv[3], nullptr, 10);
  const long secs = std::strtol(argv[4], nullptr, 10);
  if (::inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || port < 1 || port > 65535 || count < 1 ||
      count > 5000 || secs < 1 || secs > 3600) {
    std::fprintf(stderr, "slow_clients: bad arguments (IPv4 host, port 1-65535, 1-5000 connections, 1-3600 s)\n");
    return 2;
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::signal(SIGPIPE, SIG_IGN);  // a write to a connection the server closed must not kill us
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    std::fprintf(stderr, "slow_clients: SSL_CTX_new failed\n");
    return 1;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  Counters counters;
  const auto deadline = Clock::now() + std::chrono::seconds(secs);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) {
    threads.emplace_back(slowClient, ctx, std::cref(addr), deadline, std::ref(counters));
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // spread the handshakes
  }
  for (auto& t : threads) {
    t.join();
  }
  SSL_CTX_free(ctx);
  std::printf("SLOW-CLIENTS connections=%ld opened=%llu bytes=%llu closed_by_server=%llu connect_errors=%llu\n",
              count, static_cast<unsigned long long>(counters.opened.load()),
              static_cast<unsigned long long>(counters.bytes.load()),
              static_cast<unsigned long long>(counters.closed_by_server.load()),
              static_cast<unsigned long long>(counters.connect_errors.load()));
  return counters.opened.load() > 0 ? 0 : 1;
}
