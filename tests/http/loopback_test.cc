// The server over real sockets on 127.0.0.1:0: keep-alive, pipelining, HEAD, slow and idle
// clients, max connections, graceful shutdown, sendfile, built-in routes. Timeouts are a few
// hundred milliseconds so the suite runs in seconds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http/server.h"
#include "tests/http/test_client.h"

namespace od::http {
namespace {

using namespace od::http::testing;

std::shared_ptr<spdlog::logger> nullLogger() {
  if (std::getenv("OD_HTTP_TEST_LOG") != nullptr) {
    auto l = spdlog::stderr_logger_mt("http-test");
    l->set_level(spdlog::level::debug);
    return l;
  }
  return std::make_shared<spdlog::logger>("http", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class Loopback : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.get("/echo/:n", "echo", [](const Request& r) {
      return Response::text(200, std::string(r.param("n")));
    });
    router_.get("/big", "big", [](const Request&) { return Response::text(200, std::string(200000, 'b')); });
    router_.get("/file", "file", [this](const Request&) {
      Response r;
      r.header("Content-Type", "application/octet-stream");
      int fd = ::open(file_path_.c_str(), O_RDONLY | O_CLOEXEC);
      r.file.emplace(fd, 0, file_size_);
      return r;
    });
    options_.port = 0;
    options_.threads = 1;
    options_.host = "127.0.0.1";
    options_.header_timeout = 0.3;
    options_.idle_timeout = 0.3;
    options_.write_timeout = 0.5;
    options_.linger_timeout = 0.2;
    options_.shutdown_timeout = 2;
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
    }
    if (!file_path_.empty()) {
      std::filesystem::remove(file_path_);
    }
  }
  void startServer() {
    server_ = std::make_unique<Server>(options_, router_, *log_);
    ASSERT_TRUE(server_->start().ok());
  }
  int client() { return connectTo(server_->port()); }

  std::shared_ptr<spdlog::logger> log_ = nullLogger();
  Router router_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::string file_path_;
  uint64_t file_size_ = 0;
};

TEST_F(Loopback, KeepAliveServesSeveralRequestsOnOneConnection) {
  startServer();
  int fd = client();
  std::string buf;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(sendAll(fd, get("/echo/" + std::to_string(i))));
    ClientResponse r = readResponse(fd, buf);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::to_string(i));
    EXPECT_EQ(r.headers.count("connection"), 0u);
  }
  ::close(fd);
}

TEST_F(Loopback, Http10KeepAliveIsHonouredAndSaid) {
  startServer();
  int fd = client();
  std::string buf;
  ASSERT_TRUE(sendAll(fd, "GET /echo/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ClientResponse r = readResponse(fd, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.headers["connection"], "keep-alive");
  ASSERT_TRUE(sendAll(fd, "GET /echo/2 HTTP/1.0\r\n\r\n"));
  r = readResponse(fd, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(closedWithin(fd, 1000));
  ::close(fd);
}

TEST_F(Loopback, B13HundredPipelinedRequestsAnswerInOrder) {
  startServer();
  int fd = client();
  std::string all;
  for (int i = 0; i < 100; ++i) {
    all += get("/echo/" + std::to_string(i));
  }
  ASSERT_TRUE(sendAll(fd, all));
  std::string buf;
  for (int i = 0; i < 100; ++i) {
    ClientResponse r = readResponse(fd, buf);
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.body, std::to_string(i));
  }
  ::close(fd);
}

TEST_F(Loopback, B13PipelinedLargeResponsesAreAllDeliveredWhenTheClientReadsLate) {
  startServer();
  int fd = client();
  std::string all;
  for (int i = 0; i < 20; ++i) {
    all += get("/big");  // 20 × 200 kB exceeds the 1 MiB output buffer: reading pauses
  }
  ASSERT_TRUE(sendAll(fd, all));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string buf;
  for (int i = 0; i < 20; ++i) {
    ClientResponse r = readResponse(fd, buf);
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.body.size(), 200000u);
  }
  ::close(fd);
}

TEST_F(Loopback, B12SlowReaderIsClosedAfterAWriteStall) {
  options_.write_timeout = 0.2;
  startServer();
  int fd = client();
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string all;
  for (int i = 0; i < 40; ++i) {
    all += get("/big");  // 8 MB the client never reads
  }
  ASSERT_TRUE(sendAll(fd, all));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (server_->metrics().openConnections() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->metrics().openConnections(), 0);
  ::close(fd);
}

TEST_F(Loopback, SlowBodyGets408) {
  options_.body_timeout = 0.2;
  router_.add("POST", "/upload", "upload", [](const Request& r) {
    return Response::text(200, std::to_string(r.body.size()));
  });
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  std::string buf;
  ClientResponse r = readResponse(fd, buf, false, 2000);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 408);
  ::close(fd);
}

