#pragma once
// file:// module sources (ARCHITECTURE "Decisions": dev mode and air-gapped imports). A
// `repoUrl` of "file:///path" names a local folder or a local archive; "{version}" in it is
// replaced by the version. Either way the result is packaged exactly like a GitHub download:
// a folder is packed as it is (".git" skipped); an archive is extracted under the untrusted
// rules and its single top-level directory, if any, is stripped.
// Thread affinity: blocking; run on the WorkerPool.

#include <string>
#include <string_view>

#include "adapters/archive/repack.h"
#include "core/result.h"

namespace od::adapters::archive {

// "file:///abs/path" (with "{version}" replaced and %XX decoded) → "/abs/path". Errc::Invalid
// for other schemes, hosts other than "" or "localhost", relative paths, %00 and ".."
// components.
core::Result<std::string> localPathFromFileUrl(std::string_view url, std::string_view version);

struct LocalSourceRequest {
  std::string url;          // file:///...
  std::string version;      // substituted for "{version}"
  std::string out_path;     // the packaged result
  std::string temp_parent;  // for extracting a local archive
  PackFormat format = PackFormat::Zip;
  ArchiveLimits limits;
};

// Errc::NotFound when the path does not exist; Errc::Invalid when it is neither a folder nor
// a regular file.
core::Result<PackResult> packageLocalSource(const LocalSourceRequest& request);

}  // namespace od::adapters::archive
