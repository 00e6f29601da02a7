#pragma once
// The "h1:" hash of a provider zip (Go's sumdb/dirhash Hash1 over HashZip, as OpenTofu and
// Terraform record it in lock files and network mirrors; protocol-conformance §4.2): every
// entry name as stored (directory entries included, with empty content), sorted byte-wise;
// one line "<lowercase hex sha256 of the content>  <name>\n" each; the result is "h1:" +
// base64(sha256(all lines)).
//
// DESIGN
// - The zip is read with libarchive in one pass, content streamed through the Hasher in
//   chunks: memory is bounded by the entry count (a name and a digest each), never by the
//   entry sizes. Nothing is extracted to disk.
// - Only the zip format is enabled; anything else is refused. The structural check of
//   zip_consistency.h runs first (overlapping-entry bombs, names that differ between the
//   central directory and the local headers), then the limits below while streaming.
// - A symbolic link entry's content is its target text (what Go's zip reader returns for it).
// - Refusals: a name containing '\n' (Go refuses it too), a name that appears twice (Go would
//   hash the last copy twice; an ambiguous zip is not worth mirroring), encrypted entries,
//   anything libarchive cannot read (bad CRC, truncated data). All are archive_limits.h
//   rejections, so the message starts with its code ("corrupt: ...").
// Thread affinity: blocking; run on the WorkerPool (ArchivePackager::zipDirhash does).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/checksum.h"
#include "core/ports/hasher.h"
#include "core/result.h"

namespace od::adapters::archive {

struct ZipHashLimits {
  uint64_t max_entries = 10'000;               // entries, directories included
  uint64_t max_expanded_bytes = 8ull << 30;    // content bytes hashed, counted while streaming
  uint64_t max_ratio = 100;                    // expanded / zip size, overall
  uint64_t ratio_allowance_bytes = 1ull << 20; // expanded bytes below which no ratio check
  size_t chunk_bytes = 64 * 1024;              // read size while hashing
};

// Hash1 over (name, content digest) pairs, in any order: sorts them and renders "h1:...".
// Errc::Invalid when a name contains '\n'.
core::Result<std::string> dirhash1(std::vector<std::pair<std::string, core::Sha256>> files,
                                   const core::Hasher& hasher);

// The h1 of the zip at `path`. Rejections as described above; Errc::Unavailable when the
// file cannot be opened.
core::Result<std::string> zipDirhash(const std::string& path, const core::Hasher& hasher,
                                     const ZipHashLimits& limits);

}  // namespace od::adapters::archive
