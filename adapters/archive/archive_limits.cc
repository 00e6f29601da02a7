#include "adapters/archive/archive_limits.h"

#include <array>
#include <cstdio>
#include <utility>

namespace od::adapters::archive {
namespace {

constexpr std::array<std::pair<RejectReason, std::string_view>, 15> kCodes{{
    {RejectReason::PathTraversal, "path-traversal"},
    {RejectReason::AbsolutePath, "absolute-path"},
    {RejectReason::Link, "link"},
    {RejectReason::SpecialFile, "special-file"},
    {RejectReason::TooManyEntries, "too-many-entries"},
    {RejectReason::TooLarge, "too-large"},
    {RejectReason::CompressedTooLarge, "compressed-too-large"},
    {RejectReason::CompressionRatio, "compression-ratio"},
    {RejectReason::PathTooLong, "path-too-long"},
    {RejectReason::ComponentTooLong, "component-too-long"},
    {RejectReason::TooDeep, "too-deep"},
    {RejectReason::Duplicate, "duplicate-entry"},
    {RejectReason::BadName, "bad-name"},
    {RejectReason::Corrupt, "corrupt"},
    {RejectReason::Unsupported, "unsupported"},
}};

}  // namespace

std::string_view reasonCode(RejectReason reason) {
  for (const auto& [r, code] : kCodes) {
    if (r == reason) {
      return code;
    }
  }
  return "unknown";
}

std::string_view conditionFor(RejectReason reason) {
  switch (reason) {
    case RejectReason::TooManyEntries:
    case RejectReason::TooLarge:
    case RejectReason::CompressedTooLarge:
    case RejectReason::CompressionRatio:
      return "ArchiveTooLarge";
    case RejectReason::Corrupt:
      return "CorruptArchive";
    case RejectReason::Unsupported:
      return "UnsupportedArchive";
    default:
      return "UnsafeArchive";
  }
}

std::optional<RejectReason> rejectReasonOf(const core::Error& error) {
  const auto colon = error.message.find(": ");
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  const std::string_view code(error.message.data(), colon);
  for (const auto& [r, c] : kCodes) {
    if (c == code) {
      return r;
    }
  }
  return std::nullopt;
}

core::Error reject(RejectReason reason, std::string_view sentence) {
  std::string message(reasonCode(reason));
  message += ": ";
  message += sentence;
  const auto code = reason == RejectReason::Corrupt ? core::Errc::Corrupt : core::Errc::Invalid;
  return core::makeError(code, std::move(message));
}

std::string quoteName(std::string_view name) {
  constexpr size_t kMaxShown = 120;
  std::string out = "'";
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMaxShown) {
    out += "...";
  }
  out += "'";
  return out;
}

}  // namespace od::adapters::archive
