#pragma once
// DESIGN: a small blocking HTTP/1.1 server for the test Kubernetes API server.
// One acceptor thread, one thread per connection (watches are long-lived chunked
// responses, so each connection may block for a long time). Requests are parsed with
// libhttp-parser; bodies are buffered whole. Test code: simple over fast.
//
// Thread affinity: Start/Stop from one controlling thread; the handler runs on
// connection threads concurrently and must be thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace od::testkube {

struct HttpRequest {
  std::string method;
  std::string target;  // raw request target: path and query
  std::string path;    // percent-decoded path
  std::multimap<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> headers;     // lower-case names
  std::string body;

  std::string Header(const std::string& lower_name) const;
  // First value of a query parameter, or "" if absent.
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Writes the answer to one request. Either Send once, or StartChunked then any number of
// WriteChunk and finally EndChunked or Abort. Connection-thread only.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void Send(const HttpResponse& response) = 0;
  virtual bool StartChunked(int status,
                            const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // Returns false when the peer is gone.
  virtual bool WriteChunk(const std::string& data) = 0;
  virtual void EndChunked() = 0;
  // Drops the connection without finishing the response (a network failure).
  virtual void Abort() = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, ResponseWriter&)>;

class HttpServer {
 public:
  explicit HttpServer(HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0 picks a free port) and starts accepting. Throws on failure.
  int Start(const std::string& host, int port);
  // Closes the listener and every connection, then joins all threads.
  void Stop();
  int port() const { return port_; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  HttpHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_fds_;
  struct Conn {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Conn> threads_;
};

std::string PercentDecode(const std::string& in, bool plus_is_space);

}  // namespace od::testkube
