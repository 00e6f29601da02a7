#include "adapters/storage/fs/key.h"

namespace od::adapters::storage {
namespace {

core::Error invalidKey(std::string_view key, std::string_view why) {
  std::string shown(key.substr(0, 200));
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return core::makeError(core::Errc::Invalid, "storage key '" + shown + "' " + std::string(why));
}

core::Status checkComponent(std::string_view key, std::string_view part, bool first) {
  if (part.empty()) {
    return invalidKey(key, "has an empty path component");
  }
  if (part == "." || part == "..") {
    return invalidKey(key, "has a '.' or '..' component and would escape the storage root");
  }
  if (part.size() > kMaxComponentBytes) {
    return invalidKey(key, "has a component longer than 255 bytes");
  }
  if ((first && part == kMetaDir) || part.starts_with(kTempPrefix)) {
    return invalidKey(key, "uses a name reserved by the filesystem store");
  }
  return core::okStatus();
}

}  // namespace

core::Result<std::vector<std::string>> splitKey(std::string_view key) {
  if (key.empty()) {
    return invalidKey(key, "is empty");
  }
  if (key.size() > kMaxKeyBytes) {
    return invalidKey(key, "is longer than 1024 bytes");
  }
  if (key.front() == '/') {
    return invalidKey(key, "is absolute and would escape the storage root");
  }
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      return invalidKey(key, "contains a backslash");
    }
    if (c < 0x20 || c == 0x7f) {
      return invalidKey(key, "contains NUL or control characters");
    }
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t slash = key.find('/', start);
    const auto part = key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (auto st = checkComponent(key, part, parts.empty()); !st.ok()) {
      return std::move(st).takeError();
    }
    parts.emplace_back(part);
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return parts;
}

}  // namespace od::adapters::storage
