#pragma once
// Test helper: builds (possibly malicious) archives with libarchive's writer, so no binary
// blobs are committed. Also reads an archive back as a list of entries.

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <string>
#include <vector>

namespace od::adapters::archive::testing {

enum class Kind { File, Dir, Symlink, Hardlink, CharDevice, Fifo };
enum class Container { Tar, TarGz, Zip };

struct Item {
  std::string name;
  std::string data;   // file contents
  Kind kind = Kind::File;
  std::string target; // link target
  unsigned perm = 0644;
};

inline Item file(std::string name, std::string data, unsigned perm = 0644) {
  return Item{std::move(name), std::move(data), Kind::File, "", perm};
}
inline Item dir(std::string name) { return Item{std::move(name), "", Kind::Dir, "", 0755}; }

// Writes `items` in order; `options` is passed to archive_write_set_options. Returns false
// when libarchive refuses (e.g. encryption not built in).
bool writeArchive(const std::string& path, Container container, const std::vector<Item>& items,
                  const std::string& options = "");

struct ReadEntry {
  std::string name;
  unsigned mode = 0;
  int64_t mtime = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string data;
};
std::vector<ReadEntry> readArchive(const std::string& path);

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& data);

}  // namespace od::adapters::archive::testing
