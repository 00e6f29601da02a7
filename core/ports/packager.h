#pragma once
// Packager: turns what a source delivered into the artifact we store — an untrusted upstream
// archive (extracted under the safety rules, GitHub's wrapper directory stripped, repacked
// deterministically), or a local file:// folder or archive (ARCHITECTURE "Decisions") — and
// hashes the result; and the "h1:" dirhash of a provider zip. libarchive lives in
// adapters/archive, so the worker in events/ reaches it through this port.
// Errors: Invalid for an archive the safety rules refuse (the message names the reason:
// traversal, absolute path, link outside the tree, device file, too many entries or bytes,
// compression ratio, unsupported format), NotFound for a missing local path, Io otherwise.
// Thread affinity: loop thread only; the work runs on the implementation's pool and the
// callback comes back on the loop thread exactly once unless the handle is destroyed first.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/cancelable.h"
#include "core/checksum.h"
#include "core/result.h"

namespace od::core {

enum class ArtifactFormat { Zip, TarGz };

struct PackagedArtifact {
  std::string path;     // the packaged file (the caller's out_path)
  uint64_t size = 0;
  Sha256 sha256;
  size_t entries = 0;
  std::optional<std::string> stripped;  // the wrapper directory removed, if any
};

struct RepackJob {
  std::string archive_path;  // the untrusted download
  std::string out_path;
  ArtifactFormat format = ArtifactFormat::Zip;
  bool strip_wrapper = true;
};

struct LocalPackageJob {
  std::string url;       // file:///..., "{version}" substituted
  std::string version;
  std::string out_path;
  ArtifactFormat format = ArtifactFormat::Zip;
};

class Packager {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~Packager() = default;
  virtual CancelablePtr repack(RepackJob job, Callback<PackagedArtifact> done) = 0;
  virtual CancelablePtr packageLocal(LocalPackageJob job, Callback<PackagedArtifact> done) = 0;
  // The "h1:<base64>" dirhash of the zip at `zip_path` (protocol-conformance §4.2), read in
  // one streaming pass. Invalid when the zip cannot be read or is refused (the message says
  // why: corrupt, not a zip, a newline or duplicate name, too large); Unavailable for local
  // I/O failures and a full pool. The caller owns the file.
  virtual CancelablePtr zipDirhash(std::string zip_path, Callback<std::string> done) = 0;
};

}  // namespace od::core
