#pragma once
// ReadModel: the fold behind the registry's read side (DESIGN in snapshot.h). It reads
//   - od:{ctl}:resources: Modules, Providers and Versions, through events::ResourceState
//     (ordering by resourceVersion, tombstones, duplicates; it keeps only identity, not the
//     documents), each observation reduced at once to a compact record;
//   - od:{ctl}:facts: VersionSynced (checksum, file name, size and, for providers, the h1
//     dirhash, for one Version generation).
// A Version is servable when it is not being deleted, its version parses, its storage key
// can be derived (core::artifactKey) and it is synced with a checksum: from a VersionSynced
// of its current generation naming its spec.fileName, or from its observed status
// (synced=true with a checksum). A VersionSyncFailed never unpublishes what is stored (it is
// not even read). A Version of type Provider also needs an OS and architecture (lowercase
// letters and digits) and a checksum that is a base64 SHA-256; it is one platform of its
// release. A module (provider) is listed while a Module (Provider) resource names it or it
// has a servable version.
//
// The streams are read independently, so facts may come before the Version they are about;
// they are kept by key and matched when the snapshot is built. Tying a fact to the spec's
// fileName (a UUIDv7 fixed once per Version object) keeps a late fact about a deleted and
// re-created Version from publishing the old artifact under the new object.
//
// Provider releases carry the signature of their SHA256SUMS when it is known: signatures are
// made outside the model (ReadModelFeed asks a core::Signer, off the loop) and handed back
// with addSignature(); a document nobody serves any more loses its signature at the next
// build.
//
// build() rebuilds only the modules and providers touched since the previous build and
// shares the others.
// Thread affinity: one owner (the feed on the control loop); build()'s result is immutable
// and may go to any thread.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "events/envelope.h"
#include "projections/read_model/snapshot.h"
#include "events/resource_state.h"

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
  bool dirty() const { return !dirty_.empty() || !dirty_providers_.empty(); }
  // The next snapshot (sequence numbers count builds from 1).
  SnapshotPtr build();

  size_t versionRecords() const { return versions_.size(); }
  // Versions that can never be served as observed (bad version text, no storage key, a
  // provider platform that is no OS/arch); kept so a later observation can fix them.
  size_t unservableVersions() const { return unservable_; }

  // The SHA256SUMS documents of the last build() that have no signature yet.
  std::vector<std::string> unsignedShasums() const;
  // Records the signature of `shasums`; the providers serving it are rebuilt by the next
  // build(). Ignored (false) when no provider of the last build serves that document.
  bool addSignature(const std::string& shasums, std::string signature);

 private:
  struct VersionRecord {
    bool provider = false;  // spec.type Provider
    std::string index;      // moduleIndexKey or providerIndexKey
    std::string name_space, config_name, system;  // system: modules only
    std::string os, arch;                         // providers only; lowercased
    std::string version;  // canonical; empty when it does not parse
    std::string key;      // storage key; empty when none can be derived
    std::string file_name;
    int64_t generation = 0;
    bool deleting = false;
    bool status_synced = false;
    std::string status_checksum;
    uint64_t status_size = 0;
  };
  // A Module or Provider resource (system empty for providers).
  struct ParentRecord {
    std::string index;
    std::string name_space, config_name, system;
  };
  struct SyncedFact {
    int64_t generation = 0;
    std::string file_name;
    std::string checksum;
    uint64_t size = 0;
    std::string h1;
  };
  struct Agg {
    std::set<std::string> parents;   // Module/Provider resource keys naming it
    std::set<std::string> versions;  // Version resource keys in it
    ModuleViewPtr view;              // modules
    ProviderViewPtr provider_view;   // providers
  };
  using AggMap = std::unordered_map<std::string, Agg>;

  core::Result<Outcome> applyResource(const events::Envelope& envelope);
  core::Result<Outcome> applySynced(const events::Envelope& envelope);
  // `entry` is the state's entry after the fold (null when deleted), `object` the full
  // observation that made it.
  void refreshVersion(const std::string& key, const events::ResourceEntry* entry,
                      const events::ResourceObserved* object);
  void refreshParent(const std::string& key, const events::ResourceEntry* entry,
                     const events::ResourceObserved* object);
  std::optional<VersionRecord> recordOf(const events::ResourceEntry& entry,
                                        const events::ResourceObserved& object);
  std::optional<ParentRecord> parentOf(const events::ResourceEntry& entry,
                                       const events::ResourceObserved& object);
  // The checksum, size and h1 a servable Version serves; nullopt when it is not servable.
  std::optional<SyncedFact> servedFact(const std::string& key, const VersionRecord& r) const;
  std::optional<ServableVersion> servable(const std::string& key, const VersionRecord& r) const;
  ModuleViewPtr buildView(const Agg& agg) const;
  ProviderViewPtr buildProviderView(const std::string& index, const Agg& agg);
  void rebuild(AggMap& aggs, std::set<std::string>& dirty, bool provider);
  // Recomputes unsigned_ and drops signatures no release of `providers` serves.
  void collectSignatures(const Snapshot::ProviderIndex& providers);
  AggMap& aggsOf(bool provider) { return provider ? provider_aggs_ : aggs_; }
  void touch(bool provider, const std::string& index) {
    (provider ? dirty_providers_ : dirty_).insert(index);
  }

  ReadModelOptions options_;
  simdjson::dom::parser parser_;  // reused for every spec and status read
  events::ResourceState resources_;
  std::unordered_map<std::string, VersionRecord> versions_;  // by "Version/ns/name"
  std::unordered_map<std::string, ParentRecord> parents_;    // by "Module|Provider/ns/name"
  std::unordered_map<std::string, SyncedFact> facts_;        // by "Version/ns/name"
  AggMap aggs_;                                              // by moduleIndexKey
  AggMap provider_aggs_;                                     // by providerIndexKey
  std::set<std::string> dirty_;                              // moduleIndexKeys
  std::set<std::string> dirty_providers_;                    // providerIndexKeys
  // SHA256SUMS document -> its signature, for the documents the last build serves.
  std::unordered_map<std::string, std::string> signatures_;
  // SHA256SUMS document without a signature -> the providers serving it.
  std::unordered_map<std::string, std::set<std::string>> unsigned_;
  size_t unservable_ = 0;
  uint64_t sequence_ = 0;
};

std::string_view outcomeName(ReadModel::Outcome outcome);

}  // namespace od::proj
