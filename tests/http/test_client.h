#pragma once
// Blocking loopback client helpers for the socket suites (tests only).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace od::http::testing {

inline int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool sendAll(int fd, const std::string& data) {
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

// Reads up to `max` bytes within `timeout_ms`; "" on timeout; sets eof on orderly close.
inline std::string readSome(int fd, int timeout_ms, bool* eof = nullptr) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) {
    return "";
  }
  char buf[65536];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n <= 0 && eof != nullptr) {
    *eof = true;
  }
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// True when the peer closes (EOF or reset) within `timeout_ms`, ignoring any data.
inline bool closedWithin(int fd, int timeout_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      char buf[4096];
      if (::recv(fd, buf, sizeof(buf), 0) <= 0) {
        return true;
      }
    }
  }
  return false;
}

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool ok = false;
};

// Reads one response from `buffer` + the socket. Bodies are framed by Content-Length only;
// `head_request` means no body follows. Leftover bytes stay in `buffer`.
inline ClientResponse readResponse(int fd, std::string& buffer, bool head_request = false,
                                   int timeout_ms = 3000) {
  ClientResponse r;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until) {
      return r;
    }
    bool eof = false;
    buffer += readSome(fd, 50, &eof);
    if (eof && buffer.find("\r\n\r\n") == std::string::npos) {
      return r;
    }
  }
  std::string head = buffer.substr(0, head_end);
  buffer.erase(0, head_end + 4);
  r.status = std::stoi(head.substr(9, 3));
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    r.headers[name] = line.substr(colon + 2);
    pos = next;
  }
  size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  if (head_request) {
    length = 0;
  }
  while (buffer.size() < length && std::chrono::steady_clock::now() < until) {
    bool eof = false;
    buffer += readSome(fd, 50, &eof);
    if (eof) {
      break;
    }
  }
  if (buffer.size() < length) {
    return r;
  }
  r.body = buffer.substr(0, length);
  buffer.erase(0, length);
  r.ok = true;
  return r;
}

inline std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

}  // namespace od::http::testing
