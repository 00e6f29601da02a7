#pragma once
// RequestParser: HTTP/1.1 request parsing on Debian's libhttp-parser (non-strict build) plus
// the checks that build leaves out. Before the parser sees a byte of a request head, a byte
// scanner enforces the size limits (414/431) and refuses bare CR, NUL/CTL and obs-fold; once
// the head is parsed, head_checks.h and target.h refuse smuggling and bad targets. Each
// refusal is a ParseError (status + message); the connection is then closed.
//
// Usage: feed() bytes; it consumes up to the end of one request and stops (pipelined bytes
// stay with the caller). When state() is Complete, takeRequest() yields it and resets.
// Thread affinity: one HTTP loop thread (one parser per connection).

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "http/head_checks.h"
#include "http/limits.h"
#include "http/message.h"

namespace od::http {

class RequestParser {
 public:
  enum class State { Idle, Head, Body, Complete, Failed };

  explicit RequestParser(const Limits& limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Returns the number of bytes consumed. REQUIRES: state() is not Complete or Failed.
  size_t feed(std::string_view data);

  // Idle: nothing of the next request seen; Head/Body: a request is arriving.
  State state() const { return state_; }
  // REQUIRES: state() == Complete. Resets the parser for the next request.
  Request takeRequest();
  // REQUIRES: state() == Failed.
  const ParseError& error() const { return error_; }

 private:
  static int onMessageBegin(http_parser* p);
  static int onUrl(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);

  void reset();
  // Scans head bytes; returns how many belong to the head or sets Failed.
  size_t scanHead(std::string_view data);
  bool scanByte(unsigned char c);
  bool countHeadByte(unsigned char c);
  int headersComplete();
  void fail(int status, std::string message);
  void failFromParser();
  void countFramingTail(const char* end);

  Limits limits_;
  http_parser parser_;
  http_parser_settings settings_;
  State state_ = State::Idle;
  ParseError error_;
  Request request_;
  bool last_was_value_ = false;
  bool head_checked_ = false;

  // Chunk framing (B06): bytes between body pieces of a chunked body, i.e. the chunk-size
  // line with its extensions. libhttp-parser skips extensions without a callback.
  bool chunked_ = false;
  const char* framing_from_ = nullptr;  // inside the buffer being fed
  size_t framing_carry_ = 0;            // counted in earlier feeds

  // Head scanner state.
  bool head_end_seen_ = false;
  size_t line_index_ = 0;  // 0: request line
  size_t line_len_ = 0;
  size_t header_bytes_ = 0;
  bool prev_cr_ = false;
  bool method_done_ = false;
  std::string method_raw_;
};

}  // namespace od::http
