#pragma once
// Limits and rejection reasons for untrusted archives (reliability-security.md §2f, B57-B66).
//
// A rejection is a core::Error whose message starts with a stable machine code followed by a
// sentence a user understands:
//   "path-traversal: archive entry '../x' escapes the archive root"
// Statuses show the message; rejectReasonOf() recovers the code from any Error that went
// through events and logs, and conditionFor() maps it to the Version condition reason
// (UnsafeArchive, ArchiveTooLarge, CorruptArchive, UnsupportedArchive).
// Thread affinity: plain values and pure functions, any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace od::adapters::archive {

struct ArchiveLimits {
  uint64_t max_entries = 10'000;                      // entries, directories included
  uint64_t max_expanded_bytes = 256ull << 20;         // bytes written, counted while streaming
  uint64_t max_compressed_bytes = 50ull << 20;        // size of the archive file
  uint64_t max_ratio = 100;                           // expanded / compressed, overall
  uint64_t ratio_allowance_bytes = 1ull << 20;        // expanded bytes below which no ratio check
  size_t max_path_bytes = 1024;                       // whole entry path
  size_t max_component_bytes = 255;                   // one path component
  size_t max_depth = 64;                              // path components
};

enum class RejectReason {
  PathTraversal,      // a ".." component
  AbsolutePath,       // "/x", "C:\x", "C:/x", UNC
  Link,               // symlink or hardlink (all links are refused)
  SpecialFile,        // device, FIFO, socket
  TooManyEntries,
  TooLarge,           // expanded bytes over budget
  CompressedTooLarge,
  CompressionRatio,
  PathTooLong,
  ComponentTooLong,
  TooDeep,
  Duplicate,          // same path twice, file-vs-directory or case-only clash
  BadName,            // empty, non-UTF-8, control characters, backslash
  Corrupt,            // libarchive could not read it
  Unsupported,        // not tar/tar.gz/zip, or encrypted
};

// "path-traversal", "absolute-path", ...
std::string_view reasonCode(RejectReason reason);
// "UnsafeArchive", "ArchiveTooLarge", "CorruptArchive" or "UnsupportedArchive".
std::string_view conditionFor(RejectReason reason);
// The reason encoded in an Error made by reject(); nullopt for other errors.
std::optional<RejectReason> rejectReasonOf(const core::Error& error);

// Errc::Corrupt for Corrupt, Errc::Invalid for everything else.
core::Error reject(RejectReason reason, std::string_view sentence);

// Renders an untrusted name for a message: control bytes and non-ASCII as \xNN, capped.
std::string quoteName(std::string_view name);

}  // namespace od::adapters::archive
