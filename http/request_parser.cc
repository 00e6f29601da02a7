#include "http/request_parser.h"

#include <utility>

#include "http/target.h"

namespace od::http {

namespace {

// A chunk-size line: up to 16 hex digits, CRLFs around it, and at most 1 KiB of extensions.
constexpr size_t kMaxChunkLine = 1024 + 32;

RequestParser* self(http_parser* p) { return static_cast<RequestParser*>(p->data); }

// True when libhttp-parser knows `method` (its table ends where http_method_str says so).
bool isParserMethod(std::string_view method) {
  for (int m = 0; m < 64; ++m) {
    std::string_view name = http_method_str(static_cast<http_method>(m));
    if (name == "<unknown>") {
      return false;
    }
    if (name == method) {
      return true;
    }
  }
  return false;
}

}  // namespace

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &RequestParser::onMessageBegin;
  settings_.on_url = &RequestParser::onUrl;
  settings_.on_header_field = &RequestParser::onHeaderField;
  settings_.on_header_value = &RequestParser::onHeaderValue;
  settings_.on_headers_complete = &RequestParser::onHeadersComplete;
  settings_.on_body = &RequestParser::onBody;
  settings_.on_message_complete = &RequestParser::onMessageComplete;
  parser_.data = this;
  reset();
}

void RequestParser::reset() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  state_ = State::Idle;
  request_ = Request{};
  last_was_value_ = false;
  head_checked_ = false;
  chunked_ = false;
  framing_from_ = nullptr;
  framing_carry_ = 0;
  head_end_seen_ = false;
  line_index_ = 0;
  line_len_ = 0;
  header_bytes_ = 0;
  prev_cr_ = false;
  method_done_ = false;
  method_raw_.clear();
}

Request RequestParser::takeRequest() {
  Request out = std::move(request_);
  reset();
  return out;
}

void RequestParser::fail(int status, std::string message) {
  state_ = State::Failed;
  error_ = ParseError{status, std::move(message)};
}

size_t RequestParser::feed(std::string_view data) {
  if (data.empty() || state_ == State::Complete || state_ == State::Failed) {
    return 0;
  }
  if (state_ == State::Idle) {
    state_ = State::Head;
  }
  size_t to_parse = data.size();
  framing_from_ = data.data();
  if (!head_end_seen_) {
    to_parse = scanHead(data);
    if (state_ == State::Failed) {
      return to_parse;
    }
    if (head_end_seen_) {
      framing_from_ = data.data() + to_parse;
      to_parse = data.size();  // the rest is body or the next request; the parser stops itself
    }
  }
  size_t n = http_parser_execute(&parser_, &settings_, data.data(), to_parse);
  if (state_ == State::Failed || state_ == State::Complete) {
    return n;
  }
  countFramingTail(data.data() + n);
  if (state_ == State::Failed) {
    return n;
  }
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
    failFromParser();
  }
  return n;
}

size_t RequestParser::scanHead(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (!scanByte(static_cast<unsigned char>(data[i]))) {
      return i;
    }
    if (head_end_seen_) {
      return i + 1;
    }
  }
  return data.size();
}

// The byte checks libhttp-parser's non-strict build skips, plus the size limits. This is
// not a parser: it only looks at line boundaries and byte classes.
bool RequestParser::scanByte(unsigned char c) {
  if (prev_cr_ && c != '\n') {
    fail(400, "bare CR in request head");
    return false;
  }
  if (c == '\r') {
    prev_cr_ = true;
    return true;
  }
  if (c == '\n') {
    prev_cr_ = false;
    if (line_len_ == 0) {
      head_end_seen_ = line_index_ > 0;  // leading empty lines are ignored (RFC 9112 §2.2)
      return true;
    }
    ++line_index_;
    line_len_ = 0;
    if (line_index_ - 1 > limits_.max_header_count) {
      fail(431, "too many header fields");
      return false;
    }
    return true;
  }
  if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
    fail(400, "control character in request head");
    return false;
  }
  if (line_len_ == 0 && line_index_ > 0 && (c == ' ' || c == '\t')) {
    fail(400, "obsolete line folding in header");
    return false;
  }
  return countHeadByte(c);
}

