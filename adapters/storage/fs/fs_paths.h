#pragma once
// Internal to adapters/storage/fs: resolving keys under the root without following links.
// Thread affinity: blocking, any pool thread.

#include <optional>
#include <string>
#include <vector>

#include "adapters/storage/fs/fs_ops.h"

namespace od::adapters::storage::detail {

core::Error errnoError(const std::string& what, int err);

// Opens the directory holding the last component of `parts` (all components but the last),
// creating missing directories when `create`. Errc::NotFound when missing and !create;
// Errc::Permission ("storage escape") on a symlink; Errc::Conflict when a file is in the way.
core::Result<UniqueFd> openParent(const FsRoot& root, const std::vector<std::string>& parts, bool create);

// fsync a directory descriptor.
core::Status syncDir(int dir_fd, const std::string& what);

// Returns the side-file sha for an object of `size` bytes, when present and consistent.
std::optional<core::Sha256> readMeta(const FsRoot& root, const std::vector<std::string>& parts,
                                     uint64_t size);
// Writes the side file atomically (temp + rename + fsync(dir)).
core::Status writeMeta(const FsRoot& root, const std::vector<std::string>& parts,
                       const core::Sha256& sha, uint64_t size);
// Removes the side file (missing is fine).
core::Status removeMeta(const FsRoot& root, const std::vector<std::string>& parts);

// A fresh ".od-tmp-<16 hex>" name.
std::string tempName();

// Hashes an open file from the start.
core::Result<core::Sha256> hashFd(const FsRoot& root, int fd);

}  // namespace od::adapters::storage::detail
