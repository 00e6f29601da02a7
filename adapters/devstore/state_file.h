#pragma once
// The dev store's state file: every object (with where it came from) and the global
// resourceVersion counter, as one JSON document, so that `opendepot get` in another process
// can read what `opendepot dev` holds.
//
//   {"format":"opendepot-devstore/v1","resourceVersion":"42",
//    "objects":[{"origin":"manifests","object":{...the object as the API would return it...}}]}
//
// Writes are atomic: a temporary file in the same directory, fsync, rename over the old
// file, fsync of the directory. A reader therefore sees the old or the new state, never a
// mix. Thread affinity: pure functions with blocking file I/O, any thread.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/ports/clock.h"
#include "core/result.h"

namespace od::adapters::devstore {

inline constexpr std::string_view kStateFormat = "opendepot-devstore/v1";
// The state file's name in the dev state folder (where `opendepot dev` keeps it and
// `opendepot get` looks for it): <state dir>/resources.json.
inline constexpr std::string_view kStateFileName = "resources.json";

// Where an object came from: created through the ResourceStore port (the reconciler), or
// applied from the manifest folder (only those are deleted when their manifest goes).
inline constexpr std::string_view kOriginApi = "api";
inline constexpr std::string_view kOriginManifests = "manifests";

struct StoredObject {
  std::string origin;     // kOriginApi or kOriginManifests
  nlohmann::json object;  // apiVersion, kind, metadata, spec, status
  std::string kind() const;
};

struct StoreState {
  uint64_t resource_version = 0;  // the last resourceVersion handed out
  std::vector<StoredObject> objects;
};

// Errors: Unavailable when the file cannot be written (the old file stays as it was).
core::Status writeStateFile(const std::string& path, const StoreState& state);

// Errors: NotFound when the file does not exist; Unavailable when it cannot be read;
// Corrupt (with the reason) when it is not a state file this version understands: bad JSON,
// wrong format, an object without kind, name, namespace, uid or resourceVersion, an unknown
// kind, or the same object twice.
core::Result<StoreState> readStateFile(const std::string& path);

// Renames a (corrupt) state file to "<path>.corrupt-<YYYYMMDDTHHMMSSZ>" and returns the new
// path. Errors: Unavailable.
core::Result<std::string> moveAside(const std::string& path, core::Clock::TimePoint now);

}  // namespace od::adapters::devstore
