// Checksum side files under "<root>/.od-meta/<key>" (see fs_ops.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "adapters/storage/fs/fs_paths.h"
#include "adapters/storage/fs/key.h"

namespace od::adapters::storage::detail {
namespace {

std::vector<std::string> metaParts(const std::vector<std::string>& parts) {
  std::vector<std::string> out;
  out.reserve(parts.size() + 1);
  out.emplace_back(kMetaDir);
  out.insert(out.end(), parts.begin(), parts.end());
  return out;
}

core::Status writeAll(int fd, const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errnoError("cannot write checksum file", errno);
    }
    off += static_cast<size_t>(n);
  }
  return core::okStatus();
}

}  // namespace

std::optional<core::Sha256> readMeta(const FsRoot& root, const std::vector<std::string>& parts, uint64_t size) {
  const auto meta = metaParts(parts);
  auto dir = openParent(root, meta, false);
  if (!dir.ok()) {
    return std::nullopt;
  }
  UniqueFd fd(::openat(dir->get(), meta.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return std::nullopt;
  }
  char buf[128];
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
  if (n < 66) {
    return std::nullopt;
  }
  const std::string text(buf, static_cast<size_t>(n));
  auto sha = core::Sha256::fromHex(text.substr(0, 64));
  if (!sha.ok() || text[64] != ' ' || text.substr(65) != std::to_string(size) + "\n") {
    return std::nullopt;  // inconsistent: the caller hashes the object and rewrites it
  }
  return *sha;
}

core::Status writeMeta(const FsRoot& root, const std::vector<std::string>& parts, const core::Sha256& sha,
                       uint64_t size) {
  const auto meta = metaParts(parts);
  OD_TRY(UniqueFd dir, openParent(root, meta, true));
  const auto tmp = tempName();
  UniqueFd fd(::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return errnoError("cannot create checksum file", errno);
  }
  auto status = writeAll(fd.get(), sha.hex() + " " + std::to_string(size) + "\n");
  if (status.ok() && ::fsync(fd.get()) != 0) {
    status = errnoError("cannot fsync checksum file", errno);
  }
  if (status.ok() && ::renameat(dir.get(), tmp.c_str(), dir.get(), meta.back().c_str()) != 0) {
    status = errnoError("cannot rename checksum file", errno);
  }
  if (!status.ok()) {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return status;
  }
  return syncDir(dir.get(), "checksum file");
}

core::Status removeMeta(const FsRoot& root, const std::vector<std::string>& parts) {
  const auto meta = metaParts(parts);
  auto dir = openParent(root, meta, false);
  if (!dir.ok()) {
    return dir.error().code == core::Errc::NotFound ? core::okStatus() : core::Status(dir.error());
  }
  if (::unlinkat(dir->get(), meta.back().c_str(), 0) != 0 && errno != ENOENT) {
    return errnoError("cannot remove checksum file", errno);
  }
  return core::okStatus();
}

}  // namespace od::adapters::storage::detail
