#include "adapters/archive/entry_rules.h"

#include <cctype>
#include <vector>

namespace od::adapters::archive {
namespace {

bool hasControl(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

bool looksAbsolute(std::string_view s) {
  if (!s.empty() && s[0] == '/') {
    return true;
  }
  // "C:x", "C:/x": a drive letter; backslash forms are refused separately.
  return s.size() >= 2 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':';
}

std::vector<std::string_view> splitPath(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t slash = s.find('/', start);
    const size_t end = slash == std::string_view::npos ? s.size() : slash;
    const auto part = s.substr(start, end - start);
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  return parts;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

bool isValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= bytes.size()) {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min_cp = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

core::Result<std::string> normalizeEntryName(std::string_view raw, const ArchiveLimits& limits) {
  const auto shown = quoteName(raw);
  if (raw.empty() || hasControl(raw) || !isValidUtf8(raw)) {
    return reject(RejectReason::BadName,
                  "archive entry " + shown + " has an empty name, control characters or bytes that are not UTF-8");
  }
  if (raw.size() > limits.max_path_bytes) {
    return reject(RejectReason::PathTooLong, "archive entry " + shown + " has a path longer than " +
                                                 std::to_string(limits.max_path_bytes) + " bytes");
  }
  if (looksAbsolute(raw) || raw.starts_with("\\\\")) {
    return reject(RejectReason::AbsolutePath, "archive entry " + shown + " is an absolute path");
  }
  if (raw.find('\\') != std::string_view::npos) {
    return reject(RejectReason::BadName,
                  "archive entry " + shown + " contains a backslash (Windows-style path)");
  }
  const auto parts = splitPath(raw);
  std::string out;
  for (const auto part : parts) {
    if (part == "..") {
      return reject(RejectReason::PathTraversal, "archive entry " + shown + " escapes the archive root");
    }
    if (part.size() > limits.max_component_bytes) {
      return reject(RejectReason::ComponentTooLong,
                    "archive entry " + shown + " has a path component longer than " +
                        std::to_string(limits.max_component_bytes) + " bytes");
    }
    if (!out.empty()) {
      out += '/';
    }
    out += part;
  }
  if (parts.size() > limits.max_depth) {
    return reject(RejectReason::TooDeep, "archive entry " + shown + " is nested deeper than " +
                                             std::to_string(limits.max_depth) + " directories");
  }
  return out;
}

core::Status PathSet::add(const std::string& path, bool is_dir) {
  const auto found = kinds_.find(path);
  if (found != kinds_.end()) {
    if (is_dir && found->second == Kind::ImpliedDir) {
      found->second = Kind::Dir;
      return core::okStatus();
    }
    return reject(RejectReason::Duplicate, "archive entry " + quoteName(path) + " appears more than once");
  }
  if (auto st = addImpliedParents(path); !st.ok()) {
    return st;
  }
  if (auto st = checkCase(path); !st.ok()) {
    return st;
  }
  kinds_.emplace(path, is_dir ? Kind::Dir : Kind::File);
  return core::okStatus();
}

core::Status PathSet::addImpliedParents(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string parent = path.substr(0, slash);
    const auto it = kinds_.find(parent);
    if (it != kinds_.end()) {
      if (it->second == Kind::File) {
        return reject(RejectReason::Duplicate, "archive entry " + quoteName(path) +
                                                   " lies below " + quoteName(parent) + ", which is a file");
      }
      continue;
    }
    if (auto st = checkCase(parent); !st.ok()) {
      return st;
    }
    kinds_.emplace(parent, Kind::ImpliedDir);
  }
  return core::okStatus();
}

core::Status PathSet::checkCase(const std::string& path) {
  const auto [it, inserted] = folded_.emplace(lower(path), path);
  if (!inserted && it->second != path) {
    return reject(RejectReason::Duplicate, "archive entries " + quoteName(it->second) + " and " +
                                               quoteName(path) + " differ only in letter case");
  }
  return core::okStatus();
}

}  // namespace od::adapters::archive
