#include "adapters/archive/dirhash.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "adapters/archive/archive_limits.h"
#include "adapters/archive/archive_ptr.h"
#include "adapters/archive/zip_consistency.h"

namespace od::adapters::archive {
namespace {

std::string libarchiveMessage(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg == nullptr ? std::string("unknown error") : quoteName(msg);
}

// A reader that knows the zip format only: a provider package is a zip, never a tar.
ArchiveReadPtr newZipReader() {
  ArchiveReadPtr a(archive_read_new());
  if (!a) {
    std::abort();  // allocation failure is fatal (house style §3)
  }
  archive_read_support_format_zip(a.get());
  return a;
}

// One pass over a zip: the running counters and the (name, digest) pairs.
class ZipHasher {
 public:
  ZipHasher(struct archive* a, const core::Hasher& hasher, const ZipHashLimits& limits, uint64_t zip_size)
      : a_(a), hasher_(hasher), limits_(limits), zip_size_(std::max<uint64_t>(zip_size, 1)),
        buf_(limits.chunk_bytes == 0 ? 64 * 1024 : limits.chunk_bytes, '\0') {}

  core::Status onEntry(struct archive_entry* entry);
  std::vector<std::pair<std::string, core::Sha256>> take() && { return std::move(files_); }

 private:
  core::Result<core::Sha256> hashContent(const std::string& shown);
  core::Status count(size_t n, const std::string& shown);

  struct archive* a_;
  const core::Hasher& hasher_;
  const ZipHashLimits& limits_;
  uint64_t zip_size_;
  std::string buf_;
  uint64_t expanded_ = 0;
  std::set<std::string> names_;
  std::vector<std::pair<std::string, core::Sha256>> files_;
};

core::Status ZipHasher::onEntry(struct archive_entry* entry) {
  if (files_.size() >= limits_.max_entries) {
    return reject(RejectReason::TooManyEntries,
                  "zip has more than " + std::to_string(limits_.max_entries) + " entries");
  }
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) {
    return reject(RejectReason::BadName, "zip entry has a name that cannot be read");
  }
  std::string name(raw);
  const std::string shown = quoteName(name);
  if (name.find('\n') != std::string::npos) {
    return reject(RejectReason::BadName, "zip entry " + shown + " has a newline in its name");
  }
  if (archive_entry_is_encrypted(entry)) {
    return reject(RejectReason::Unsupported, "zip entry " + shown + " is encrypted");
  }
  if (!names_.insert(name).second) {
    return reject(RejectReason::Duplicate, "zip entry " + shown + " appears twice");
  }
  core::Sha256 digest;
  if (archive_entry_filetype(entry) == AE_IFLNK) {
    const char* target = archive_entry_symlink(entry);
    const std::string_view text = target == nullptr ? std::string_view{} : std::string_view(target);
    if (auto st = count(text.size(), shown); !st.ok()) {
      return st;
    }
    digest = hasher_.sha256Of(text);
  } else {
    OD_TRY(digest, hashContent(shown));
  }
  files_.emplace_back(std::move(name), digest);
  return core::okStatus();
}

core::Result<core::Sha256> ZipHasher::hashContent(const std::string& shown) {
  auto stream = hasher_.sha256();
  for (;;) {
    const la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
    if (n == 0) {
      break;
    }
    if (n < 0) {
      return reject(RejectReason::Corrupt, "zip entry " + shown + " cannot be read: " + libarchiveMessage(a_));
    }
    if (auto st = count(static_cast<size_t>(n), shown); !st.ok()) {
      return std::move(st).takeError();
    }
    stream->update(std::string_view(buf_.data(), static_cast<size_t>(n)));
  }
  return stream->finish();
}

core::Status ZipHasher::count(size_t n, const std::string& shown) {
  expanded_ += n;
  if (expanded_ > limits_.max_expanded_bytes) {
    return reject(RejectReason::TooLarge, "zip expands to more than " + std::to_string(limits_.max_expanded_bytes) +
                                              " bytes (stopped at " + shown + ")");
  }
  if (expanded_ > limits_.ratio_allowance_bytes && expanded_ / zip_size_ >= limits_.max_ratio) {
    return reject(RejectReason::CompressionRatio,
                  "zip expands more than " + std::to_string(limits_.max_ratio) +
                      " times its size, which looks like a decompression bomb");
  }
  return core::okStatus();
}

// A header (or open) failure: "not a zip" before the first entry when libarchive recognised
// no format, corrupt otherwise.
core::Error readError(struct archive* a, uint64_t entries_seen) {
  const std::string msg = libarchiveMessage(a);
  if (entries_seen == 0 && msg.find("Unrecognized archive format") != std::string::npos) {
    return reject(RejectReason::Unsupported, "the file is not a zip archive");
  }
  return reject(RejectReason::Corrupt, "the zip cannot be read: " + msg);
}

}  // namespace

core::Result<std::string> dirhash1(std::vector<std::pair<std::string, core::Sha256>> files,
                                   const core::Hasher& hasher) {
  std::sort(files.begin(), files.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  auto summary = hasher.sha256();
  for (const auto& [name, digest] : files) {
    if (name.find('\n') != std::string::npos) {
      return core::makeError(core::Errc::Invalid, "file name " + quoteName(name) + " contains a newline");
    }
    summary->update(digest.hex());
    summary->update("  ");
    summary->update(name);
    summary->update("\n");
  }
  return "h1:" + summary->finish().base64();
}

core::Result<std::string> zipDirhash(const std::string& path, const core::Hasher& hasher,
                                     const ZipHashLimits& limits) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::makeError(core::Errc::Unavailable, "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (auto consistent = checkZipConsistency(path); !consistent.ok()) {
    return std::move(consistent).takeError();
  }
  auto a = newZipReader();
  if (archive_read_open_filename(a.get(), path.c_str(), limits.chunk_bytes) != ARCHIVE_OK) {
    return readError(a.get(), 0);
  }
  ZipHasher zip(a.get(), hasher, limits, static_cast<uint64_t>(st.st_size));
  auto read = forEachEntry(a.get(), [&](struct archive_entry* e) { return zip.onEntry(e); },
                           readError);
  if (!read.ok()) {
    return std::move(read).takeError();
  }
  return dirhash1(std::move(zip).take(), hasher);
}

}  // namespace od::adapters::archive
