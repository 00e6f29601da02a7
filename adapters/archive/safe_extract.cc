#include "adapters/archive/safe_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "adapters/archive/archive_ptr.h"
#include "adapters/archive/entry_rules.h"
#include "adapters/archive/zip_consistency.h"

namespace od::adapters::archive {

ArchiveReadPtr newRestrictedReader() {
  ArchiveReadPtr a(archive_read_new());
  if (!a) {
    std::abort();  // allocation failure is fatal (house style §3)
  }
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_filter_gzip(a.get());
  return a;
}

namespace {

constexpr size_t kChunk = 64 * 1024;

core::Error ioError(const std::string& what, int err) {
  return core::makeError(core::Errc::Unavailable, what + ": " + std::strerror(err));
}

std::string libarchiveMessage(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg == nullptr ? std::string("unknown error") : quoteName(msg);
}

// One extraction: the reader, the destination and the running counters.
class Extractor {
 public:
  Extractor(struct archive* a, std::string dest, const ArchiveLimits& limits, uint64_t compressed)
      : a_(a), dest_(std::move(dest)), limits_(limits), compressed_(std::max<uint64_t>(compressed, 1)) {}

  core::Status onEntry(struct archive_entry* entry);
  Tree finish() && {
    std::sort(tree_.entries.begin(), tree_.entries.end(),
              [](const TreeEntry& x, const TreeEntry& y) { return x.path < y.path; });
    tree_.root = dest_;
    return std::move(tree_);
  }

 private:
  core::Status checkType(struct archive_entry* entry, const std::string& shown);
  core::Status writeFile(const std::string& path, bool executable);
  core::Status countBytes(size_t n, const std::string& path);

  struct archive* a_;
  std::string dest_;
  const ArchiveLimits& limits_;
  uint64_t compressed_;
  uint64_t entries_ = 0;
  PathSet seen_;
  Tree tree_;
};

core::Status Extractor::checkType(struct archive_entry* entry, const std::string& shown) {
  if (archive_entry_is_encrypted(entry)) {
    return reject(RejectReason::Unsupported, "archive entry " + shown + " is encrypted");
  }
  const auto type = archive_entry_filetype(entry);
  if (archive_entry_hardlink(entry) != nullptr || type == AE_IFLNK) {
    return reject(RejectReason::Link, "archive entry " + shown +
                                          " is a symbolic or hard link; links are not allowed in modules");
  }
  if (type != AE_IFREG && type != AE_IFDIR) {
    return reject(RejectReason::SpecialFile,
                  "archive entry " + shown + " is a device, FIFO or socket, not a regular file");
  }
  return core::okStatus();
}

core::Status Extractor::onEntry(struct archive_entry* entry) {
  if (++entries_ > limits_.max_entries) {
    return reject(RejectReason::TooManyEntries,
                  "archive has more than " + std::to_string(limits_.max_entries) + " entries");
  }
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) {
    return reject(RejectReason::BadName, "archive entry has a name that cannot be read");
  }
  OD_TRY(std::string path, normalizeEntryName(raw, limits_));
  const auto shown = quoteName(raw);
  if (auto st = checkType(entry, shown); !st.ok()) {
    return st;
  }
  const bool is_dir = archive_entry_filetype(entry) == AE_IFDIR;
  if (path.empty()) {
    if (is_dir) {
      return core::okStatus();  // "./": the root itself
    }
    return reject(RejectReason::BadName, "archive entry " + shown + " is a file without a name");
  }
  if (auto st = seen_.add(path, is_dir); !st.ok()) {
    return st;
  }
  const bool executable = !is_dir && (archive_entry_perm(entry) & 0111) != 0;
  std::error_code ec;
  const auto dir = is_dir ? dest_ + "/" + path : std::filesystem::path(dest_ + "/" + path).parent_path().string();
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot create " + dir + ": " + ec.message());
  }
  TreeEntry out{path, is_dir, executable, 0};
  if (!is_dir) {
    const uint64_t before = tree_.total_bytes;
    if (auto st = writeFile(path, executable); !st.ok()) {
      return st;
    }
    out.size = tree_.total_bytes - before;
  }
  tree_.entries.push_back(std::move(out));
  return core::okStatus();
}

