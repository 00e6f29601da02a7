#pragma once
// Request-target checks and decoding (B15, B17-B20). Only origin-form targets are served:
// "/path?query". The path is split on '/' and each segment percent-decoded exactly once;
// encoded '/', '\', NUL, CR/LF or other controls, dot-segments (literal or encoded), bad
// escapes and invalid or overlong UTF-8 are refused before any routing.
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::http {

struct DecodedTarget {
  std::vector<std::string> segments;  // "/a/b/" → {"a", "b", ""}; "/" → {""}
  std::string query;                  // raw, without '?'
};

// True when every byte of `target` may appear in an origin-form request target
// (RFC 3986 pchar, '/', '?', '%'): no spaces, quotes, '\', '#', controls or non-ASCII.
bool isTargetGrammar(std::string_view target);

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, ≤ U+10FFFF).
bool isValidUtf8(std::string_view bytes);

// Errors are core::Errc::Invalid with a message fit for the {"errors":[...]} body.
core::Result<DecodedTarget> decodeTarget(std::string_view target);

}  // namespace od::http