TEST_F(Loopback, HeadReportsContentLengthWithoutBody) {
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, "HEAD /echo/12345 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/echo/7")));
  std::string buf;
  ClientResponse head = readResponse(fd, buf, true);
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.headers["content-length"], "5");
  ClientResponse next = readResponse(fd, buf);  // proves no body bytes were sent for HEAD
  ASSERT_TRUE(next.ok);
  EXPECT_EQ(next.body, "7");
  ::close(fd);
}

TEST_F(Loopback, B11SlowHeadersGet408WhileAnotherClientIsServed) {
  startServer();
  int slow = client();
  ASSERT_TRUE(sendAll(slow, "GET /echo/1 HTTP/1.1\r\nHost: t\r\n"));
  int fast = client();
  std::string buf;
  ASSERT_TRUE(sendAll(fast, get("/echo/2")));
  ClientResponse r = readResponse(fast, buf);
  EXPECT_TRUE(r.ok);
  std::string slow_buf;
  ClientResponse timeout = readResponse(slow, slow_buf, false, 2000);
  ASSERT_TRUE(timeout.ok);
  EXPECT_EQ(timeout.status, 408);
  EXPECT_EQ(timeout.headers["connection"], "close");
  EXPECT_TRUE(closedWithin(slow, 1000));
  ::close(slow);
  ::close(fast);
}

TEST_F(Loopback, IdleKeepAliveConnectionIsClosed) {
  startServer();
  int fd = client();
  std::string buf;
  ASSERT_TRUE(sendAll(fd, get("/echo/1")));
  ASSERT_TRUE(readResponse(fd, buf).ok);
  EXPECT_TRUE(closedWithin(fd, 1500));
  ::close(fd);
}

TEST_F(Loopback, B16ConnectionsOverTheLimitAreClosedAndEstablishedOnesServed) {
  options_.max_connections = 2;
  startServer();
  int a = client();
  int b = client();
  std::string buf_a;
  ASSERT_TRUE(sendAll(a, get("/echo/a")));
  ASSERT_TRUE(readResponse(a, buf_a).ok);  // both accepted before the third arrives
  std::string buf_b;
  ASSERT_TRUE(sendAll(b, get("/echo/b")));
  ASSERT_TRUE(readResponse(b, buf_b).ok);
  int c = client();
  EXPECT_TRUE(closedWithin(c, 1000));
  ASSERT_TRUE(sendAll(a, get("/echo/again")));
  ClientResponse r = readResponse(a, buf_a);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.body, "again");
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST_F(Loopback, B16ConnectionsOverThePerIpLimitAreClosed) {
  options_.max_connections_per_ip = 1;
  startServer();
  int a = client();
  std::string buf;
  ASSERT_TRUE(sendAll(a, get("/echo/a")));
  ASSERT_TRUE(readResponse(a, buf).ok);
  int b = client();
  EXPECT_TRUE(closedWithin(b, 1000));
  ::close(b);
  ::close(a);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (server_->metrics().openConnections() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int c = client();  // the slot is free again
  std::string buf_c;
  ASSERT_TRUE(sendAll(c, get("/echo/c")));
  EXPECT_TRUE(readResponse(c, buf_c).ok);
  ::close(c);
}

TEST_F(Loopback, GracefulShutdownFinishesInFlightRequestAndClosesIdle) {
  options_.header_timeout = 2;
  options_.idle_timeout = 5;
  startServer();
  int idle = client();
  std::string idle_buf;
  ASSERT_TRUE(sendAll(idle, get("/echo/x")));
  ASSERT_TRUE(readResponse(idle, idle_buf).ok);
  int busy = client();
  ASSERT_TRUE(sendAll(busy, "GET /echo/late HTTP/1.1\r\nHost: t\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::thread stopper([this] { server_->stop(); });
  EXPECT_TRUE(closedWithin(idle, 1000));
  ASSERT_TRUE(sendAll(busy, "\r\n"));
  std::string buf;
  ClientResponse r = readResponse(busy, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "late");
  EXPECT_EQ(r.headers["connection"], "close");
  stopper.join();
  EXPECT_EQ(connectTo(server_->port()), -1);
  ::close(idle);
  ::close(busy);
}

TEST_F(Loopback, SendfileServesAOneMebibyteFile) {
  file_path_ = (std::filesystem::temp_directory_path() / ("od-http-" + std::to_string(::getpid()))).string();
  std::string content(1024 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>((i * 31) & 0xff);
  }
  std::ofstream(file_path_, std::ios::binary) << content;
  file_size_ = content.size();
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, get("/file") + "HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string buf;
  ClientResponse r = readResponse(fd, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.body == content);
  ClientResponse head = readResponse(fd, buf, true);
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.headers["content-length"], std::to_string(content.size()));
  ::close(fd);
}

TEST_F(Loopback, BadRequestGetsJsonErrorAndClose) {
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  std::string buf;
  ClientResponse r = readResponse(fd, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"errors\":[\"duplicate Host header\"]}");
  EXPECT_TRUE(closedWithin(fd, 1000));
  ::close(fd);
}

TEST_F(Loopback, B02OversizedHeaderGets431EvenWithUnreadBytes) {
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100000, 'x') + "\r\n\r\n"));
  std::string buf;
  ClientResponse r = readResponse(fd, buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 431);
  ::close(fd);
}

