#pragma once
// DESIGN — the registry read model (projections/read_model/).
//   ReadModel (read_model.h) folds the resources stream (Modules, Versions) and the facts
//   stream (VersionSynced) into compact per-Version records and builds an immutable Snapshot
//   from them; ReadModelFeed (feed.h) drives it from the EventLog on the control loop and
//   publishes through a SnapshotHolder, which every HTTP loop reads once per request
//   (ARCHITECTURE: "The server never asks Kubernetes per request").
//
// This header: the Snapshot and what it holds.
//   - A ModuleView is one registry module (Kubernetes namespace, module config name, system)
//     with its servable versions and the pre-rendered body of its versions list. Views are
//     immutable and shared between successive snapshots: a publish rebuilds only the
//     modules whose Versions changed.
//   - Lookups are case-insensitive (clients send namespace and name as the user typed them;
//     protocol-conformance §2.1): keys are ASCII-lowercased.
//   - No JSON DOM is kept; a version costs its canonical text, checksum, storage key and size.
//   - Providers (Versions of type Provider) have their own index of ProviderViews
//     (provider_view.h), looked up the same way.
// Thread affinity: a Snapshot is immutable once published; any thread may read it.
// SnapshotHolder: any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "projections/read_model/provider_view.h"

namespace od::proj {

struct ServableVersion {
  std::string version;   // canonical (go-version String(): "1.2.0", no 'v')
  std::string checksum;  // base64 SHA-256 of the stored artifact
  std::string key;       // storage key relative to --storage-root ("dir/name/<file>")
  uint64_t size = 0;     // bytes; 0 when unknown

  // The last segment of `key`: the stored file name (e.g. "<uuidv7>.zip").
  std::string_view fileName() const;
};

struct ModuleView {
  std::string name_space;  // as in Kubernetes
  std::string name;        // module config name, as written
  std::string system;      // moduleConfig.provider, as written (may be empty)
  // Sorted by `version` text (bytewise) for lookup; at most one entry per canonical version.
  std::vector<ServableVersion> versions;
  // {"modules":[{"versions":[{"version":"2.0.0"},{"version":"1.2.0"}]}]}, newest first.
  std::string versions_body;

  // The version whose canonical text is `canonical`, or nullptr.
  const ServableVersion* find(std::string_view canonical) const;
};

using ModuleViewPtr = std::shared_ptr<const ModuleView>;

// "ns\0name\0system", ASCII-lowercased: the index key of a module.
std::string moduleIndexKey(std::string_view name_space, std::string_view name,
                           std::string_view system);

// Renders the versions list body (newest first by SemVer precedence).
std::string renderVersionsBody(const std::vector<ServableVersion>& versions);

class Snapshot {
 public:
  using Index = std::unordered_map<std::string, ModuleViewPtr>;
  using ProviderIndex = std::unordered_map<std::string, ProviderViewPtr>;  // providerIndexKey

  Snapshot() = default;
  Snapshot(Index modules, uint64_t sequence, ProviderIndex providers = {});

  // The module (namespace, name, system), matched case-insensitively. A module whose system
  // is empty answers for any system. nullptr when unknown.
  const ModuleView* findModule(std::string_view name_space, std::string_view name,
                               std::string_view system) const;

  // The provider (Kubernetes namespace, type), matched case-insensitively; nullptr when
  // unknown.
  const ProviderView* findProvider(std::string_view name_space, std::string_view type) const;

  size_t moduleCount() const { return modules_.size(); }
  size_t providerCount() const { return providers_.size(); }
  size_t versionCount() const { return version_count_; }
  // 1 for the first snapshot published, +1 for each later one; 0 for an empty default.
  uint64_t sequence() const { return sequence_; }
  const Index& modules() const { return modules_; }
  const ProviderIndex& providers() const { return providers_; }

 private:
  Index modules_;
  ProviderIndex providers_;
  size_t version_count_ = 0;
  uint64_t sequence_ = 0;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// The published snapshot. Starts with an empty one, so load() never returns null.
class SnapshotHolder {
 public:
  SnapshotHolder() : current_(std::make_shared<const Snapshot>()) {}
  SnapshotPtr load() const { return current_.load(std::memory_order_acquire); }
  void store(SnapshotPtr snapshot) { current_.store(std::move(snapshot), std::memory_order_release); }

 private:
  std::atomic<SnapshotPtr> current_;
};

}  // namespace od::proj