core::Status Extractor::countBytes(size_t n, const std::string& path) {
  tree_.total_bytes += n;
  if (tree_.total_bytes > limits_.max_expanded_bytes) {
    return reject(RejectReason::TooLarge, "archive expands to more than " +
                                              std::to_string(limits_.max_expanded_bytes) +
                                              " bytes (stopped at " + quoteName(path) + ")");
  }
  if (tree_.total_bytes > limits_.ratio_allowance_bytes &&
      tree_.total_bytes / compressed_ >= limits_.max_ratio) {
    return reject(RejectReason::CompressionRatio,
                  "archive expands more than " + std::to_string(limits_.max_ratio) +
                      " times its compressed size, which looks like a decompression bomb");
  }
  return core::okStatus();
}

core::Status Extractor::writeFile(const std::string& path, bool executable) {
  const std::string full = dest_ + "/" + path;
  const int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        executable ? 0755 : 0644);
  if (fd < 0) {
    return ioError("cannot create " + full, errno);
  }
  char buf[kChunk];
  core::Status status;
  for (;;) {
    const la_ssize_t n = archive_read_data(a_, buf, sizeof buf);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      status = reject(RejectReason::Corrupt, "archive entry " + quoteName(path) +
                                                 " cannot be read: " + libarchiveMessage(a_));
      break;
    }
    if (status = countBytes(static_cast<size_t>(n), path); !status.ok()) {
      break;
    }
    for (la_ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(fd, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        ::close(fd);
        return ioError("cannot write " + full, errno);
      }
      off += w;
    }
  }
  ::close(fd);
  return status;
}

core::Error headerError(struct archive* a, uint64_t entries_seen) {
  const std::string msg = libarchiveMessage(a);
  if (entries_seen == 0 && msg.find("Unrecognized archive format") != std::string::npos) {
    return reject(RejectReason::Unsupported, "the file is not a tar, tar.gz or zip archive");
  }
  return reject(RejectReason::Corrupt, "the archive cannot be read: " + msg);
}

}  // namespace

core::Result<Tree> extractArchive(const std::string& archive_path, const std::string& dest_dir,
                                  const ArchiveLimits& limits) {
  struct stat st {};
  if (::stat(archive_path.c_str(), &st) != 0) {
    return ioError("cannot stat " + archive_path, errno);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > limits.max_compressed_bytes) {
    return reject(RejectReason::CompressedTooLarge,
                  "archive is " + std::to_string(size) + " bytes, more than the limit of " +
                      std::to_string(limits.max_compressed_bytes));
  }
  if (auto consistent = checkZipConsistency(archive_path); !consistent.ok()) {
    return std::move(consistent).takeError();
  }
  auto a = newRestrictedReader();
  if (archive_read_open_filename(a.get(), archive_path.c_str(), kChunk) != ARCHIVE_OK) {
    return headerError(a.get(), 0);
  }
  Extractor extractor(a.get(), dest_dir, limits, size);
  auto read = forEachEntry(
      a.get(), [&](struct archive_entry* e) { return extractor.onEntry(e); }, headerError);
  if (!read.ok()) {
    return std::move(read).takeError();
  }
  return std::move(extractor).finish();
}

Tree stripWrapper(Tree tree) {
  if (tree.entries.empty()) {
    return tree;
  }
  const auto& first = tree.entries.front().path;
  const std::string top = first.substr(0, first.find('/'));
  const std::string prefix = top + "/";
  bool under = false;
  for (const auto& e : tree.entries) {
    if (e.path == top && e.is_dir) {
      continue;
    }
    if (!e.path.starts_with(prefix)) {
      return tree;
    }
    under = true;
  }
  if (!under) {
    return tree;
  }
  Tree out;
  out.root = tree.root + "/" + top;
  out.total_bytes = tree.total_bytes;
  out.stripped = top;
  for (auto& e : tree.entries) {
    if (e.path != top) {
      e.path = e.path.substr(prefix.size());
      out.entries.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace od::adapters::archive
