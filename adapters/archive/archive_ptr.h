#pragma once
// RAII owners for libarchive handles (house style §4: C handles get deleters).
// Thread affinity: one handle belongs to one thread at a time.

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <memory>

#include "core/result.h"

namespace od::adapters::archive {

struct ArchiveReadDeleter {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
  void operator()(struct archive* a) const noexcept { archive_write_free(a); }
};
struct ArchiveEntryDeleter {
  void operator()(struct archive_entry* e) const noexcept { archive_entry_free(e); }
};

using ArchiveReadPtr = std::unique_ptr<struct archive, ArchiveReadDeleter>;
using ArchiveWritePtr = std::unique_ptr<struct archive, ArchiveWriteDeleter>;
using ArchiveEntryPtr = std::unique_ptr<struct archive_entry, ArchiveEntryDeleter>;

// A reader with only tar and zip formats and only the gzip filter enabled (never *_all():
// CVE-2021-36976, CVE-2025-5914). Aborts on allocation failure.
ArchiveReadPtr newRestrictedReader();

// Hands every entry header of the opened reader `a` to `on_entry` (-> core::Status), in order,
// to the end. Stops at the first failure: a header libarchive cannot read gives
// `on_error(a, entries_seen)` (-> core::Error), a failed `on_entry` its own error.
template <typename OnEntry, typename OnError>
core::Status forEachEntry(struct archive* a, OnEntry&& on_entry, OnError&& on_error) {
  for (uint64_t seen = 0;; ++seen) {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) {
      return core::Status();
    }
    if (r < ARCHIVE_WARN) {
      return on_error(a, seen);
    }
    if (auto status = on_entry(entry); !status.ok()) {
      return status;
    }
  }
}

}  // namespace od::adapters::archive
