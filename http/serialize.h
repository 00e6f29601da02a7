#pragma once
// Serialising responses onto the wire. HEAD (and 204/304) get the head only; HEAD keeps the
// Content-Length GET would have sent. Thread affinity: pure functions, any thread.

#include <string>

#include "http/message.h"

namespace od::http {

struct WireOptions {
  bool head_request = false;  // the request was HEAD: no body bytes follow the head
  bool keep_alive = true;     // false adds "Connection: close"
  bool http10 = false;        // HTTP/1.0 client: keep-alive must be said explicitly
};

// Status line, headers, Content-Length, Connection, blank line.
std::string serializeHead(const Response& response, const WireOptions& options);
// True when body bytes follow the head on the wire.
bool sendsBody(const Response& response, const WireOptions& options);
// Head plus the in-memory body (file bodies are not included). For tests and small answers.
std::string serializeResponse(const Response& response, const WireOptions& options);

}  // namespace od::http
