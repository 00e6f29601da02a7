#include "tests/kubeapi/http_server.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace od::testkube {
namespace {

struct ParseState {
  HttpRequest req;
  std::string field;
  bool last_was_value = false;
  bool complete = false;
  bool keep_alive = false;
  bool bad = false;  // our own checks (duplicate Content-Length, bad header bytes)
  std::string url;
  int fd = -1;
};

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
}

void FinishHeader(ParseState* s) {
  if (s->field.empty()) {
    return;
  }
  std::string name = s->field;
  for (char& c : name) {
    if (!IsTokenChar(c)) {
      s->bad = true;
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  s->field.clear();
}

int OnUrl(http_parser* p, const char* at, size_t n) {
  static_cast<ParseState*>(p->data)->url.append(at, n);
  return 0;
}
int OnHeaderField(http_parser* p, const char* at, size_t n) {
  auto* s = static_cast<ParseState*>(p->data);
  if (s->last_was_value) {
    FinishHeader(s);
    s->last_was_value = false;
  }
  s->field.append(at, n);
  return 0;
}
int OnHeaderValue(http_parser* p, const char* at, size_t n) {
  auto* s = static_cast<ParseState*>(p->data);
  if (!s->last_was_value) {
    std::string name = s->field;
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (s->req.headers.count(name) && name == "content-length") {
      s->bad = true;
    }
    // Repeated headers are joined with ", " as RFC 9110 allows.
    auto& v = s->req.headers[name];
    if (!v.empty()) {
      v += ", ";
    }
    s->last_was_value = true;
  }
  std::string name = s->field;
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  s->req.headers[name].append(at, n);
  return 0;
}
int OnHeadersComplete(http_parser* p) {
  auto* s = static_cast<ParseState*>(p->data);
  if (s->last_was_value) {
    FinishHeader(s);
  }
  s->req.method = http_method_str(static_cast<http_method>(p->method));
  // Go's server answers "Expect: 100-continue" by itself; libcurl sends it for bodies over
  // 1 KiB and would otherwise wait a second before sending the body.
  auto expect = s->req.headers.find("expect");
  if (expect != s->req.headers.end() && expect->second == "100-continue" && s->fd >= 0) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    ::send(s->fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL);
  }
  return 0;
}
int OnBody(http_parser* p, const char* at, size_t n) {
  static_cast<ParseState*>(p->data)->req.body.append(at, n);
  return 0;
}
int OnMessageComplete(http_parser* p) {
  auto* s = static_cast<ParseState*>(p->data);
  s->complete = true;
  s->keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  return 0;
}

void SplitTarget(HttpRequest& req, const std::string& url) {
  req.target = url;
  auto q = url.find('?');
  req.path = PercentDecode(url.substr(0, q), false);
  if (q == std::string::npos) {
    return;
  }
  std::string qs = url.substr(q + 1);
  size_t pos = 0;
  while (pos <= qs.size()) {
    size_t amp = qs.find('&', pos);
    if (amp == std::string::npos) {
      amp = qs.size();
    }
    std::string part = qs.substr(pos, amp - pos);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string k = PercentDecode(part.substr(0, eq), true);
      std::string v = eq == std::string::npos ? "" : PercentDecode(part.substr(eq + 1), true);
      req.query.emplace(k, v);
    }
    pos = amp + 1;
  }
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

class SocketWriter : public ResponseWriter {
 public:
  SocketWriter(int fd, bool keep_alive) : fd_(fd), keep_alive_(keep_alive) {}
  void Send(const HttpResponse& r) override {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
    bool has_type = false;
    for (const auto& [k, v] : r.headers) {
      has_type = has_type || k == "Content-Type";
      out += k + ": " + v + "\r\n";
    }
    if (!has_type) {
      out += "Content-Type: application/json\r\n";
    }
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    out += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    out += r.body;
    ok_ = SendAll(fd_, out) && ok_;
    done_ = true;
  }
  bool StartChunked(int status,
                    const std::vector<std::pair<std::string, std::string>>& headers) override {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
    for (const auto& [k, v] : headers) {
      out += k + ": " + v + "\r\n";
    }
    out += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    keep_alive_ = false;  // a finished watch ends the connection, as many proxies do
    ok_ = SendAll(fd_, out);
    return ok_;
  }
  bool WriteChunk(const std::string& data) override {
    if (!ok_ || data.empty()) {
      return ok_;
    }
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    ok_ = SendAll(fd_, std::string(size) + data + "\r\n");
    return ok_;
  }
  void EndChunked() override {
    if (ok_) {
      ok_ = SendAll(fd_, "0\r\n\r\n");
    }
    done_ = true;
  }
  void Abort() override {
    ::shutdown(fd_, SHUT_RDWR);
    ok_ = false;
    done_ = true;
    keep_alive_ = false;
  }
  bool keep_alive() const { return keep_alive_ && ok_ && done_; }

 private:
  int fd_;
  bool keep_alive_;
  bool ok_ = true;
  bool done_ = false;
};

}  // namespace

std::string PercentDecode(const std::string& in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() &&
        std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

HttpServer::HttpServer(HttpHandler handler) : handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::Start(const std::string& host, int port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    throw std::runtime_error("bad bind address " + host);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    std::string err = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("bind " + host + ":" + std::to_string(port) + ": " + err);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return port_;
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  if (listen_fd_ >= 0) {
    ::shutdown(listen_fd_, SHUT_RDWR);
  }
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  std::vector<Conn> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
    threads.swap(threads_);
  }
  for (auto& t : threads) {
    t.thread.join();
  }
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_ || (errno != EINTR && errno != ECONNABORTED)) {
        if (!stopping_ && errno == EMFILE) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        return;
      }
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    // Reap connection threads that have finished, so a long test does not pile them up.
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (*it->done) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([this, fd, done] {
                          Serve(fd);
                          *done = true;
                        }),
                        done});
  }
}

void HttpServer::Serve(int fd) {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = OnUrl;
  settings.on_header_field = OnHeaderField;
  settings.on_header_value = OnHeaderValue;
  settings.on_headers_complete = OnHeadersComplete;
  settings.on_body = OnBody;
  settings.on_message_complete = OnMessageComplete;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  auto state = std::make_unique<ParseState>();
  state->fd = fd;
  parser.data = state.get();
  std::string pending;
  char buf[16384];
  while (!stopping_) {
    if (pending.empty()) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      pending.assign(buf, static_cast<size_t>(n));
    }
    size_t used = http_parser_execute(&parser, &settings, pending.data(), pending.size());
    pending.erase(0, used);
    if (state->complete) {
      http_parser_pause(&parser, 0);
      SplitTarget(state->req, state->url);
      SocketWriter writer(fd, state->keep_alive);
      if (state->bad) {
        writer.Send({400, {}, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"BadRequest","code":400,"message":"malformed request"})"});
        break;
      }
      try {
        handler_(state->req, writer);
      } catch (...) {
        writer.Send({500, {}, std::string(R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"InternalError","code":500,"message":"internal error"})")});
      }
      if (!writer.keep_alive()) {
        break;
      }
      state = std::make_unique<ParseState>();
      state->fd = fd;
      parser.data = state.get();
      continue;
    }
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
      SocketWriter writer(fd, false);
      writer.Send({400, {}, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"BadRequest","code":400,"message":"malformed HTTP request"})"});
      break;
    }
    if (used == 0 && !pending.empty()) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace od::testkube
