#pragma once
// DESIGN: the object store of the test Kubernetes API server, with the server-side rules
// of the real one: a global resourceVersion bumped by every write; uid, creationTimestamp
// and generation (custom resources: rises only when something outside metadata/status
// changes); status-subresource rules; resourceVersion preconditions (409 Conflict);
// finalizers (deletionTimestamp until the last one is removed); owner-reference garbage
// collection (background: dependents go when no owner remains; Foreground is simplified
// to "dependents first, synchronously"; Orphan strips the owner reference); namespace
// lifecycle (404 for a missing namespace, 403 while it terminates); schema admission
// (prune, default, validate; fieldValidation Strict/Warn/Ignore); no-op writes do not
// bump the resourceVersion; an event log that watches read, compactable to give 410.
//
// Server-side apply is simplified: each Apply manager owns the leaf paths of its last
// applied configuration (lists are atomic); applying merges objects recursively and
// replaces lists and scalars; fields this manager owned before and no longer applies are
// removed unless another manager owns them; a field another Apply manager owns with a
// different value is a conflict (409) unless force. Update operations are not recorded
// in managedFields (so kubectl never tries its client-side-apply migration).
//
// Thread-safe: one mutex guards everything; watchers wait on a condition variable.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/kubeapi/selector.h"
#include "tests/kubeapi/util.h"

namespace od::testkube {

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string list_kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  bool status_subresource = false;
  bool custom = true;     // a custom resource: generation, 415 for strategic merge patch
  json schema;            // openAPIV3Schema, or null
  json printer_columns;   // additionalPrinterColumns (array) or null
  std::vector<std::string> field_labels = {"metadata.name", "metadata.namespace"};

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "modules.opendepot.defdev.io" / "namespaces", as in NotFound messages.
  std::string GroupResource() const { return group.empty() ? plural : plural + "." + group; }
  // "Module.opendepot.defdev.io" / "Namespace", as in Invalid messages.
  std::string GroupKind() const { return group.empty() ? kind : kind + "." + group; }
};

struct WriteOptions {
  std::string field_validation = "Warn";  // Strict | Warn | Ignore
  bool dry_run = false;
  std::string field_manager;
};

struct WriteResult {
  json object;
  std::vector<std::string> warnings;
  bool created = false;
};

struct ListOptions {
  Selector labels;
  Selector fields;
  int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;
  std::string resource_version_match;
};

struct ListResult {
  std::vector<json> items;
  uint64_t resource_version = 0;
  std::string continue_token;
  int64_t remaining = -1;  // remainingItemCount, -1 when unknown
};

struct DeleteOptions {
  std::string propagation = "Background";  // Background | Foreground | Orphan
  std::string precondition_uid;
  std::string precondition_rv;
  bool dry_run = false;
};

struct WatchEvent {
  uint64_t rv = 0;
  const ResourceType* type = nullptr;
  std::string kind;  // ADDED | MODIFIED | DELETED
  json object;
  json previous;     // the object before a MODIFIED/DELETED, else null
};

enum class WatchWait { kEvents, kTimeout, kExpired, kDropped, kClosed };

class Store {
 public:
  Store();

  // Registers a resource type. Types live as long as the Store.
  const ResourceType& AddType(ResourceType type);
  const ResourceType* Find(const std::string& group, const std::string& version,
                           const std::string& plural) const;
  std::vector<const ResourceType*> Types() const;

  WriteResult Create(const ResourceType& t, const std::string& ns, json obj,
                     const WriteOptions& o);
  json Get(const ResourceType& t, const std::string& ns, const std::string& name);
  WriteResult Update(const ResourceType& t, const std::string& ns, const std::string& name,
                     json obj, const WriteOptions& o, bool status);
  // Reads the object, lets `mutate` compute the desired whole object, writes it through
  // the update rules. `mutate` runs under the store lock; it may throw ApiError.
  WriteResult Patch(const ResourceType& t, const std::string& ns, const std::string& name,
                    const std::function<json(const json&)>& mutate, const WriteOptions& o,
                    bool status);
  // Server-side apply (see DESIGN). Creates the object when it is missing.
  WriteResult Apply(const ResourceType& t, const std::string& ns, const std::string& name,
                    json applied, const WriteOptions& o, bool status, bool force);
  // Returns the object (with deletionTimestamp when finalizers keep it) and whether it is
  // gone now.
  std::pair<json, bool> Delete(const ResourceType& t, const std::string& ns,
                               const std::string& name, const DeleteOptions& o);
  ListResult List(const ResourceType& t, const std::string& ns, const ListOptions& o);

  // Events of `t` (in namespace `ns` unless empty) with rv > *cursor, appended to *out;
  // waits until there is one, `deadline` passes, watches are dropped (drop generation
  // differs from `drop_gen`) or the store closes. Advances *cursor.
  WatchWait WaitEvents(const ResourceType& t, uint64_t* cursor, std::vector<WatchEvent>* out,
                       std::chrono::steady_clock::time_point deadline, uint64_t drop_gen);
  uint64_t CurrentRv();
  uint64_t DropGeneration();
  // Forgets every event up to now: watches and continue tokens from before get 410.
  void Compact();
  void DropWatches();
  void Close();

 private:
  using Objects = std::map<std::string, json>;  // "ns/name" -> object

  Objects& Bucket(const ResourceType& t) { return objects_[&t]; }
  json* FindLocked(const ResourceType& t, const std::string& ns, const std::string& name);
  void CheckNamespaceLocked(const ResourceType& t, const std::string& ns, bool creating);
  std::vector<std::string> AdmitLocked(const ResourceType& t, json& obj, const WriteOptions& o);
  WriteResult CreateLocked(const ResourceType& t, const std::string& ns, json obj,
                           const WriteOptions& o);
  WriteResult UpdateLocked(const ResourceType& t, const std::string& ns,
                           const std::string& name, json obj, const WriteOptions& o,
                           bool status, bool keep_managed_fields);
  std::pair<json, bool> DeleteLocked(const ResourceType& t, const std::string& ns,
                                     const std::string& name, const DeleteOptions& o);
  void RemoveLocked(const ResourceType& t, const std::string& key);
  void CollectGarbageLocked(const std::string& owner_uid, const std::string& owner_ns,
                            bool owner_namespaced);
  void OrphanDependentsLocked(const std::string& owner_uid);
  void FinishNamespaceLocked(const std::string& ns);
  void RecordLocked(const ResourceType& t, const std::string& kind, const json& obj,
                    const json& previous);
  const ResourceType* TypeOfUidLocked(const std::string& uid, std::string* key);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<ResourceType>> types_;
  std::map<const ResourceType*, Objects> objects_;
  std::map<std::string, std::pair<const ResourceType*, std::string>> by_uid_;
  std::deque<WatchEvent> log_;
  uint64_t rv_ = 1000;
  uint64_t floor_ = 0;  // events with rv <= floor_ are forgotten
  uint64_t drop_gen_ = 0;
  bool closed_ = false;
  const ResourceType* namespaces_ = nullptr;
};

// Kubernetes-style helpers shared with the HTTP layer.
std::string ObjectKey(const std::string& ns, const std::string& name);
std::string NewUid();

}  // namespace od::testkube
