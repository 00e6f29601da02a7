#include "adapters/archive/zip_consistency.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "adapters/archive/archive_limits.h"

namespace od::adapters::archive {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr size_t kEndSize = 22;

uint32_t le(const std::string& b, size_t at, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  }
  return v;
}

std::string readAt(int fd, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  const ssize_t got = ::pread(fd, out.data(), n, static_cast<off_t>(offset));
  out.resize(got < 0 ? 0 : static_cast<size_t>(got));
  return out;
}

core::Error corrupt(const std::string& why) { return reject(RejectReason::Corrupt, "zip archive " + why); }

struct Span {
  uint64_t begin;
  uint64_t end;
  std::string name;
};

// Checks one central entry at `at` in `cd`; appends its data span. Returns the next offset.
core::Result<size_t> checkEntry(int fd, uint64_t file_size, const std::string& cd, size_t at,
                                std::vector<Span>& spans) {
  if (at + 46 > cd.size() || le(cd, at, 4) != kCentralSig) {
    return corrupt("has a damaged central directory");
  }
  const uint32_t comp_size = le(cd, at + 20, 4);
  const size_t name_len = le(cd, at + 28, 2);
  const size_t next = at + 46 + name_len + le(cd, at + 30, 2) + le(cd, at + 32, 2);
  const uint32_t local = le(cd, at + 42, 4);
  if (next > cd.size()) {
    return corrupt("has a damaged central directory");
  }
  const std::string name = cd.substr(at + 46, name_len);
  if (comp_size == 0xffffffffu || local == 0xffffffffu) {
    return next;  // zip64: not checked here
  }
  const std::string header = readAt(fd, local, 30);
  if (header.size() < 30 || le(header, 0, 4) != kLocalSig) {
    return corrupt("entry " + quoteName(name) + " points to a missing local header");
  }
  const size_t local_name_len = le(header, 26, 2);
  const std::string local_name = readAt(fd, local + 30, local_name_len);
  if (local_name != name) {
    return corrupt("entry " + quoteName(name) + " is named " + quoteName(local_name) +
                   " in its local header; the archive is inconsistent");
  }
  const uint64_t end = uint64_t{local} + 30 + local_name_len + le(header, 28, 2) + comp_size;
  if (end > file_size) {
    return corrupt("entry " + quoteName(name) + " extends past the end of the file");
  }
  spans.push_back({local, end, name});
  return next;
}

}  // namespace

core::Status checkZipConsistency(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return core::okStatus();  // extraction reports the I/O error
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || readAt(fd, 0, 4) != "PK\x03\x04") {
    return core::okStatus();
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  const uint64_t tail_start = size > 65535 + kEndSize ? size - 65535 - kEndSize : 0;
  const std::string tail = readAt(fd, tail_start, static_cast<size_t>(size - tail_start));
  size_t end_at = std::string::npos;
  for (size_t i = tail.size() >= kEndSize ? tail.size() - kEndSize + 1 : 0; i-- > 0;) {
    if (le(tail, i, 4) == kEndSig) {
      end_at = i;
      break;
    }
  }
  if (end_at == std::string::npos) {
    return core::okStatus();
  }
  const uint64_t cd_size = le(tail, end_at + 12, 4);
  const uint64_t cd_offset = le(tail, end_at + 16, 4);
  if (cd_offset == 0xffffffffu || cd_size == 0xffffffffu) {
    return core::okStatus();  // zip64 directory
  }
  if (cd_offset + cd_size > size) {
    return corrupt("has a central directory outside the file");
  }
  const std::string cd = readAt(fd, cd_offset, static_cast<size_t>(cd_size));
  std::vector<Span> spans;
  for (size_t at = 0; at < cd.size();) {
    OD_TRY(at, checkEntry(fd, size, cd, at, spans));
  }
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.begin < y.begin; });
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) {
      return reject(RejectReason::TooLarge, "zip entries " + quoteName(spans[i - 1].name) + " and " +
                                                quoteName(spans[i].name) +
                                                " overlap, a known decompression-bomb construction");
    }
  }
  return core::okStatus();
}

}  // namespace od::adapters::archive
