#include "adapters/archive/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace od::adapters::archive {

core::Result<TempDir> TempDir::create(const std::string& parent, const std::string& prefix) {
  std::string templ = parent + "/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return core::makeError(core::Errc::Unavailable,
                           "cannot create a temporary directory under " + parent + ": " + std::strerror(errno));
  }
  return TempDir(std::string(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!path_.empty()) {
      std::filesystem::remove_all(path_, ec);
    }
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;  // remove_all does not follow symlinks; errors leave litter, never throw
    std::filesystem::remove_all(path_, ec);
  }
}

size_t sweepStaleTempDirs(const std::string& parent, const std::string& prefix, std::chrono::seconds older_than) {
  namespace fs = std::filesystem;
  const auto cutoff = fs::file_time_type::clock::now() - older_than;
  size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code item_ec;
    if (!it->path().filename().string().starts_with(prefix) || !it->is_directory(item_ec) ||
        it->is_symlink(item_ec)) {
      continue;
    }
    if (it->last_write_time(item_ec) < cutoff && !item_ec && fs::remove_all(it->path(), item_ec) > 0) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace od::adapters::archive
