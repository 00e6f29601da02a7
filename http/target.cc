#include "http/target.h"

#include <cstdint>

#include "core/base64.h"

namespace od::http {

namespace {

bool isUnreservedOrSubDelim(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '-': case '.': case '_': case '~':                                   // unreserved
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*':   // sub-delims
    case '+': case ',': case ';': case '=':
    case ':': case '@': case '/': case '?': case '%':
      return true;
    default:
      return false;
  }
}

core::Error invalid(std::string message) {
  return core::makeError(core::Errc::Invalid, std::move(message));
}

// Decodes one path segment once and checks the decoded bytes.
core::Result<std::string> decodeSegment(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool had_escape = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out.push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size()) {
      return invalid("malformed percent-encoding in path");
    }
    int hi = core::hexDigitValue(raw[i + 1]);
    int lo = core::hexDigitValue(raw[i + 2]);
    if (hi < 0 || lo < 0) {
      return invalid("malformed percent-encoding in path");
    }
    unsigned char c = static_cast<unsigned char>(hi * 16 + lo);
    if (c == '/' || c == '\\') {
      return invalid("encoded slash or backslash in path");
    }
    if (c < 0x20 || c == 0x7f) {
      return invalid("encoded control character in path");
    }
    out.push_back(static_cast<char>(c));
    had_escape = true;
    i += 2;
  }
  if (out == "." || out == "..") {
    return invalid(had_escape ? "encoded dot-segment in path" : "dot-segment in path");
  }
  if (!isValidUtf8(out)) {
    return invalid("invalid UTF-8 in path");
  }
  return out;
}

}  // namespace

bool isTargetGrammar(std::string_view target) {
  for (char c : target) {
    if (!isUnreservedOrSubDelim(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool isValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    auto b0 = static_cast<unsigned char>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > bytes.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(bytes[i + k]);
      if ((b & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

core::Result<DecodedTarget> decodeTarget(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    return invalid("request target must be an absolute path (origin-form)");
  }
  if (!isTargetGrammar(target)) {
    return invalid("invalid character in request target");
  }
  DecodedTarget out;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) {
    out.query = std::string(target.substr(q + 1));
  }
  size_t pos = 1;
  while (true) {
    size_t slash = path.find('/', pos);
    std::string_view raw = path.substr(pos, slash == std::string_view::npos ? path.npos : slash - pos);
    OD_TRY(std::string segment, decodeSegment(raw));
    out.segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  return out;
}

}  // namespace od::http
