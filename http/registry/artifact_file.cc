#include "http/registry/artifact_file.h"

#include <fcntl.h>
#include <sys/stat.h>
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
  if (err == ELOOP) {
    return core::makeError(core::Errc::Permission,
                           "artifact path holds a symbolic link, refused: " + where);
  }
  return core::makeError(core::Errc::Internal,
                         "cannot open artifact " + where + ": " + std::strerror(err));
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

core::Result<FileBody> openArtifact(std::string_view root, std::string_view key) {
  if (key.empty()) {
    return core::makeError(core::Errc::Invalid, "empty artifact key");
  }
  int dir = ::open(std::string(root).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    return openError(errno, root);
  }
  size_t pos = 0;
  while (true) {
    const size_t slash = key.find('/', pos);
    const std::string segment(key.substr(pos, slash == std::string_view::npos ? key.npos : slash - pos));
    if (segment.empty() || segment == "." || segment == "..") {
      ::close(dir);
      return core::makeError(core::Errc::Invalid, "artifact key '" + std::string(key) +
                                                      "' holds an empty, '.' or '..' segment");
    }
    const bool last = slash == std::string_view::npos;
    const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? O_NONBLOCK : O_DIRECTORY);
    const int next = ::openat(dir, segment.c_str(), flags);
    int err = errno;
    // O_NOFOLLOW|O_DIRECTORY reports a link to a directory as ENOTDIR: tell the two apart.
    struct stat link {};
    if (next < 0 && err == ENOTDIR && ::fstatat(dir, segment.c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(link.st_mode)) {
      err = ELOOP;
    }
    ::close(dir);
    if (next < 0) {
      return openError(err, key);
    }
    if (last) {
      struct stat st {};
      if (::fstat(next, &st) != 0) {
        const int stat_err = errno;
        ::close(next);
        return openError(stat_err, key);
      }
      if (!S_ISREG(st.st_mode)) {
        ::close(next);
        return core::makeError(core::Errc::Permission, "artifact " + std::string(key) +
                                                           " is not a regular file");
      }
      return FileBody(next, 0, static_cast<uint64_t>(st.st_size));
    }
    dir = next;
    pos = slash + 1;
  }
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

}  // namespace od::http
