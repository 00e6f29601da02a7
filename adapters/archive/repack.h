#pragma once
// Deterministic packaging of a module tree as zip or tar.gz, and the one-call pipeline the
// worker uses for an untrusted upstream archive (extract → strip wrapper → repack).
//
// DESIGN (ARCHITECTURE "Decisions": repackaging is deterministic)
// - Entries are sorted by path (bytewise); directories are included (trailing '/').
// - Every entry has mtime 1980-01-02T00:00:00Z (zip's DOS time starts in 1980, and libarchive
//   converts it with localtime(): one day past the epoch keeps it valid in every time zone;
//   byte-identical zips across hosts still need the same TZ — the images run with TZ=UTC),
//   uid/gid 0, no user/group names, mode 0644 for files, 0755 for directories and executables.
// - tar.gz is POSIX pax (restricted: ustar unless a name needs pax) + gzip level 6 without
//   timestamp or file name; zip uses deflate.
// So the same source gives byte-identical output and the same SHA-256, whatever the order of
// the source's entries.
// Thread affinity: blocking; run on the WorkerPool.

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/archive/archive_limits.h"
#include "adapters/archive/safe_extract.h"
#include "core/result.h"

namespace od::adapters::archive {

enum class PackFormat { Zip, TarGz };

// The fixed mtime of every packaged entry (1980-01-02T00:00:00Z).
inline constexpr int64_t kFixedMtime = 315619200;

struct PackResult {
  uint64_t size = 0;                    // bytes of the written archive
  size_t entries = 0;                   // entries written
  std::optional<std::string> stripped;  // wrapper directory removed, if any
};

// Writes `tree` (its entries, read from tree.root) to `out_path` (created or truncated).
core::Result<PackResult> packTree(const Tree& tree, PackFormat format, const std::string& out_path);

struct RepackRequest {
  std::string archive_path;  // the untrusted download
  std::string out_path;      // the deterministic result
  std::string temp_parent;   // where the private extraction directory goes
  PackFormat format = PackFormat::Zip;
  bool strip_wrapper = true;  // GitHub archives: yes
  ArchiveLimits limits;
};

// The prefix of repackArchive()'s extraction directories under temp_parent (for
// sweepStaleTempDirs() at worker start).
inline constexpr const char* kExtractDirPrefix = ".od-extract-";

// Extracts safely into a temporary directory (removed before returning), strips the wrapper
// directory when asked, and packs deterministically.
core::Result<PackResult> repackArchive(const RepackRequest& request);

// Lists a local folder as a Tree under the same rules as an archive (no links, no special
// files, names, limits). ".git" directories are skipped.
core::Result<Tree> scanFolder(const std::string& root, const ArchiveLimits& limits);

}  // namespace od::adapters::archive
