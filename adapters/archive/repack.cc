#include "adapters/archive/repack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "adapters/archive/archive_ptr.h"
#include "adapters/archive/temp_dir.h"

namespace od::adapters::archive {
namespace {

constexpr size_t kChunk = 64 * 1024;

core::Error writerError(struct archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return core::makeError(core::Errc::Unavailable, what + ": " + (msg ? msg : "unknown error"));
}

core::Result<ArchiveWritePtr> openWriter(PackFormat format, const std::string& out_path) {
  ArchiveWritePtr a(archive_write_new());
  if (!a) {
    std::abort();
  }
  int r = ARCHIVE_OK;
  if (format == PackFormat::TarGz) {
    r = archive_write_set_format_pax_restricted(a.get());
    if (r == ARCHIVE_OK) {
      r = archive_write_add_filter_gzip(a.get());
    }
    if (r == ARCHIVE_OK) {
      r = archive_write_set_options(a.get(), "gzip:!timestamp,gzip:compression-level=6");
    }
  } else {
    r = archive_write_set_format_zip(a.get());
    if (r == ARCHIVE_OK) {
      r = archive_write_set_options(a.get(), "zip:compression=deflate");
    }
  }
  if (r == ARCHIVE_OK) {
    r = archive_write_open_filename(a.get(), out_path.c_str());
  }
  if (r != ARCHIVE_OK) {
    return writerError(a.get(), "cannot create " + out_path);
  }
  return a;
}

ArchiveEntryPtr makeEntry(const TreeEntry& e) {
  ArchiveEntryPtr entry(archive_entry_new());
  if (!entry) {
    std::abort();
  }
  archive_entry_set_pathname(entry.get(), e.is_dir ? (e.path + "/").c_str() : e.path.c_str());
  archive_entry_set_filetype(entry.get(), e.is_dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(entry.get(), e.is_dir || e.executable ? 0755 : 0644);
  archive_entry_set_mtime(entry.get(), kFixedMtime, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_size(entry.get(), e.is_dir ? 0 : static_cast<la_int64_t>(e.size));
  return entry;
}

core::Status copyBody(struct archive* a, const std::string& path, uint64_t expected) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return core::makeError(core::Errc::Unavailable, "cannot open " + path + ": " + std::strerror(errno));
  }
  char buf[kChunk];
  uint64_t total = 0;
  core::Status status;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      status = core::makeError(core::Errc::Unavailable, "cannot read " + path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) {
      break;
    }
    total += static_cast<uint64_t>(n);
    if (total > expected || archive_write_data(a, buf, static_cast<size_t>(n)) != n) {
      status = writerError(a, "cannot package " + path + " (changed while packaging?)");
      break;
    }
  }
  ::close(fd);
  if (status.ok() && total != expected) {
    status = core::makeError(core::Errc::Unavailable, path + " changed while packaging");
  }
  return status;
}

// Every entry plus every parent directory, sorted: a source that lists its directories and
// one that only implies them package the same.
std::vector<TreeEntry> withParents(const Tree& tree) {
  std::map<std::string, TreeEntry> all;
  for (const auto& e : tree.entries) {
    all[e.path] = e;
    for (size_t slash = e.path.find('/'); slash != std::string::npos; slash = e.path.find('/', slash + 1)) {
      const auto parent = e.path.substr(0, slash);
      all.try_emplace(parent, TreeEntry{parent, true, false, 0});
    }
  }
  std::vector<TreeEntry> out;
  out.reserve(all.size());
  for (auto& [path, e] : all) {
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

core::Result<PackResult> packTree(const Tree& tree, PackFormat format, const std::string& out_path) {
  const auto sorted = withParents(tree);
  OD_TRY(ArchiveWritePtr a, openWriter(format, out_path));
  for (const TreeEntry& entry_in : sorted) {
    const TreeEntry* e = &entry_in;
    auto entry = makeEntry(*e);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return writerError(a.get(), "cannot package " + e->path);
    }
    if (!e->is_dir) {
      if (auto st = copyBody(a.get(), tree.root + "/" + e->path, e->size); !st.ok()) {
        return std::move(st).takeError();
      }
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return writerError(a.get(), "cannot finish " + out_path);
  }
  struct stat st {};
  if (::stat(out_path.c_str(), &st) != 0) {
    return core::makeError(core::Errc::Unavailable, "cannot stat " + out_path + ": " + std::strerror(errno));
  }
  return PackResult{static_cast<uint64_t>(st.st_size), sorted.size(), tree.stripped};
}

core::Result<PackResult> repackArchive(const RepackRequest& request) {
  OD_TRY(TempDir dir, TempDir::create(request.temp_parent, kExtractDirPrefix));
  OD_TRY(Tree tree, extractArchive(request.archive_path, dir.path(), request.limits));
  if (request.strip_wrapper) {
    tree = stripWrapper(std::move(tree));
  }
  return packTree(tree, request.format, request.out_path);
}

}  // namespace od::adapters::archive
