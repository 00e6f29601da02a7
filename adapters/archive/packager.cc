#include "adapters/archive/packager.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "adapters/archive/local_source.h"
#include "adapters/archive/repack.h"
#include "adapters/archive/temp_dir.h"

namespace od::adapters::archive {
namespace {

PackFormat packFormat(core::ArtifactFormat format) {
  return format == core::ArtifactFormat::TarGz ? PackFormat::TarGz : PackFormat::Zip;
}

// The port promises Invalid for every refusal of the safety rules; reject() gives Corrupt for
// an unreadable archive, which is a refusal too (the message keeps its "corrupt:" code).
core::Error portError(core::Error error) {
  if (rejectReasonOf(error).has_value()) {
    error.code = core::Errc::Invalid;
  }
  return error;
}

// Hashes the packaged file and describes it; removes it when anything failed.
core::Result<core::PackagedArtifact> finish(core::Result<PackResult> packed, const std::string& out_path,
                                            const core::Hasher& hasher, size_t chunk_bytes) {
  if (!packed.ok()) {
    ::unlink(out_path.c_str());
    return portError(std::move(packed).takeError());
  }
  auto digest = hashFile(hasher, out_path, chunk_bytes);
  if (!digest.ok()) {
    ::unlink(out_path.c_str());
    return std::move(digest).takeError();
  }
  return core::PackagedArtifact{out_path, digest->size, digest->sha256, packed->entries, packed->stripped};
}

}  // namespace

core::Result<FileDigest> hashFile(const core::Hasher& hasher, const std::string& path, size_t chunk_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return core::makeError(core::Errc::Unavailable, "cannot open " + path + ": " + std::strerror(errno));
  }
  auto stream = hasher.sha256();
  std::string buf(chunk_bytes == 0 ? 64 * 1024 : chunk_bytes, '\0');
  FileDigest out;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return core::makeError(core::Errc::Unavailable, "cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) {
      break;
    }
    stream->update(std::string_view(buf.data(), static_cast<size_t>(n)));
    out.size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  out.sha256 = stream->finish();
  return out;
}

ArchivePackager::ArchivePackager(loop::EventLoop& loop, exec::WorkerPool& pool, PackagerOptions options,
                                 const core::Hasher& hasher)
    : loop_(loop), pool_(pool), options_(std::make_shared<const PackagerOptions>(std::move(options))),
      hasher_(hasher) {}

template <typename Job, typename T>
core::CancelablePtr ArchivePackager::run(Job job, Callback<T> done) {
  auto handle = pool_.submit(std::move(job), done);
  if (handle.ok()) {
    return std::move(*handle);
  }
  return exec::postCancelable(loop_, [done = std::move(done), error = handle.error()] { done(error); });
}

core::CancelablePtr ArchivePackager::repack(core::RepackJob job, Callback<core::PackagedArtifact> done) {
  return run(
      [options = options_, hasher = &hasher_, job = std::move(job)] {
        RepackRequest request{job.archive_path, job.out_path, options->temp_parent, packFormat(job.format),
                              job.strip_wrapper, options->limits};
        return finish(repackArchive(request), job.out_path, *hasher, options->hash_chunk_bytes);
      },
      std::move(done));
}

core::CancelablePtr ArchivePackager::packageLocal(core::LocalPackageJob job, Callback<core::PackagedArtifact> done) {
  return run(
      [options = options_, hasher = &hasher_, job = std::move(job)] {
        LocalSourceRequest request{job.url, job.version, job.out_path, options->temp_parent,
                                   packFormat(job.format), options->limits};
        return finish(packageLocalSource(request), job.out_path, *hasher, options->hash_chunk_bytes);
      },
      std::move(done));
}

core::CancelablePtr ArchivePackager::zipDirhash(std::string zip_path, Callback<std::string> done) {
  return run(
      [options = options_, hasher = &hasher_, path = std::move(zip_path)]() -> core::Result<std::string> {
        auto h1 = archive::zipDirhash(path, *hasher, options->zip_hash_limits);
        if (!h1.ok()) {
          return portError(std::move(h1).takeError());
        }
        return h1;
      },
      std::move(done));
}

size_t ArchivePackager::sweepStale(std::chrono::seconds older_than) const {
  return sweepStaleTempDirs(options_->temp_parent, kExtractDirPrefix, older_than);
}

}  // namespace od::adapters::archive
