#pragma once
// Safe extraction of an UNTRUSTED archive (an upstream tarball/zipball) into a private
// directory, and GitHub wrapper removal.
//
// DESIGN
// - Only tar (plain or gzip) and zip are readable (newRestrictedReader()).
// - Every entry passes entry_rules before anything is written. Only regular files and
//   directories are extracted: ALL symlinks and hardlinks are refused (a module has no need
//   for them, and "links pointing inside the tree" invites TOCTOU games; B58), as are devices,
//   FIFOs and sockets (B59). Encrypted entries are Unsupported (B64).
// - Sizes in headers are never trusted: expanded bytes are counted while streaming and the
//   extraction stops at the budget (B61); the overall ratio expanded/compressed is checked as
//   bytes arrive once past a small-file allowance. Overlapping zip entries (Fifield bombs) are
//   caught by the same byte budget and refused up front by checkZipConsistency(), which also
//   refuses local/central name mismatches (B63).
// - Files get mode 0644, or 0755 when the entry had any execute bit; directories 0755.
//   setuid/setgid/sticky bits never survive. Archives nested inside are plain files (B66).
// - On any rejection the caller discards the destination (a TempDir); nothing is stored.
// Thread affinity: blocking; run on the WorkerPool. Pure-ish: paths in, Result out.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/archive/archive_limits.h"
#include "core/result.h"

namespace od::adapters::archive {

struct TreeEntry {
  std::string path;  // normalized, relative, '/'-separated, no trailing '/'
  bool is_dir = false;
  bool executable = false;
  uint64_t size = 0;
};

// A directory on disk and the entries below it that will be packaged.
struct Tree {
  std::string root;
  std::vector<TreeEntry> entries;
  uint64_t total_bytes = 0;
  std::optional<std::string> stripped;  // the wrapper directory removed, if any
};

// Extracts `archive_path` into `dest_dir` (which must exist and be empty and private).
// Errors: rejections (see archive_limits.h), Errc::Unavailable for local I/O failures.
core::Result<Tree> extractArchive(const std::string& archive_path, const std::string& dest_dir,
                                  const ArchiveLimits& limits);

// GitHub's zipball/tarball put everything under one "<owner>-<repo>-<sha>/" directory. When
// every entry lies under a single top-level directory, returns the tree re-rooted there
// (`stripped` names it); otherwise returns `tree` unchanged.
Tree stripWrapper(Tree tree);

}  // namespace od::adapters::archive
