#pragma once
// ReadModel: the fold behind the registry's read side (DESIGN in snapshot.h). It reads
//   - od:{ctl}:resources: Modules and Versions, through proj::ResourceState (ordering by
//     resourceVersion, tombstones, duplicates; it keeps only identity, not the documents),
//     each observation reduced at once to a compact record;
//   - od:{ctl}:facts: VersionSynced (checksum, file name, size for one Version generation).
// A Version of type Module is servable when it is not being deleted, its version parses,
// its storage key can be derived (core::artifactKey) and it is synced with a checksum:
// from a VersionSynced of its current generation naming its spec.fileName, or from its
// observed status (synced=true with a checksum). A VersionSyncFailed never unpublishes
// what is stored (it is not even read). A module is listed while a Module resource names it
// or it has a servable version.
//
// The streams are read independently, so facts may come before the Version they are about;
// they are kept by key and matched when the snapshot is built. Tying a fact to the spec's
// fileName (a UUIDv7 fixed once per Version object) keeps a late fact about a deleted and
// re-created Version from publishing the old artifact under the new object.
//
// build() rebuilds only the modules touched since the previous build and shares the others.
// Thread affinity: one owner (the feed on the control loop); build()'s result is immutable
// and may go to any thread.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "events/envelope.h"
#include "projections/read_model/snapshot.h"
#include "projections/resource_state.h"

namespace od::proj {

struct ReadModelOptions {
  std::string storage_root = "/data";  // --storage-root: artifact keys are relative to it
};

class ReadModel {
 public:
  explicit ReadModel(ReadModelOptions options);

  enum class Outcome { Changed, Unchanged, Ignored };
  // Folds one envelope of either stream. Errors: Corrupt for an event of a type this model
  // reads whose key or data cannot be decoded (nothing changes). Replays are harmless.
  core::Result<Outcome> apply(const events::Envelope& envelope);

  // True when something folded since the last build() may change the registry.
  bool dirty() const { return !dirty_.empty(); }
  // The next snapshot (sequence numbers count builds from 1).
  SnapshotPtr build();

  size_t versionRecords() const { return versions_.size(); }
  // Versions of type Module that can never be served as observed (bad version text, no
  // storage key); kept so a later observation can fix them.
  size_t unservableVersions() const { return unservable_; }

 private:
  struct VersionRecord {
    std::string module;  // moduleIndexKey
    std::string name_space, config_name, system;
    std::string version;  // canonical; empty when it does not parse
    std::string key;      // storage key; empty when none can be derived
    std::string file_name;
    int64_t generation = 0;
    bool deleting = false;
    bool status_synced = false;
    std::string status_checksum;
    uint64_t status_size = 0;
  };
  struct ModuleRecord {
    std::string module;
    std::string name_space, config_name, system;
  };
  struct SyncedFact {
    int64_t generation = 0;
    std::string file_name;
    std::string checksum;
    uint64_t size = 0;
  };
  struct ModuleAgg {
    std::set<std::string> module_resources;  // Module resource keys naming it
    std::set<std::string> versions;          // Version resource keys in it
    ModuleViewPtr view;
  };

  core::Result<Outcome> applyResource(const events::Envelope& envelope);
  core::Result<Outcome> applySynced(const events::Envelope& envelope);
  // `entry` is the state's entry after the fold (null when deleted), `object` the full
  // observation that made it.
  void refreshVersion(const std::string& key, const ResourceEntry* entry,
                      const events::ResourceObserved* object);
  void refreshModule(const std::string& key, const ResourceEntry* entry,
                     const events::ResourceObserved* object);
  std::optional<ServableVersion> servable(const std::string& key, const VersionRecord& r) const;
  ModuleViewPtr buildView(const ModuleAgg& agg) const;
  void touch(const std::string& module) { dirty_.insert(module); }

  ReadModelOptions options_;
  simdjson::dom::parser parser_;  // reused for every spec and status read
  ResourceState resources_;
  std::unordered_map<std::string, VersionRecord> versions_;  // by "Version/ns/name"
  std::unordered_map<std::string, ModuleRecord> modules_;    // by "Module/ns/name"
  std::unordered_map<std::string, SyncedFact> facts_;        // by "Version/ns/name"
  std::unordered_map<std::string, ModuleAgg> aggs_;          // by moduleIndexKey
  std::set<std::string> dirty_;                              // moduleIndexKeys
  size_t unservable_ = 0;
  uint64_t sequence_ = 0;
};

std::string_view outcomeName(ReadModel::Outcome outcome);

}  // namespace od::proj