TEST_F(Loopback, B14TlsClientHelloOnPlainPortIsRefusedWithoutHarm) {
  startServer();
  int fd = client();
  ASSERT_TRUE(sendAll(fd, std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(160, 'r')));
  EXPECT_TRUE(closedWithin(fd, 1500));
  ::close(fd);
  int ok = client();
  std::string buf;
  ASSERT_TRUE(sendAll(ok, get("/healthz")));
  EXPECT_EQ(readResponse(ok, buf).status, 200);
  ::close(ok);
}

TEST_F(Loopback, HealthReadinessAndMetrics) {
  std::atomic<bool> ready{false};
  options_.readiness = [&ready] { return ready ? std::string() : std::string("read model catching up"); };
  options_.extra_metrics = [] { return std::string("opendepot_worker_synced_total 7\n"); };
  startServer();
  int fd = client();
  std::string buf;
  ASSERT_TRUE(sendAll(fd, get("/healthz") + get("/readyz")));
  EXPECT_EQ(readResponse(fd, buf).status, 200);
  ClientResponse not_ready = readResponse(fd, buf);
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "{\"errors\":[\"read model catching up\"]}");
  ready = true;
  ASSERT_TRUE(sendAll(fd, get("/readyz") + get("/echo/1") + get("/metrics")));
  EXPECT_EQ(readResponse(fd, buf).status, 200);
  EXPECT_EQ(readResponse(fd, buf).status, 200);
  ClientResponse metrics = readResponse(fd, buf);
  EXPECT_NE(metrics.body.find("opendepot_http_requests_total{route=\"echo\",status=\"200\"} 1"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("opendepot_http_open_connections 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("opendepot_http_request_duration_seconds_count"), std::string::npos);
  EXPECT_NE(metrics.body.find("opendepot_worker_synced_total 7\n"), std::string::npos);
  ::close(fd);
}

TEST_F(Loopback, SeveralLoopsShareThePort) {
  options_.threads = 2;
  startServer();
  for (int i = 0; i < 8; ++i) {
    int fd = client();
    std::string buf;
    ASSERT_TRUE(sendAll(fd, get("/echo/" + std::to_string(i), "Connection: close\r\n")));
    ClientResponse r = readResponse(fd, buf);
    EXPECT_EQ(r.body, std::to_string(i));
    ::close(fd);
  }
}

}  // namespace
}  // namespace od::http
