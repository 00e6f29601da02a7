#pragma once
// Checks on a parsed request head for what Debian's non-strict libhttp-parser lets through
// (B03-B05, B07-B10, B14, B15). Pure functions; thread affinity: any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace od::http {

// A refused request: the status to answer and the message for {"errors":[...]}.
struct ParseError {
  int status = 400;
  std::string message;
};

bool isTchar(unsigned char c);
// RFC 9110 token: one or more tchar.
bool isToken(std::string_view s);
// RFC 9110 field-value bytes: VCHAR, obs-text, SP, HTAB.
bool isFieldValueBytes(std::string_view s);

struct HeadFacts {
  std::string_view method;
  std::string_view target;
  int http_major = 1;
  int http_minor = 1;
  const Headers* headers = nullptr;
  uint64_t max_body = 0;
};

// What the head says about the body that follows.
struct BodyFraming {
  bool chunked = false;
  uint64_t content_length = 0;
};

struct HeadVerdict {
  std::optional<ParseError> error;  // set: refuse the request and close
  BodyFraming framing;              // meaningful only without error
};

// Refuses a head that breaks the grammar or smuggling rules; otherwise says how the body is
// framed. The target itself is decoded separately (target.h). REQUIRES: head.headers != nullptr.
HeadVerdict checkHead(const HeadFacts& head);

}  // namespace od::http
