#pragma once
// FsObjectStore: core::ObjectStore on a local directory (dev mode, single-node installs, a
// shared volume for several workers). See fs_ops.h for the on-disk rules (atomic
// no-replace publish, checksum side files, no symlinks followed, temp files always removed).
//
// DESIGN
// - Every blocking step runs on the WorkerPool; callbacks come back on the loop thread.
//   Jobs capture only values and the immutable FsRoot (shared_ptr<const>), never the store,
//   so destroying the store while jobs run is safe: the handles cancel the callbacks.
// - get() streams: one pool job opens the object, then one job per chunk (chunk_bytes)
//   carries the descriptor by value and hands it back with the bytes; `sink` runs on the
//   loop between chunks, so memory stays bounded by one chunk.
// - A full pool answers Errc::Unavailable through the callback (posted, never re-entrant).
// - presign() answers Errc::Invalid: the server proxies filesystem downloads.
// Thread affinity: loop thread only (like the port). `*loop` and `*pool` must outlive the
// store and every handle it returned.

#include <memory>
#include <string>

#include "adapters/exec/worker_pool.h"
#include "adapters/loop/event_loop.h"
#include "adapters/storage/fs/fs_ops.h"
#include "core/ports/object_store.h"

namespace od::adapters::storage {

struct FsObjectStoreOptions {
  std::string root;                // directory; created when missing; must not be a symlink
  size_t chunk_bytes = 256 * 1024; // copy and get() chunk size
  WriteFault write_fault;          // tests only: injected write errors
};

class FsObjectStore final : public core::ObjectStore {
 public:
  // Opens (creating if needed) the root. Errc::Permission when it is a symlink.
  static core::Result<std::unique_ptr<FsObjectStore>> open(loop::EventLoop& loop, exec::WorkerPool& pool,
                                                           FsObjectStoreOptions options);

  // core::ObjectStore
  core::CancelablePtr put(core::PutRequest request, Callback<core::PutResult> done) override;
  core::CancelablePtr stat(std::string key, Callback<core::ObjectInfo> done) override;
  core::CancelablePtr get(std::string key, uint64_t offset, uint64_t length, core::ChunkSink sink,
                          std::function<void(core::Status)> done) override;
  core::CancelablePtr remove(std::string key, std::function<void(core::Status)> done) override;
  core::Result<std::string> presign(std::string_view key, std::chrono::seconds ttl) const override;

  // Removes temp files older than `older_than` left by killed writers (run at worker start and
  // periodically; a live writer's temp file is younger). Calls back with how many were removed.
  core::CancelablePtr sweepTempFiles(std::chrono::seconds older_than, Callback<size_t> done);

 private:
  FsObjectStore(loop::EventLoop& loop, exec::WorkerPool& pool, std::shared_ptr<const FsRoot> root)
      : loop_(loop), pool_(pool), root_(std::move(root)) {}

  // Submits `job` (returning R) and calls `done(R)` on the loop; Unavailable when full.
  template <typename R, typename Job, typename Done>
  core::CancelablePtr run(Job job, Done done);

  loop::EventLoop& loop_;
  exec::WorkerPool& pool_;
  std::shared_ptr<const FsRoot> root_;
};

}  // namespace od::adapters::storage