// Size limits of the request line and the header section (B01, B02).
bool RequestParser::countHeadByte(unsigned char c) {
  ++line_len_;
  if (line_index_ == 0) {
    if (line_len_ > limits_.max_request_line) {
      fail(414, "request line too long");
      return false;
    }
    if (!method_done_ && c == ' ') {
      method_done_ = true;
    } else if (!method_done_) {
      method_raw_.push_back(static_cast<char>(c));
    }
    return true;
  }
  ++header_bytes_;
  if (line_len_ > limits_.max_header_line) {
    fail(431, "header field too large");
    return false;
  }
  if (header_bytes_ > limits_.max_header_bytes) {
    fail(431, "header section too large");
    return false;
  }
  return true;
}

void RequestParser::failFromParser() {
  auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_INVALID_METHOD || !isParserMethod(method_raw_)) {
    // A well-formed token we do not know is 501; anything else in method position is 400.
    if (method_raw_ == "PRI") {
      fail(400, "HTTP/2 is not supported on this port");
    } else if (isToken(method_raw_) && method_done_) {
      fail(501, "method not implemented");
    } else {
      fail(400, "invalid method token");
    }
    return;
  }
  if (!head_checked_ && head_end_seen_ && headersComplete() != 0) {
    return;  // our own verdict on the head is the clearer one
  }
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      // Past the head this is a chunk-size line (extensions included) over the library's cap.
      if (state_ == State::Body) {
        fail(400, "chunk header too long");
      } else {
        fail(431, "header section too large");
      }
      return;
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      fail(400, "invalid Content-Length");
      return;
    case HPE_INVALID_TRANSFER_ENCODING:
      fail(400, "malformed Transfer-Encoding");
      return;
    default:
      fail(400, std::string("malformed request: ") + http_errno_description(err));
      return;
  }
}

int RequestParser::headersComplete() {
  head_checked_ = true;
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  request_.http_minor = parser_.http_minor;
  HeadFacts facts{request_.method, request_.target, parser_.http_major, parser_.http_minor,
                  &request_.headers, limits_.max_body};
  HeadVerdict verdict = checkHead(facts);
  if (verdict.error) {
    fail(verdict.error->status, std::move(verdict.error->message));
    return -1;
  }
  core::Result<DecodedTarget> decoded = decodeTarget(request_.target);
  if (!decoded.ok()) {
    fail(400, decoded.error().message);
    return -1;
  }
  request_.segments = std::move(decoded->segments);
  request_.query = std::move(decoded->query);
  request_.keep_alive = http_should_keep_alive(&parser_) != 0;
  chunked_ = verdict.framing.chunked;
  state_ = State::Body;
  return 0;
}

int RequestParser::onMessageBegin(http_parser* p) {
  self(p)->state_ = State::Head;
  return 0;
}

int RequestParser::onUrl(http_parser* p, const char* at, size_t len) {
  self(p)->request_.target.append(at, len);
  return 0;
}

int RequestParser::onHeaderField(http_parser* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  if (s->last_was_value_ || s->request_.headers.empty()) {
    s->request_.headers.emplace_back();
  }
  s->last_was_value_ = false;
  s->request_.headers.back().name.append(at, len);
  return 0;
}

int RequestParser::onHeaderValue(http_parser* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  s->last_was_value_ = true;
  if (s->request_.headers.empty()) {
    s->request_.headers.emplace_back();
  }
  s->request_.headers.back().value.append(at, len);
  return 0;
}

int RequestParser::onHeadersComplete(http_parser* p) { return self(p)->headersComplete(); }

// Framing bytes at the end of a fed buffer wait for the next body piece; the last chunk's
// line and the trailer fields have none, so they are bounded together by the header limit.
void RequestParser::countFramingTail(const char* end) {
  if (state_ != State::Body || !chunked_ || end <= framing_from_) {
    return;
  }
  framing_carry_ += static_cast<size_t>(end - framing_from_);
  if (framing_carry_ > kMaxChunkLine + limits_.max_header_bytes) {
    fail(400, "chunk extension or trailer section too long");
  }
}

int RequestParser::onBody(http_parser* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  if (s->chunked_) {
    size_t gap = s->framing_carry_ + static_cast<size_t>(at > s->framing_from_ ? at - s->framing_from_ : 0);
    if (gap > kMaxChunkLine) {
      s->fail(400, "chunk extension too long");
      return -1;
    }
    s->framing_carry_ = 0;
    s->framing_from_ = at + len;
  }
  if (s->request_.body.size() + len > s->limits_.max_body) {
    s->fail(413, "request body too large");
    return -1;
  }
  s->request_.body.append(at, len);
  return 0;
}

int RequestParser::onMessageComplete(http_parser* p) {
  self(p)->state_ = State::Complete;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace od::http
