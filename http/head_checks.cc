#include "http/head_checks.h"

namespace od::http {

namespace {

ParseError bad(std::string message) { return ParseError{400, std::move(message)}; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Content-Length must be 1*DIGIT (no sign, no hex, no list), at most 19 digits.
std::optional<uint64_t> parseContentLength(std::string_view v) {
  v = trimOws(v);
  if (v.empty() || v.size() > 19) {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// Transfer-Encoding: exactly "chunked" is served; a well-formed list of other codings is
// 501, anything else 400 (B05).
std::optional<ParseError> checkTransferEncoding(std::string_view v) {
  v = trimOws(v);
  if (equalsIgnoreCase(v, "chunked")) {
    return std::nullopt;
  }
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string_view item = trimOws(v.substr(pos, comma == v.npos ? v.npos : comma - pos));
    if (!isToken(item)) {
      return bad("malformed Transfer-Encoding");
    }
    if (comma == v.npos) {
      break;
    }
    pos = comma + 1;
  }
  return ParseError{501, "unsupported Transfer-Encoding (only chunked is accepted)"};
}

struct HeaderCounts {
  int content_length = 0;
  int transfer_encoding = 0;
  int host = 0;
  const std::string* cl_value = nullptr;
  const std::string* te_value = nullptr;
};

HeaderCounts countFraming(const Headers& headers) {
  HeaderCounts c;
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, "content-length")) {
      ++c.content_length;
      c.cl_value = &h.value;
    } else if (equalsIgnoreCase(h.name, "transfer-encoding")) {
      ++c.transfer_encoding;
      c.te_value = &h.value;
    } else if (equalsIgnoreCase(h.name, "host")) {
      ++c.host;
    }
  }
  return c;
}

std::optional<ParseError> checkFieldBytes(const Headers& headers) {
  for (const Header& h : headers) {
    if (!isToken(h.name)) {
      return bad("invalid header field name");
    }
    if (!isFieldValueBytes(h.value)) {
      return bad("invalid character in header field value");
    }
  }
  return std::nullopt;
}

// Framing rules (B03, B04, B05, B09) and the body limit.
HeadVerdict checkFraming(const HeadFacts& head, const HeaderCounts& c) {
  HeadVerdict v;
  if (c.content_length > 0 && c.transfer_encoding > 0) {
    v.error = bad("both Content-Length and Transfer-Encoding");
  } else if (c.content_length > 1) {
    v.error = bad("duplicate Content-Length");
  } else if (c.transfer_encoding > 1) {
    v.error = bad("duplicate Transfer-Encoding");
  } else if (c.transfer_encoding == 1) {
    v.error = head.http_minor == 0 ? bad("Transfer-Encoding in an HTTP/1.0 request")
                                   : checkTransferEncoding(*c.te_value);
    v.framing.chunked = true;
  } else if (c.content_length == 1) {
    std::optional<uint64_t> n = parseContentLength(*c.cl_value);
    if (!n) {
      v.error = bad("invalid Content-Length");
    } else {
      v.framing.content_length = *n;
    }
  }
  if (v.error) {
    return v;
  }
  bool has_body = v.framing.chunked || v.framing.content_length > 0;
  if (has_body && (head.method == "GET" || head.method == "HEAD")) {
    v.error = bad("a " + std::string(head.method) + " request must not carry a body");
  } else if (v.framing.content_length > head.max_body) {
    v.error = ParseError{413, "request body too large"};
  }
  return v;
}

}  // namespace

bool isTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTchar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool isFieldValueBytes(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) {
      return false;
    }
  }
  return true;
}

HeadVerdict checkHead(const HeadFacts& head) {
  HeadVerdict v;
  if (head.http_major != 1) {
    v.error = bad("unsupported HTTP version");
    return v;
  }
  if (!isToken(head.method)) {
    v.error = bad("invalid method token");
    return v;
  }
  if (auto e = checkFieldBytes(*head.headers)) {
    v.error = std::move(e);
    return v;
  }
  HeaderCounts counts = countFraming(*head.headers);
  if (counts.host > 1 || (head.http_minor >= 1 && counts.host == 0)) {
    v.error = bad(counts.host > 1 ? "duplicate Host header" : "missing Host header");
    return v;
  }
  if (head.target.empty() || head.target[0] != '/') {
    v.error = bad("request target must be an absolute path (origin-form)");
    return v;
  }
  return checkFraming(head, counts);
}

}  // namespace od::http
