#include "adapters/storage/fs/fs_ops.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "adapters/storage/fs/fs_paths.h"
#include "adapters/storage/fs/key.h"

namespace od::adapters::storage {

using detail::errnoError;

namespace {

// Unlinks the temp file when it goes out of scope, on every path (B94).
class TempGuard {
 public:
  TempGuard(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  ~TempGuard() { ::unlinkat(dir_fd_, name_.c_str(), 0); }
  TempGuard(const TempGuard&) = delete;
  TempGuard& operator=(const TempGuard&) = delete;
  const std::string& name() const { return name_; }

 private:
  int dir_fd_;
  std::string name_;
};

core::Status writeAll(const FsRoot& root, int fd, std::string_view data, uint64_t written) {
  for (size_t off = 0; off < data.size();) {
    const int fault = root.write_fault ? root.write_fault(written + off) : 0;
    const ssize_t n = fault != 0 ? (errno = fault, -1) : ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errnoError("cannot write storage object", errno);
    }
    off += static_cast<size_t>(n);
  }
  return core::okStatus();
}

// Copies the staged source into `out`, hashing; checks size and SHA-256 against the request.
core::Status copyVerified(const FsRoot& root, const core::PutRequest& request, int out) {
  UniqueFd in(::open(request.source_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    return errnoError("cannot open staged file " + request.source_path, errno);
  }
  auto stream = root.hasher.sha256();
  std::string buf(root.chunk_bytes, '\0');
  uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errnoError("cannot read staged file " + request.source_path, errno);
    }
    if (n == 0) {
      break;
    }
    const std::string_view chunk(buf.data(), static_cast<size_t>(n));
    stream->update(chunk);
    if (auto written = writeAll(root, out, chunk, total); !written.ok()) {
      return written;
    }
    total += static_cast<uint64_t>(n);
  }
  if (total != request.size || stream->finish() != request.sha256) {
    return core::makeError(core::Errc::Corrupt, "staged file " + request.source_path +
                                                    " does not match the size and SHA-256 given for it");
  }
  return core::okStatus();
}

// The key exists: same checksum → created=false, else Conflict. Repairs a missing side file.
core::Result<core::PutResult> verifyExisting(const FsRoot& root, int dir_fd, const std::vector<std::string>& parts,
                                             const core::PutRequest& request) {
  UniqueFd fd(::openat(dir_fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (errno == ELOOP) {
      return core::makeError(core::Errc::Permission, "storage escape: object " + request.key + " is a symbolic link");
    }
    return core::makeError(core::Errc::Conflict, "storage key " + request.key + " is taken by something else");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  auto sha = detail::readMeta(root, parts, size);
  if (!sha) {
    OD_TRY(core::Sha256 computed, detail::hashFd(root, fd.get()));
    sha = computed;
    (void)detail::writeMeta(root, parts, computed, size);  // a cache; the next reader repairs it
  }
  if (*sha != request.sha256 || size != request.size) {
    return core::makeError(core::Errc::Conflict, "object " + request.key + " already exists with checksum " +
                                                     sha->base64() + ", not " + request.sha256.base64());
  }
  return core::PutResult{false};
}

// Publishes the temp file under its final name without ever replacing an existing object.
// Returns false when the name was taken.
core::Result<bool> publish(int dir_fd, const std::string& tmp, const std::string& name) {
  if (::renameat2(dir_fd, tmp.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno == EEXIST) {
    return false;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return errnoError("cannot rename storage object into place", errno);
  }
  if (::linkat(dir_fd, tmp.c_str(), dir_fd, name.c_str(), 0) == 0) {
    return true;  // the guard unlinks the temp name
  }
  if (errno == EEXIST) {
    return false;
  }
  return errnoError("cannot link storage object into place", errno);
}

// Replaces the object under the key with the temp file (put with `replace`). The side file
// goes first, as in removeBlocking(): a crash in between leaves an object without one
// (repaired by hashing), never a side file describing the other object.
core::Result<core::PutResult> replaceWith(const FsRoot& root, int dir_fd, const std::vector<std::string>& parts,
                                          const std::string& tmp, const core::PutRequest& request) {
  if (auto st = detail::removeMeta(root, parts); !st.ok()) {
    return std::move(st).takeError();
  }
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, parts.back().c_str()) != 0) {
    return errnoError("cannot replace storage object " + request.key, errno);
  }
  if (auto synced = detail::syncDir(dir_fd, request.key); !synced.ok()) {
    return std::move(synced).takeError();
  }
  (void)detail::writeMeta(root, parts, request.sha256, request.size);  // a cache (see fs_ops.h)
  return core::PutResult{true};
}

}  // namespace

core::Result<core::PutResult> putBlocking(const FsRoot& root, const core::PutRequest& request) {
  OD_TRY(auto parts, splitKey(request.key));
  OD_TRY(UniqueFd dir, detail::openParent(root, parts, true));
  struct stat st {};
  bool replacing = false;
  if (::fstatat(dir.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    auto existing = verifyExisting(root, dir.get(), parts, request);
    if (!request.replace || existing.ok() || !S_ISREG(st.st_mode) ||
        existing.error().code != core::Errc::Conflict) {
      return existing;
    }
    replacing = true;
  }
  TempGuard tmp(dir.get(), detail::tempName());
  UniqueFd out(::openat(dir.get(), tmp.name().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out.valid()) {
    return errnoError("cannot create temporary file for " + request.key, errno);
  }
  if (auto st2 = copyVerified(root, request, out.get()); !st2.ok()) {
    return std::move(st2).takeError();
  }
  if (::fsync(out.get()) != 0) {
    return errnoError("cannot fsync " + request.key, errno);
  }
  if (replacing) {
    return replaceWith(root, dir.get(), parts, tmp.name(), request);
  }
  OD_TRY(bool created, publish(dir.get(), tmp.name(), parts.back()));
  if (!created) {
    return verifyExisting(root, dir.get(), parts, request);
  }
  if (auto synced = detail::syncDir(dir.get(), request.key); !synced.ok()) {
    return std::move(synced).takeError();
  }
  (void)detail::writeMeta(root, parts, request.sha256, request.size);  // a cache (see fs_ops.h)
  return core::PutResult{true};
}

core::Result<OpenedObject> openForRead(const FsRoot& root, const std::string& key) {
  OD_TRY(auto parts, splitKey(key));
  OD_TRY(UniqueFd dir, detail::openParent(root, parts, false));
  UniqueFd fd(::openat(dir.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) {
      return core::makeError(core::Errc::Permission, "storage escape: object " + key + " is a symbolic link");
    }
    return errnoError("cannot open object " + key, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return errnoError("cannot stat object " + key, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return core::makeError(core::Errc::NotFound, "object " + key + " is not a regular file");
  }
  return OpenedObject{std::move(fd), static_cast<uint64_t>(st.st_size)};
}

core::Result<core::ObjectInfo> statBlocking(const FsRoot& root, const std::string& key) {
  OD_TRY(OpenedObject object, openForRead(root, key));
  OD_TRY(auto parts, splitKey(key));
  core::ObjectInfo info{object.size, detail::readMeta(root, parts, object.size)};
  if (!info.sha256) {
    OD_TRY(core::Sha256 computed, detail::hashFd(root, object.fd.get()));
    info.sha256 = computed;
    (void)detail::writeMeta(root, parts, computed, object.size);
  }
  return info;
}

core::Status removeBlocking(const FsRoot& root, const std::string& key) {
  OD_TRY(auto parts, splitKey(key));
  // The side file goes first: a crash in between leaves an object without one (repaired by
  // hashing), never a side file describing a later object.
  if (auto st = detail::removeMeta(root, parts); !st.ok()) {
    return st;
  }
  auto dir = detail::openParent(root, parts, false);
  if (!dir.ok()) {
    return dir.error().code == core::Errc::NotFound ? core::okStatus() : core::Status(dir.error());
  }
  if (::unlinkat(dir->get(), parts.back().c_str(), 0) != 0 && errno != ENOENT) {
    return errnoError("cannot remove object " + key, errno);
  }
  return detail::syncDir(dir->get(), key);
}

core::Result<size_t> sweepTempFiles(const FsRoot& root, std::chrono::seconds older_than) {
  namespace fs = std::filesystem;
  const auto cutoff = fs::file_time_type::clock::now() - older_than;
  std::error_code ec;
  size_t removed = 0;
  // Does not follow directory symlinks (the iterator's default), so nothing outside is touched.
  for (fs::recursive_directory_iterator it(root.path, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code item_ec;
    if (!it->path().filename().string().starts_with(kTempPrefix) || !it->is_regular_file(item_ec)) {
      continue;
    }
    if (it->last_write_time(item_ec) < cutoff && !item_ec && fs::remove(it->path(), item_ec)) {
      ++removed;
    }
  }
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot sweep " + root.path + ": " + ec.message());
  }
  return removed;
}

core::Result<std::string> readAt(int fd, uint64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t got = 0;
  while (got < length) {
    const ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errnoError("cannot read stored object", errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace od::adapters::storage
