#include "adapters/storage/fs/fs_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include "adapters/storage/fs/key.h"

namespace od::adapters::storage {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

core::Result<std::shared_ptr<const FsRoot>> openFsRoot(const std::string& path, size_t chunk_bytes,
                                                       WriteFault write_fault) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);  // no-op when present (also through a link)
  UniqueFd fd(::open(path.c_str(), O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return core::makeError(core::Errc::Permission,
                             "storage escape: storage root " + path + " is a symbolic link or not a directory");
    }
    return detail::errnoError("cannot open storage root " + path, errno);
  }
  auto root = std::make_shared<FsRoot>();
  root->fd = std::move(fd);
  root->path = path;
  root->chunk_bytes = chunk_bytes == 0 ? 256 * 1024 : chunk_bytes;
  root->write_fault = std::move(write_fault);
  return std::shared_ptr<const FsRoot>(std::move(root));
}

namespace detail {

core::Error errnoError(const std::string& what, int err) {
  const auto code = err == ENOENT ? core::Errc::NotFound
                    : err == EACCES || err == EPERM ? core::Errc::Permission
                                                    : core::Errc::Unavailable;
  return core::makeError(code, what + ": " + std::strerror(err));
}

namespace {

core::Error blocked(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return core::makeError(core::Errc::Permission,
                           "storage escape: '" + name + "' under the storage root is a symbolic link");
  }
  return core::makeError(core::Errc::Conflict, "storage path component '" + name + "' is not a directory");
}

}  // namespace

core::Result<UniqueFd> openParent(const FsRoot& root, const std::vector<std::string>& parts, bool create) {
  UniqueFd current(::dup(root.fd.get()));
  if (!current.valid()) {
    return errnoError("cannot open storage root", errno);
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto& name = parts[i];
    constexpr int kFlags = O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC;
    UniqueFd next(::openat(current.get(), name.c_str(), kFlags));
    if (!next.valid() && errno == ENOENT && create) {
      if (::mkdirat(current.get(), name.c_str(), 0755) != 0) {
        if (errno != EEXIST) {
          return errnoError("cannot create storage directory '" + name + "'", errno);
        }
      } else if (::fsync(current.get()) != 0) {  // the new directory's entry is durable too
        return errnoError("cannot fsync storage directory", errno);
      }
      next = UniqueFd(::openat(current.get(), name.c_str(), kFlags));
    }
    if (!next.valid()) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return blocked(current.get(), name);
      }
      return errnoError("cannot open storage directory '" + name + "'", errno);
    }
    current = std::move(next);
  }
  return current;
}

core::Status syncDir(int dir_fd, const std::string& what) {
  if (::fsync(dir_fd) != 0) {
    return errnoError("cannot fsync directory of " + what, errno);
  }
  return core::okStatus();
}

std::string tempName() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(kTempPrefix) + buf;
}

core::Result<core::Sha256> hashFd(const FsRoot& root, int fd) {
  auto stream = root.hasher.sha256();
  std::string buf(root.chunk_bytes, '\0');
  for (uint64_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errnoError("cannot read stored object", errno);
    }
    if (n == 0) {
      break;
    }
    stream->update(std::string_view(buf.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
  }
  return stream->finish();
}

}  // namespace detail
}  // namespace od::adapters::storage
