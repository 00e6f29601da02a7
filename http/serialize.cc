#include "http/serialize.h"

namespace od::http {

namespace {

bool bodyless(int status) { return status == 204 || status == 304 || (status >= 100 && status < 200); }

}  // namespace

std::string serializeHead(const Response& response, const WireOptions& options) {
  std::string out;
  out.reserve(128 + response.headers.size() * 48);
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += reasonPhrase(response.status);
  out += "\r\n";
  for (const Header& h : response.headers) {
    if (equalsIgnoreCase(h.name, "content-length") || equalsIgnoreCase(h.name, "connection")) {
      continue;  // ours to set
    }
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!bodyless(response.status)) {
    out += "Content-Length: ";
    out += std::to_string(response.contentLength());
    out += "\r\n";
  }
  if (!options.keep_alive) {
    out += "Connection: close\r\n";
  } else if (options.http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

bool sendsBody(const Response& response, const WireOptions& options) {
  return !options.head_request && !bodyless(response.status) && response.contentLength() > 0;
}

std::string serializeResponse(const Response& response, const WireOptions& options) {
  std::string out = serializeHead(response, options);
  if (sendsBody(response, options) && !response.file) {
    out += response.body;
  }
  return out;
}

}  // namespace od::http
