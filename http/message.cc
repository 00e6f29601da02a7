#include "http/message.h"

#include <unistd.h>

#include <utility>

#include "core/base64.h"
#include "core/json_writer.h"

namespace od::http {

namespace {

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Form decoding for query values: %XX and '+' as space. Bad escapes are kept verbatim.
std::string decodeQueryComponent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() &&
               core::hexDigitValue(s[i + 1]) >= 0 && core::hexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(core::hexDigitValue(s[i + 1]) * 16 + core::hexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

const std::string* findHeader(const Headers& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, name)) {
      return &h.value;
    }
  }
  return nullptr;
}

std::optional<std::string> Request::queryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (decodeQueryComponent(key) == name) {
      return eq == std::string_view::npos ? std::string() : decodeQueryComponent(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

FileBody::FileBody(FileBody&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), offset_(other.offset_), length_(other.length_) {}

FileBody& FileBody::operator=(FileBody&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    offset_ = other.offset_;
    length_ = other.length_;
  }
  return *this;
}

FileBody::~FileBody() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Response& Response::header(std::string name, std::string value) {
  headers.push_back(Header{std::move(name), std::move(value)});
  return *this;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.header("Content-Type", "application/json");
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.header("Content-Type", "text/plain; charset=utf-8");
  return r;
}

Response Response::error(int status, std::string_view message) {
  core::JsonWriter w;
  w.beginObject().key("errors").beginArray().value(message).endArray().endObject();
  return json(status, w.take());
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace od::http
