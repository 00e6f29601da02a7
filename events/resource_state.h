#pragma once
// ResourceState: the fold of the resources stream (ResourceObserved / ResourceDeleted) into
// the current state of every custom resource, keyed "Kind/namespace/name". Reconcilers, the
// status projection and the read model all start from it.
//
// DESIGN
// Level-triggered and idempotent (ARCHITECTURE "Rules of the way"): an observation carries
// the whole object, so the newest observation of a key replaces the old one. Duplicates
// (same uid and resourceVersion) change nothing. Because a relist or resync may re-emit an
// older observation after a newer one or after a deletion, observations are ordered per
// object by resourceVersion when both are numbers (etcd revisions are), and a deletion leaves
// a tombstone so that a late observation of the deleted object does not resurrect it. A new
// object under the same name (another uid) always replaces what was there.
//
// Thread affinity: plain value; one owner (the projection on the loop thread) mutates it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "events/codec.h"
#include "events/envelope.h"

namespace od::events {

struct ResourceKey {
  std::string kind;
  std::string name_space;
  std::string name;
  std::string str() const { return kind + "/" + name_space + "/" + name; }
};

// "Module/ns/name" -> parts. Errors: Corrupt unless there are exactly three non-empty parts.
core::Result<ResourceKey> parseResourceKey(std::string_view key);

struct ResourceEntry {
  ResourceKey key;
  events::ResourceObserved object;  // the latest observation, whole
  std::string event_id;             // the envelope id that set it
};

class ResourceState {
 public:
  enum class Outcome { Changed, Deleted, Duplicate, Stale, Ignored };

  // Folds one envelope. Other event types are Ignored. Errors: Corrupt for an observation or
  // deletion whose key or data cannot be decoded (the state is unchanged).
  core::Result<Outcome> apply(const events::Envelope& envelope);

  const ResourceEntry* find(std::string_view key) const;
  size_t size() const { return entries_.size(); }
  // Entries of one kind (all namespaces when name_space is empty), in key order.
  std::vector<const ResourceEntry*> list(std::string_view kind, std::string_view name_space = {}) const;
  const std::map<std::string, ResourceEntry, std::less<>>& entries() const { return entries_; }

 private:
  struct Tombstone {
    std::string uid;
    std::string resource_version;
  };
  Outcome observe(ResourceKey key, events::ResourceObserved object, std::string event_id);
  Outcome remove(const ResourceKey& key, const events::ResourceDeleted& deleted);

  std::map<std::string, ResourceEntry, std::less<>> entries_;
  std::map<std::string, Tombstone, std::less<>> tombstones_;
};

std::string_view outcomeName(ResourceState::Outcome outcome);

// Compares two resourceVersions: <0, 0, >0 when both are decimal numbers; nullopt when
// either is not (they are opaque strings then, and only equality means anything).
std::optional<int> compareResourceVersions(std::string_view a, std::string_view b);

}  // namespace od::events
