#pragma once
// Blocking filesystem operations behind FsObjectStore. Each runs on a pool thread, takes
// values and returns a Result; nothing here touches the event loop.
//
// DESIGN
// - FsRoot holds an O_DIRECTORY|O_NOFOLLOW descriptor of the root; every path is resolved
//   component by component with openat(O_NOFOLLOW), so a symlink planted under the root (or a
//   root that is itself a symlink) is refused with Errc::Permission "storage escape" (B23).
// - put: temp file ".od-tmp-<random>" in the object's directory, copied from the staged
//   source while hashing (size and SHA-256 must match the request), fsync, then
//   renameat2(RENAME_NOREPLACE) (linkat+unlink where unsupported), fsync(dir). The rename
//   never replaces: if the key exists, the stored object is verified instead (same SHA-256 →
//   created=false, different → Errc::Conflict, object untouched; with request.replace a
//   different regular object is replaced by a plain renameat, its side file removed first).
//   The temp file is removed
//   on every path, also after ENOSPC (B94).
// - The checksum lives in a side file ".od-meta/<key>" ("<hex> <size>\n"), written after the
//   object and removed before it. It is a cache: when missing or not matching the object's
//   size, the object is hashed and the side file rewritten.
// Thread affinity: FsRoot is immutable after open() and shared by pool threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "adapters/crypto/openssl_hasher.h"
#include "core/ports/object_store.h"
#include "core/result.h"

namespace od::adapters::storage {

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Test hook: called before each write of a put with the bytes written so far; a non-zero
// return is treated as that errno from write(2) (ENOSPC simulation).
using WriteFault = std::function<int(uint64_t written)>;

struct FsRoot {
  UniqueFd fd;
  std::string path;
  size_t chunk_bytes = 256 * 1024;
  WriteFault write_fault;
  crypto::OpenSslHasher hasher;
};

// Creates the root directory if missing and opens it. Errc::Permission when it is a symlink.
core::Result<std::shared_ptr<const FsRoot>> openFsRoot(const std::string& path, size_t chunk_bytes,
                                                       WriteFault write_fault);

core::Result<core::PutResult> putBlocking(const FsRoot& root, const core::PutRequest& request);
core::Result<core::ObjectInfo> statBlocking(const FsRoot& root, const std::string& key);
core::Status removeBlocking(const FsRoot& root, const std::string& key);
// Removes temp files ("<dir>/.od-tmp-*") last modified more than `older_than` ago: what a
// killed writer left behind (its own guard removes them otherwise). Returns how many.
core::Result<size_t> sweepTempFiles(const FsRoot& root, std::chrono::seconds older_than);

struct OpenedObject {
  UniqueFd fd;
  uint64_t size = 0;
};
core::Result<OpenedObject> openForRead(const FsRoot& root, const std::string& key);

// Reads up to `length` bytes at `offset` (pread). Short only at end of file.
core::Result<std::string> readAt(int fd, uint64_t offset, size_t length);

}  // namespace od::adapters::storage
