#pragma once
// ManifestFolder: the desired state of `opendepot dev` — a folder of manifests applied to
// the LocalResourceStore as user-owned objects (origin kOriginManifests).
//
// - Reads *.yaml, *.yml (multi-document) and *.json (one object) below the folder,
//   recursively, skipping hidden files and folders (editor swap files). Only
//   opendepot.defdev.io/v1alpha1 Depot, Module, Provider, Version and GroupBinding are
//   accepted; each document is validated with core/resources; the namespace defaults to
//   "default"; server-set metadata (uid, resourceVersion, generation, timestamps) and
//   status in a manifest are ignored.
// - Apply: a new (or missing) object is created; when a manifest changed since it was last
//   applied, the object gets its labels, annotations and spec replaced by a JSON patch
//   (status kept; generation moves only when spec changes). Changes others make to the
//   object (the status projection resetting spec.forceSync) are not undone until the
//   manifest changes again; the first scan after a restart re-applies a manifest that
//   differs from its object. An object of the folder whose manifest has gone is deleted
//   (its owned children go with it).
//   Objects the folder did not create (the reconciler's Versions) are never touched: a
//   manifest naming one is reported.
// - Errors are per file and per document (file, document number, reason), logged when they
//   first appear and kept in problems(). A file that cannot be read or parsed, or that holds
//   an invalid document, keeps the objects it held at its last good reading. When such a
//   file has no last good reading (the first scan after a restart), no object is deleted in
//   that scan, since what the file held is unknown.
// - Rescans every `interval`; a file is re-read when its mtime or size changed (or its mtime
//   is under 3 s old, so a quick same-size edit is not missed) and re-parsed only when its
//   content hash changed. Reading is blocking file I/O on the loop thread: dev folders are
//   small.
//
// Thread affinity: loop thread only. *store and *clock must outlive it.

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "adapters/devstore/local_resource_store.h"
#include "core/ports/clock.h"

namespace od::adapters::devstore {

struct ManifestProblem {
  std::string file;      // path relative to the folder; "" for the folder itself
  size_t document = 0;   // 1-based document number in the file; 0 for the whole file
  std::string message;
  // "modules.yaml: document 2: Module \"default/x\" is invalid: spec.versions: ..."
  std::string describe() const;
  bool operator==(const ManifestProblem&) const = default;
};

struct ManifestFolderOptions {
  std::string directory;
  std::chrono::milliseconds interval{1000};  // rescan period
  spdlog::logger* logger = nullptr;          // nullptr: spdlog's default logger
};

// What one scan did.
struct ScanResult {
  size_t files = 0;      // manifest files in the folder
  size_t objects = 0;    // objects the folder declares
  size_t created = 0;
  size_t updated = 0;
  size_t deleted = 0;
  size_t problems = 0;
};

class ManifestFolder {
 public:
  ManifestFolder(LocalResourceStore& store, core::Clock& clock, ManifestFolderOptions options);
  ~ManifestFolder();
  ManifestFolder(const ManifestFolder&) = delete;
  ManifestFolder& operator=(const ManifestFolder&) = delete;

  // Scans now, then every interval.
  void start();
  void stop();
  // One scan, synchronously.
  ScanResult scanNow();
  // The problems of the last scan.
  const std::vector<ManifestProblem>& problems() const { return problems_; }

  using Identity = std::tuple<std::string, std::string, std::string>;  // kind, ns, name
  struct Desired {
    std::string kind, name_space, name;
    nlohmann::json object;  // the manifest, normalised
    std::string file;
    size_t document = 0;    // 1-based
  };

 private:
  struct FileState {
    int64_t mtime_ns = 0;
    uintmax_t size = 0;
    size_t hash = 0;
    bool read = false;                     // content was read at least once
    bool has_good = false;                 // `good` comes from a reading
    std::vector<Desired> good;             // the objects it declares (last good)
    std::vector<ManifestProblem> problems; // of its last reading
  };
  struct Plan;

  void tick();
  bool refreshFiles(std::vector<ManifestProblem>& problems);
  void readFile(const std::string& rel, FileState& state);
  void parseFile(const std::string& rel, const std::string& text, FileState& state);
  void apply(Plan& plan, ScanResult& result);
  void applyOne(const Desired& d, ScanResult& result, std::vector<ManifestProblem>& problems);
  void report(std::vector<ManifestProblem> problems);

  LocalResourceStore& store_;
  core::Clock& clock_;
  ManifestFolderOptions options_;
  spdlog::logger* logger_;
  std::map<std::string, FileState> files_;  // relative path -> state
  std::map<Identity, size_t> applied_;      // hash of the manifest last applied
  bool uncertain_ = false;                  // a broken file without a last good reading
  std::vector<ManifestProblem> problems_;
  core::CancelablePtr timer_;
};

}  // namespace od::adapters::devstore
