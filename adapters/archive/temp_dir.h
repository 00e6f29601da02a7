#pragma once
// TempDir: a private directory (mode 0700) removed with its contents when the owner dies.
// Thread affinity: one owner; blocking (pool threads only).

#include <chrono>
#include <cstddef>
#include <string>

#include "core/result.h"

namespace od::adapters::archive {

class TempDir {
 public:
  // Creates "<parent>/<prefix>XXXXXX". Errc::Unavailable when the parent is not writable.
  static core::Result<TempDir> create(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Removes "<parent>/<prefix>*" directories last modified more than `older_than` ago: what a
// killed worker left behind. Returns how many were removed.
size_t sweepStaleTempDirs(const std::string& parent, const std::string& prefix, std::chrono::seconds older_than);

}  // namespace od::adapters::archive
