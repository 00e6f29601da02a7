#pragma once
// Where a Version's artifact lives in the ObjectStore: "<dir>/<configName>/<fileName>", the
// reference's object key (inventory "Object key": `<directoryPath>/<name>/<fileName>`) made
// relative to the filesystem store's root (`--storage-root`), so a key never carries an
// absolute path and never escapes the root.
//
// - <configName> is moduleConfigRef.name or providerConfigRef.name; <fileName> is
//   spec.fileName (fixed once by the reconciler). Both must be single, plain path segments.
// - <dir> is fileSystem.directoryPath relative to storage_root; empty when the directory is
//   the root itself or no directoryPath is given. A directoryPath that is relative, holds
//   ".." or lies outside storage_root is Invalid (the reference lets the request choose the
//   directory; we take it only from the resource and only under the root).
// - Cloud backends (s3, azureStorage, gcs) without fileSystem are Invalid for now: this build
//   stores on the filesystem only, and saying so beats writing somewhere unexpected.
// Thread affinity: pure function, any thread.

#include <string>
#include <string_view>

#include "core/resources/version.h"
#include "core/result.h"

namespace od::core {

Result<std::string> artifactKey(const VersionSpec& spec, std::string_view storage_root);

// "/a/./b//c/" -> "/a/b/c". Errors: Invalid for a relative path or a ".." segment.
Result<std::string> normalizeAbsolutePath(std::string_view path);

}  // namespace od::core
