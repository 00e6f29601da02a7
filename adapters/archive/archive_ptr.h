#pragma once
// RAII owners for libarchive handles (house style §4: C handles get deleters).
// Thread affinity: one handle belongs to one thread at a time.

#include <archive.h>
#include <archive_entry.h>

#include <memory>

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

}  // namespace od::adapters::archive
