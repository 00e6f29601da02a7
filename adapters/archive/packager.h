#pragma once
// ArchivePackager: core::Packager on libarchive. repack() runs repackArchive() (safe
// extraction, GitHub wrapper stripped, deterministic repack) and packageLocal() runs
// packageLocalSource() (file:// folders and archives), both on the WorkerPool; then the
// result file is hashed in bounded memory (one chunk at a time) on the same pool thread, and
// the callback comes back on the loop thread. zipDirhash() runs dirhash.h's zipDirhash() on
// the pool.
//
// DESIGN
// - Errors follow the port: every archive rejection (archive_limits.h, the Corrupt one too)
//   is Errc::Invalid with the rejection's message ("path-traversal: archive entry '../x'
//   escapes the archive root"); a missing local path is NotFound; a bad file:// URL is
//   Invalid; local I/O failures stay Unavailable (retryable); a full pool answers
//   Unavailable through the callback (posted, never re-entrant).
// - On failure the job removes `out_path`, so a half-written artifact is never left behind.
//   The caller owns `out_path` on success and the input archive always.
// - Extraction directories go under `temp_parent` (kExtractDirPrefix); sweepStale() removes
//   the ones a killed worker left (run it at startup).
// Thread affinity: loop thread only (like the port). `*loop`, `*pool` and `*hasher` must
// outlive the packager, and `*hasher` must also outlive the jobs still running on the pool
// (destroy it after pool.shutdown()). Handles cancel the callbacks, not running jobs.

#include <chrono>
#include <memory>
#include <string>

#include "adapters/archive/archive_limits.h"
#include "adapters/archive/dirhash.h"
#include "adapters/exec/worker_pool.h"
#include "adapters/loop/event_loop.h"
#include "core/ports/hasher.h"
#include "core/ports/packager.h"

namespace od::adapters::archive {

struct PackagerOptions {
  std::string temp_parent;      // where private extraction directories are created
  ArchiveLimits limits;         // applied to every untrusted archive and local source
  size_t hash_chunk_bytes = 256 * 1024;  // read size while hashing the result
  ZipHashLimits zip_hash_limits;         // applied by zipDirhash() to provider zips
};

class ArchivePackager final : public core::Packager {
 public:
  ArchivePackager(loop::EventLoop& loop, exec::WorkerPool& pool, PackagerOptions options,
                  const core::Hasher& hasher);

  // core::Packager
  core::CancelablePtr repack(core::RepackJob job, Callback<core::PackagedArtifact> done) override;
  core::CancelablePtr packageLocal(core::LocalPackageJob job,
                                   Callback<core::PackagedArtifact> done) override;
  core::CancelablePtr zipDirhash(std::string zip_path, Callback<std::string> done) override;

  // Removes extraction directories under temp_parent older than `older_than` (blocking: call
  // it at startup, before the loop runs, or from a pool job). Returns how many were removed.
  size_t sweepStale(std::chrono::seconds older_than) const;

 private:
  template <typename Job, typename T>
  core::CancelablePtr run(Job job, Callback<T> done);

  loop::EventLoop& loop_;
  exec::WorkerPool& pool_;
  std::shared_ptr<const PackagerOptions> options_;  // shared with running jobs
  const core::Hasher& hasher_;
};

// Blocking helpers, exposed for tests. The SHA-256 and size of a file, read in chunks of
// `chunk_bytes`. Errc::Unavailable when it cannot be read.
struct FileDigest {
  uint64_t size = 0;
  core::Sha256 sha256;
};
core::Result<FileDigest> hashFile(const core::Hasher& hasher, const std::string& path,
                                  size_t chunk_bytes);

}  // namespace od::adapters::archive
