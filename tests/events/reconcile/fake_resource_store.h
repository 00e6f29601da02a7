#pragma once
// FakeResourceStore: an in-memory core::ResourceStore with the API server's rules that the
// reconcile and status roles rely on, plus a fake watch.
// - create assigns uid, resourceVersion (one counter for the store), generation 1 and drops
//   status; an existing name is Conflict (AlreadyExists).
// - patch (merge) ignores status, checks metadata.resourceVersion when the patch carries it
//   (Conflict), bumps generation when the spec changed; patchStatus changes only status.
// - remove honours the uid precondition; with finalizers it only sets deletionTimestamp,
//   and the object goes once a patch empties its finalizers.
// - Every change is emitted to the watch log (if set) as ResourceObserved/ResourceDeleted
//   on od:{ctl}:resources, as the watch adapter would.
// - Completions are queued on the Clock (zero delay), never run inside the call.
// - failNext(n, code, op) fails the next n matching calls before their effect.
// Thread affinity: the test thread only. *clock (and the watch log) must outlive it.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/ports/clock.h"
#include "core/ports/object_store.h"
#include "core/ports/resource_store.h"
#include "tests/fakes/fake_event_log.h"

namespace od::fakes {

class FakeResourceStore final : public core::ResourceStore {
 public:
  enum class Op { Any, Get, List, Create, Remove, Patch, PatchStatus };
  struct Call {
    Op op;
    std::string key;   // Kind/namespace/name
    std::string body;  // object or patch
  };

  explicit FakeResourceStore(core::Clock& clock) : clock_(clock) {}

  void watchInto(FakeEventLog* log) { watch_ = log; }
  // Stores `object` at once as create() would (emitted to the watch); returns its uid.
  std::string putNow(const nlohmann::json& object);
  // Emits every stored object again (a relist), with fresh event ids.
  void relist();
  // The stored object, or null json.
  nlohmann::json object(const std::string& kind, const std::string& ns,
                        const std::string& name) const;
  std::vector<nlohmann::json> objects(const std::string& kind) const;
  void failNext(size_t n, core::Errc code, Op op = Op::Any);
  const std::vector<Call>& calls() const { return calls_; }
  size_t count(Op op) const;
  // The most calls whose completions were outstanding at the same time.
  size_t maxInFlight() const { return max_in_flight_; }

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

 private:
  struct Fault {
    size_t n;
    core::Errc code;
    Op op;
  };
  std::optional<core::Error> fault(Op op);
  core::Result<nlohmann::json> doCreate(nlohmann::json object);
  core::Result<nlohmann::json> doPatch(const std::string& key, const std::string& body,
                                       bool status);
  void emit(const nlohmann::json& object, bool deleted, const std::string& salt = "");
  template <typename T>
  core::CancelablePtr later(std::function<void(T)> done, T value) {
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    return clock_.after(std::chrono::milliseconds(0),
                        [this, done = std::move(done), value = std::move(value)]() mutable {
                          --in_flight_;
                          done(std::move(value));
                        });
  }

  core::Clock& clock_;
  FakeEventLog* watch_ = nullptr;
  std::map<std::string, nlohmann::json> objects_;
  uint64_t revision_ = 100;
  uint64_t uids_ = 0;
  uint64_t relists_ = 0;
  size_t in_flight_ = 0;
  size_t max_in_flight_ = 0;
  std::vector<Fault> faults_;
  std::vector<Call> calls_;
};

// An ObjectStore that records removals (the only call the reconcile role makes).
class RecordingObjectStore final : public core::ObjectStore {
 public:
  explicit RecordingObjectStore(core::Clock& clock) : clock_(clock) {}
  std::vector<std::string> removed;
  size_t fail_next_removes = 0;

  core::CancelablePtr put(core::PutRequest request, Callback<core::PutResult> done) override;
  core::CancelablePtr stat(std::string key, Callback<core::ObjectInfo> done) override;
  core::CancelablePtr get(std::string key, uint64_t offset, uint64_t length, core::ChunkSink sink,
                          std::function<void(core::Status)> done) override;
  core::CancelablePtr remove(std::string key, std::function<void(core::Status)> done) override;
  core::Result<std::string> presign(std::string_view key, std::chrono::seconds ttl) const override;

 private:
  core::Clock& clock_;
};

}  // namespace od::fakes
