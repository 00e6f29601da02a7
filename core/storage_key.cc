#include "core/storage_key.h"

#include <vector>

namespace od::core {
namespace {

Result<std::string> plainSegment(std::string_view what, const std::optional<std::string>& value) {
  if (!value || value->empty()) {
    return makeError(Errc::Invalid, std::string(what) + " is empty");
  }
  const std::string& s = *value;
  if (s == "." || s == ".." || s.find('/') != std::string::npos ||
      s.find('\\') != std::string::npos || s.find('\0') != std::string::npos) {
    return makeError(Errc::Invalid, std::string(what) + " '" + s + "' is not a plain file name");
  }
  return s;
}

const StorageConfig* storageOf(const VersionSpec& spec) {
  if (spec.module_config_ref && spec.module_config_ref->storage_config) {
    return &*spec.module_config_ref->storage_config;
  }
  if (spec.provider_config_ref && spec.provider_config_ref->storage_config) {
    return &*spec.provider_config_ref->storage_config;
  }
  return nullptr;
}

// The directory part of the key: directoryPath relative to the root.
Result<std::string> relativeDir(const StorageConfig* storage, std::string_view storage_root) {
  if (storage == nullptr) {
    return std::string();
  }
  if (!storage->file_system) {
    const char* backend = storage->s3 ? "s3" : storage->azure_storage ? "azureStorage"
                          : storage->gcs ? "gcs" : nullptr;
    if (backend != nullptr) {
      return makeError(Errc::Invalid, std::string("storage backend ") + backend +
                                          " is not supported by this build yet: use fileSystem");
    }
    return std::string();
  }
  const auto& dir = storage->file_system->directory_path;
  if (!dir || dir->empty()) {
    return std::string();
  }
  OD_TRY(std::string root, normalizeAbsolutePath(storage_root));
  auto path = normalizeAbsolutePath(*dir);
  if (!path.ok()) {
    return makeError(Errc::Invalid, "fileSystem.directoryPath '" + *dir + "': " +
                                        path.error().message);
  }
  if (*path == root) {
    return std::string();
  }
  std::string prefix = root == "/" ? root : root + "/";
  if (path->rfind(prefix, 0) != 0) {
    return makeError(Errc::Invalid, "fileSystem.directoryPath '" + *dir +
                                        "' is not under the storage root '" + root + "'");
  }
  return path->substr(prefix.size());
}

}  // namespace

Result<std::string> normalizeAbsolutePath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return makeError(Errc::Invalid, "the path is not absolute");
  }
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      return makeError(Errc::Invalid, "the path holds a '..' segment");
    }
    if (seg.find('\0') != std::string_view::npos) {
      return makeError(Errc::Invalid, "the path holds a NUL byte");
    }
    if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto seg : parts) {
    out += '/';
    out += seg;
  }
  return out.empty() ? std::string("/") : out;
}

Result<std::string> artifactKey(const VersionSpec& spec, std::string_view storage_root) {
  std::optional<std::string> name;
  if (spec.type == "Module" && spec.module_config_ref) {
    name = spec.module_config_ref->name;
  } else if (spec.type == "Provider" && spec.provider_config_ref) {
    name = spec.provider_config_ref->name;
  } else {
    return makeError(Errc::Invalid, "the Version has no config ref of its type '" + spec.type + "'");
  }
  OD_TRY(std::string config_name, plainSegment("the config name", name));
  OD_TRY(std::string file_name, plainSegment("spec.fileName", spec.file_name));
  OD_TRY(std::string dir, relativeDir(storageOf(spec), storage_root));
  std::string key = dir.empty() ? std::string() : dir + "/";
  return key + config_name + "/" + file_name;
}

}  // namespace od::core
