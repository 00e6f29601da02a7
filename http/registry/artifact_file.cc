#include "http/registry/artifact_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace od::http {
namespace {

core::Error openError(int err, std::string_view what) {
  const std::string where(what);
  if (err == ENOENT || err == ENOTDIR) {
    return core::makeError(core::Errc::NotFound, "artifact file is missing: " + where);
  }
  if (err == ELOOP || err == EXDEV) {  // EXDEV: openat2 saw the path leave the root
    return core::makeError(core::Errc::Permission,
                           "artifact path holds a symbolic link, refused: " + where);
  }
  return core::makeError(core::Errc::Internal,
                         "cannot open artifact " + where + ": " + std::strerror(err));
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The opened file as a body, if it is a regular file.
core::Result<FileBody> regularFile(int fd, std::string_view key) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int stat_err = errno;
    ::close(fd);
    return openError(stat_err, key);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return core::makeError(core::Errc::Permission,
                           "artifact " + std::string(key) + " is not a regular file");
  }
  return FileBody(fd, 0, static_cast<uint64_t>(st.st_size));
}

constexpr int kFileFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

// One openat2(2) below `dir` that refuses every symbolic link on the way (the kernel does the
// walk: two syscalls fewer per path segment than walkBeneath). Returns the fd, or -errno;
// -ENOSYS when the kernel (or a seccomp filter) does not offer openat2.
int openBeneath(int dir, const std::string& key) {
  open_how how{};
  how.flags = static_cast<uint64_t>(kFileFlags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, dir, key.c_str(), &how, sizeof(how));
  if (fd >= 0) {
    return static_cast<int>(fd);
  }
  // EPERM is what some seccomp profiles answer for syscalls they do not know.
  return (errno == ENOSYS || errno == EPERM) ? -ENOSYS : -errno;
}

// The portable walk: one openat with O_NOFOLLOW per segment. Takes ownership of `dir`.
// Returns the fd, or -errno (-ELOOP for a link on the way).
int walkBeneath(int dir, std::string_view key) {
  size_t pos = 0;
  while (true) {
    const size_t slash = key.find('/', pos);
    const std::string segment(key.substr(pos, slash == std::string_view::npos ? key.npos : slash - pos));
    const bool last = slash == std::string_view::npos;
    const int flags = last ? kFileFlags : (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY);
    const int next = ::openat(dir, segment.c_str(), flags);
    int err = errno;
    // O_NOFOLLOW|O_DIRECTORY reports a link to a directory as ENOTDIR: tell the two apart.
    struct stat link {};
    if (next < 0 && err == ENOTDIR && ::fstatat(dir, segment.c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(link.st_mode)) {
      err = ELOOP;
    }
    ::close(dir);
    if (next < 0 || last) {
      return next < 0 ? -err : next;
    }
    dir = next;
    pos = slash + 1;
  }
}

bool validKey(std::string_view key) {
  size_t pos = 0;
  while (true) {
    const size_t slash = key.find('/', pos);
    const std::string_view segment =
        key.substr(pos, slash == std::string_view::npos ? key.npos : slash - pos);
    if (segment.empty() || segment == "." || segment == "..") {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    pos = slash + 1;
  }
}

}  // namespace

core::Result<FileBody> openArtifact(std::string_view root, std::string_view key, ArtifactWalk walk) {
  if (key.empty()) {
    return core::makeError(core::Errc::Invalid, "empty artifact key");
  }
  if (!validKey(key)) {
    return core::makeError(core::Errc::Invalid, "artifact key '" + std::string(key) +
                                                    "' holds an empty, '.' or '..' segment");
  }
  const int dir = ::open(std::string(root).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    return openError(errno, root);
  }
  int fd = walk == ArtifactWalk::Auto ? openBeneath(dir, std::string(key)) : -ENOSYS;
  if (fd == -ENOSYS) {
    fd = walkBeneath(dir, key);  // closes dir
  } else {
    ::close(dir);
  }
  if (fd < 0) {
    return openError(-fd, key);
  }
  return regularFile(fd, key);
}

std::string_view artifactContentType(std::string_view file_name) {
  if (endsWith(file_name, ".zip")) {
    return "application/zip";
  }
  if (endsWith(file_name, ".tar.gz") || endsWith(file_name, ".tgz")) {
    return "application/gzip";
  }
  return "application/octet-stream";
}

Response artifactResponse(std::string_view root, std::string_view key, std::string_view file_name) {
  auto file = openArtifact(root, key);
  if (!file.ok()) {
    const bool missing = file.error().code == core::Errc::NotFound;
    return Response::error(missing ? 404 : 500, missing ? "artifact file is missing from storage"
                                                        : "artifact cannot be read from storage");
  }
  Response res;
  res.status = 200;
  res.header("Content-Type", std::string(artifactContentType(file_name)));
  res.header("Cache-Control", "no-store");
  res.file.emplace(std::move(*file));
  return res;
}

}  // namespace od::http
