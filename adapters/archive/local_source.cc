#include "adapters/archive/local_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "adapters/archive/entry_rules.h"
#include "core/base64.h"

namespace od::adapters::archive {
namespace {

core::Result<std::string> percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? core::hexDigitValue(s[i + 1]) : -1;
    const int lo = hi >= 0 ? core::hexDigitValue(s[i + 2]) : -1;
    if (lo < 0 || (hi == 0 && lo == 0)) {
      return core::makeError(core::Errc::Invalid, "file URL has a bad percent escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Walks `dir` (relative `rel` under the tree root) into `tree`.
core::Status walk(const std::string& root, const std::string& rel, const ArchiveLimits& limits,
                  PathSet& seen, Tree& tree) {
  std::error_code ec;
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string path = rel.empty() ? name : rel + "/" + name;
    const auto status = it->symlink_status(ec);
    if (ec) {
      break;
    }
    if (std::filesystem::is_directory(status) && name == ".git") {
      continue;
    }
    OD_TRY(std::string norm, normalizeEntryName(path, limits));
    if (tree.entries.size() >= limits.max_entries) {
      return reject(RejectReason::TooManyEntries,
                    "folder has more than " + std::to_string(limits.max_entries) + " entries");
    }
    if (std::filesystem::is_symlink(status)) {
      return reject(RejectReason::Link, "folder entry " + quoteName(path) + " is a symbolic link");
    }
    const bool is_dir = std::filesystem::is_directory(status);
    if (!is_dir && !std::filesystem::is_regular_file(status)) {
      return reject(RejectReason::SpecialFile, "folder entry " + quoteName(path) + " is not a regular file");
    }
    if (auto st = seen.add(norm, is_dir); !st.ok()) {
      return st;
    }
    const auto perms = static_cast<unsigned>(status.permissions());
    const uint64_t size = is_dir ? 0 : std::filesystem::file_size(it->path(), ec);
    tree.entries.push_back({norm, is_dir, !is_dir && (perms & 0111) != 0, size});
    tree.total_bytes += size;
    if (tree.total_bytes > limits.max_expanded_bytes) {
      return reject(RejectReason::TooLarge, "folder holds more than " +
                                                std::to_string(limits.max_expanded_bytes) + " bytes");
    }
    if (is_dir) {
      if (auto st = walk(root, norm, limits, seen, tree); !st.ok()) {
        return st;
      }
    }
  }
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot list " + dir + ": " + ec.message());
  }
  return core::okStatus();
}

}  // namespace

core::Result<Tree> scanFolder(const std::string& root, const ArchiveLimits& limits) {
  Tree tree;
  tree.root = root;
  PathSet seen;
  if (auto st = walk(root, "", limits, seen, tree); !st.ok()) {
    return std::move(st).takeError();
  }
  std::sort(tree.entries.begin(), tree.entries.end(),
            [](const TreeEntry& x, const TreeEntry& y) { return x.path < y.path; });
  return tree;
}

core::Result<std::string> localPathFromFileUrl(std::string_view url, std::string_view version) {
  constexpr std::string_view kScheme = "file://";
  if (!url.starts_with(kScheme)) {
    return core::makeError(core::Errc::Invalid, "not a file:// URL");
  }
  std::string rest(url.substr(kScheme.size()));
  if (rest.starts_with("localhost/")) {
    rest.erase(0, std::string_view("localhost").size());
  }
  if (!rest.starts_with("/")) {
    return core::makeError(core::Errc::Invalid, "file URL must name an absolute path (file:///...)");
  }
  for (size_t pos; (pos = rest.find("{version}")) != std::string::npos;) {
    rest.replace(pos, std::string_view("{version}").size(), version);
  }
  OD_TRY(std::string path, percentDecode(rest));
  const auto norm = std::filesystem::path(path).lexically_normal().string();
  for (const auto& part : std::filesystem::path(path)) {
    if (part == "..") {
      return core::makeError(core::Errc::Invalid, "file URL must not contain '..'");
    }
  }
  return norm;
}

core::Result<PackResult> packageLocalSource(const LocalSourceRequest& request) {
  OD_TRY(std::string path, localPathFromFileUrl(request.url, request.version));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const auto code = errno == ENOENT ? core::Errc::NotFound : core::Errc::Unavailable;
    return core::makeError(code, "cannot read local source " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    OD_TRY(Tree tree, scanFolder(path, request.limits));
    return packTree(tree, request.format, request.out_path);
  }
  if (!S_ISREG(st.st_mode)) {
    return core::makeError(core::Errc::Invalid, "local source " + path + " is neither a folder nor a file");
  }
  RepackRequest repack{path, request.out_path, request.temp_parent, request.format, true, request.limits};
  return repackArchive(repack);
}

}  // namespace od::adapters::archive
