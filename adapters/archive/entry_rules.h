#pragma once
// Rules every entry of an untrusted archive (or a local folder) must pass before a byte of it
// is written: name checks and duplicate detection. Pure and blocking-free.
// Thread affinity: any thread; a PathSet belongs to one extraction.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "adapters/archive/archive_limits.h"
#include "core/result.h"

namespace od::adapters::archive {

// Validates an entry name and returns its normal form: components joined by '/', no "." or
// empty components, no trailing '/'. "" means the archive root itself ("./"), which callers
// skip. Rejects (see RejectReason): "..", absolute or drive/UNC paths, backslashes, control
// bytes, invalid UTF-8, and the length/depth limits.
core::Result<std::string> normalizeEntryName(std::string_view raw, const ArchiveLimits& limits);

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool isValidUtf8(std::string_view bytes);

// The paths seen so far in one archive. add() refuses a path seen before (a directory entry
// for a directory only implied by earlier files is fine), a file below a file, a directory
// where a file is, and a path equal to an earlier one but for ASCII case (A.tf / a.tf).
class PathSet {
 public:
  core::Status add(const std::string& path, bool is_dir);

 private:
  enum class Kind { File, Dir, ImpliedDir };
  core::Status addImpliedParents(const std::string& path);
  core::Status checkCase(const std::string& path);

  std::map<std::string, Kind> kinds_;
  std::map<std::string, std::string> folded_;  // lower-case path -> first spelling
};

}  // namespace od::adapters::archive
