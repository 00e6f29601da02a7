#pragma once
// DESIGN (adapters/devstore): `opendepot dev` without Kubernetes. LocalResourceStore is the
// core::ResourceStore of dev mode; ManifestFolder (manifest_folder.h) applies the user's
// manifests to it; DevWatch (dev_watch.h) turns its changes into the same
// ResourceObserved/ResourceDeleted records the cluster watch appends; renderGet()
// (get_table.h) prints it for `opendepot get`.
//
// LocalResourceStore keeps the five opendepot kinds in memory with the API server's rules:
// - uid (random v4), one global resourceVersion counter bumped by every write, generation 1
//   on create and +1 only when something outside metadata and status changes,
//   metadata.creationTimestamp, ownerReferences kept as given. Writes that change nothing do
//   not bump the resourceVersion and report no change.
// - create of an existing name: Conflict ("already exists"); a resourceVersion in the body:
//   Invalid; status is dropped on create (the status subresource rule).
// - patch() (merge or JSON patch) never changes status; patchStatus() changes only status.
//   A metadata.resourceVersion (or uid) in the patched result that differs from the stored
//   one is a precondition: Conflict. Name, namespace, kind and apiVersion cannot change.
//   Every write is validated with core/resources (Invalid lists every problem).
// - remove() checks uid/resourceVersion preconditions (Conflict). An object with finalizers
//   gets metadata.deletionTimestamp and goes when a patch empties its finalizers. When an
//   object goes, its dependents (ownerReferences to its uid) whose owners are all gone go too
//   (background garbage collection; Versions owned by a deleted Module).
// - list(): label selectors (label_selector.h), paging with limit and an opaque continue
//   token (key-ordered: namespace, then name), name_space empty = every namespace.
// - Callbacks and change notifications are POSTED to the loop, never run inside the call,
//   in the order the writes happened. Handles cancel them.
// - Persistence: the state file (state_file.h) is rewritten atomically after changes,
//   coalesced to one write per loop iteration (dev-mode sizes are kilobytes, so the write is
//   done on the loop thread), and on flush() and destruction. open() loads it; a corrupt
//   file is moved aside and reported, and the store starts empty.
//
// Thread affinity: loop thread only. *loop, *clock and *random must outlive the store.
// Handles returned by its calls may outlive it.

#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/devstore/object_rules.h"
#include "adapters/devstore/state_file.h"
#include "adapters/kube/reflector.h"
#include "adapters/loop/event_loop.h"
#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/ports/resource_store.h"

namespace od::adapters::devstore {

// One change of one object, as a watch would report it.
struct Change {
  std::string kind;
  // The object's JSON after the change; for a deletion, its last state carrying the
  // deletion's resourceVersion (like a Kubernetes DELETED watch event).
  std::string object;
  kube::ObjectIdentity id;  // namespace, name, uid, resourceVersion of `object`
  bool deleted = false;
};

struct LocalStoreOptions {
  std::string state_file;              // empty: memory only
  spdlog::logger* logger = nullptr;    // nullptr: spdlog's default logger
};

struct OpenReport {
  size_t objects = 0;        // objects loaded
  std::string moved_aside;   // where a corrupt state file was moved ("" when none)
  std::string problem;       // why it was moved aside
};

class LocalResourceStore final : public core::ResourceStore {
 public:
  LocalResourceStore(loop::EventLoop& loop, core::Clock& clock, core::Random& random,
                     LocalStoreOptions options);
  ~LocalResourceStore() override;  // flushes unsaved changes
  LocalResourceStore(const LocalResourceStore&) = delete;
  LocalResourceStore& operator=(const LocalResourceStore&) = delete;

  // Loads the state file (if any). Call once, before anything else. A corrupt file is
  // moved aside, logged as an error and reported; the store then starts empty.
  // Errors: Unavailable when the file cannot be read or moved aside.
  core::Result<OpenReport> open();

  // core::ResourceStore
  core::CancelablePtr get(core::ResourceRef ref, Callback<std::string> done) override;
  core::CancelablePtr list(std::string kind, std::string name_space, core::ListOptions options,
                           Callback<core::ListPage> done) override;
  core::CancelablePtr create(std::string kind, std::string name_space, std::string object_json,
                             Callback<std::string> done) override;
  core::CancelablePtr remove(core::ResourceRef ref, core::DeletePreconditions preconditions,
                             std::function<void(core::Status)> done) override;
  core::CancelablePtr patch(core::ResourceRef ref, core::PatchType type, std::string body,
                            Callback<std::string> done) override;
  core::CancelablePtr patchStatus(core::ResourceRef ref, core::PatchType type, std::string body,
                                  Callback<std::string> done) override;

  // The same operations, synchronous: the effect and the result at once (change
  // notifications are still posted). For ManifestFolder and tests; loop thread only.
  core::Result<std::string> getNow(const core::ResourceRef& ref) const;
  core::Result<core::ListPage> listNow(const std::string& kind, const std::string& name_space,
                                       const core::ListOptions& options) const;
  core::Result<std::string> createNow(const std::string& kind, const std::string& name_space,
                                      const std::string& object_json,
                                      std::string_view origin = kOriginApi);
  core::Status removeNow(const core::ResourceRef& ref,
                         const core::DeletePreconditions& preconditions);
  core::Result<std::string> patchNow(const core::ResourceRef& ref, core::PatchType type,
                                     const std::string& body, bool status);

  // Every object with its origin, ordered by kind, namespace, name.
  std::vector<StoredObject> objects() const;
  // The origin of an object, "" when there is none.
  std::string originOf(const core::ResourceRef& ref) const;
  uint64_t resourceVersion() const { return resource_version_; }

  // Calls `listener` (posted, on the loop thread, in order) for every later change until the
  // handle is cancelled or destroyed.
  core::CancelablePtr subscribe(std::function<void(const Change&)> listener);

  // Writes the state file now if there are unsaved changes. Errors: Unavailable (the
  // changes stay unsaved and are retried on the next change or flush).
  core::Status flush();
  // The last failed save ("" after a successful one).
  const std::string& lastSaveError() const { return save_error_; }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  struct Entry {
    std::string origin;
    Json object;
  };
  struct Listener;

  Entry* find(const core::ResourceRef& ref);
  const Entry* find(const core::ResourceRef& ref) const;
  // Commits `next` as the new state of `entry` (rv bump, notify, save) or removes it when it
  // is terminating without finalizers.
  std::string commit(const std::string& kind, const Key& key, Json next);
  void erase(const std::string& kind, const Key& key);
  void collectGarbage(const std::string& owner_uid);
  bool uidExists(const std::string& uid) const;
  void notify(const std::string& kind, const Json& object, bool deleted);
  void scheduleSave();
  template <typename T, typename F>
  core::CancelablePtr postResult(F compute, std::function<void(T)> done);

  loop::EventLoop& loop_;
  core::Clock& clock_;
  core::Random& random_;
  LocalStoreOptions options_;
  spdlog::logger* logger_;
  std::map<std::string, std::map<Key, Entry>> objects_;  // kind -> objects
  uint64_t resource_version_ = 0;
  std::vector<std::shared_ptr<Listener>> listeners_;
  bool dirty_ = false;
  bool save_posted_ = false;
  std::string save_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace od::adapters::devstore
