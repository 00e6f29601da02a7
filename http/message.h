#pragma once
// Request and Response: the pure values handlers work on (h2o loopback style: a handler is
// tested as Request → Response, no sockets). Thread affinity: plain values; a Request is
// built and consumed on one HTTP loop thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace od::http {

struct Header {
  std::string name;  // as received / as sent
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive ASCII comparison of header names.
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// The value of the first header called `name`, or nullptr. The pointer lives as long as `headers`.
const std::string* findHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method;                 // "GET", "HEAD", ...
  std::string target;                 // raw request target, e.g. "/a%20b?x=1"
  std::vector<std::string> segments;  // decoded once: "/a%20b/c" → {"a b", "c"}
  std::string query;                  // raw (still percent-encoded), without '?'
  Headers headers;
  std::string body;
  std::string client;  // "ip:port" of the peer
  int http_minor = 1;  // HTTP/1.<minor>
  bool keep_alive = true;
  std::unordered_map<std::string, std::string> params;  // path parameters set by the router

  // The decoded value of query parameter `name`, if present.
  std::optional<std::string> queryParam(std::string_view name) const;
  // A path parameter by name ("" when the route has none such).
  std::string_view param(std::string_view name) const;
};

// A file body sent with sendfile(2) (or read in chunks under TLS). Owns `fd`.
class FileBody {
 public:
  FileBody(int fd, uint64_t offset, uint64_t length) : fd_(fd), offset_(offset), length_(length) {}
  FileBody(FileBody&& other) noexcept;
  FileBody& operator=(FileBody&& other) noexcept;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  ~FileBody();

  int fd() const { return fd_; }
  uint64_t offset() const { return offset_; }
  uint64_t length() const { return length_; }
  // Marks `n` bytes as sent.
  void advance(uint64_t n) {
    offset_ += n;
    length_ -= n;
  }

 private:
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t length_ = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::optional<FileBody> file;  // when set, it is the body and `body` is ignored
  bool close = false;            // close the connection after this response

  // Content-Length of the body that GET would send (HEAD reports the same and sends nothing).
  uint64_t contentLength() const { return file ? file->length() : body.size(); }
  Response& header(std::string name, std::string value);

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
  // {"errors":["<message>"]} with status `status`.
  static Response error(int status, std::string_view message);
};

// Reason phrase of a status code ("Not Found"); "Unknown" for codes we never send.
std::string_view reasonPhrase(int status);

}  // namespace od::http
