#include "tests/adapters/archive/archive_builder.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace od::adapters::archive::testing {
namespace {

void setType(struct archive_entry* e, const Item& item) {
  switch (item.kind) {
    case Kind::File:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(item.data.size()));
      break;
    case Kind::Dir:
      archive_entry_set_filetype(e, AE_IFDIR);
      break;
    case Kind::Symlink:
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, item.target.c_str());
      break;
    case Kind::Hardlink:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, item.target.c_str());
      break;
    case Kind::CharDevice:
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdev(e, 0x0103);
      break;
    case Kind::Fifo:
      archive_entry_set_filetype(e, AE_IFIFO);
      break;
  }
}

}  // namespace

bool writeArchive(const std::string& path, Container container, const std::vector<Item>& items,
                  const std::string& options) {
  struct archive* a = archive_write_new();
  if (container == Container::Zip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_set_format_gnutar(a);
    if (container == Container::TarGz) {
      archive_write_add_filter_gzip(a);
    }
  }
  bool ok = options.empty() || archive_write_set_options(a, options.c_str()) == ARCHIVE_OK;
  ok = ok && archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK;
  for (const auto& item : items) {
    if (!ok) {
      break;
    }
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, item.name.c_str());
    setType(e, item);
    archive_entry_set_perm(e, item.perm);
    archive_entry_set_mtime(e, 1700000000, 0);
    ok = archive_write_header(a, e) >= ARCHIVE_WARN;
    if (ok && item.kind == Kind::File && !item.data.empty()) {
      ok = archive_write_data(a, item.data.data(), item.data.size()) ==
           static_cast<la_ssize_t>(item.data.size());
    }
    archive_entry_free(e);
  }
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_write_free(a);
  return ok;
}

std::vector<ReadEntry> readArchive(const std::string& path) {
  std::vector<ReadEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_format_zip(a);
  archive_read_support_filter_gzip(a);
  if (archive_read_open_filename(a, path.c_str(), 65536) == ARCHIVE_OK) {
    struct archive_entry* e = nullptr;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      ReadEntry r{archive_entry_pathname(e), archive_entry_mode(e), archive_entry_mtime(e),
                  archive_entry_uid(e), archive_entry_gid(e), ""};
      char buf[4096];
      for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) {
        r.data.append(buf, static_cast<size_t>(n));
      }
      out.push_back(std::move(r));
    }
  }
  archive_read_free(a);
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

}  // namespace od::adapters::archive::testing
