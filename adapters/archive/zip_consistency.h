#pragma once
// A structural check of zip files that libarchive does not do (B61, B63): every central
// directory entry must have a local header with the same name, and no two entries' data may
// overlap (David Fifield's overlapping-entry bombs). Zip64 entries (sizes/offsets of
// 0xFFFFFFFF) are skipped by this check; the byte budget still bounds them.
// Thread affinity: blocking; run on the WorkerPool.

#include <string>

#include "core/result.h"

namespace od::adapters::archive {

// Ok for files that are not zips (or whose end record cannot be found: libarchive reports
// those). Rejections: Corrupt (name mismatch, records out of bounds), TooLarge (overlap).
core::Status checkZipConsistency(const std::string& path);

}  // namespace od::adapters::archive
