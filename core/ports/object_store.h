#pragma once
// ObjectStore: where artifacts live (filesystem, S3, Azure Blob, GCS). Keys are relative
// ("<module-name>/<uuidv7>.zip") and built only from validated components; an
// implementation refuses any key that would escape its root or bucket prefix (Errc::Invalid).
//
// DESIGN
// - Bodies stream: put() reads from a staged local file and get() hands out chunks, so
//   provider binaries of hundreds of MB pass in bounded memory.
// - put() is create-or-verify-same-checksum: if the key exists with the same SHA-256 the
//   call succeeds with `created = false`; with a different one it fails with Errc::Conflict
//   and the stored object is left alone. Writes are atomic (no partial object is ever visible).
//   With `replace = true` a different object under the key is replaced atomically instead
//   (a mutable module version whose upstream changed); the same checksum still answers
//   created = false, and anything but an object under the key stays a Conflict.
// - presign() gives a time-limited URL for stores that have them; the filesystem store
//   answers Errc::Invalid ("not supported") and the server proxies instead.
// Thread affinity: loop thread only; blocking work runs on the implementation's own pool and
// the callbacks come back on the loop thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/cancelable.h"
#include "core/checksum.h"
#include "core/result.h"

namespace od::core {

struct ObjectInfo {
  uint64_t size = 0;
  std::optional<Sha256> sha256;  // when the store keeps it (metadata or a side file)
};

struct PutRequest {
  std::string key;
  std::string source_path;  // a complete local file; the store does not delete it
  Sha256 sha256;            // of source_path, computed by the caller
  uint64_t size = 0;
  std::string content_type = "application/octet-stream";
  bool replace = false;     // replace a different object under the key (see DESIGN)
};

struct PutResult {
  bool created = false;  // false: the same bytes were already stored under the key
};

// Receives the body in order; return false to stop early.
using ChunkSink = std::function<bool(std::string_view chunk)>;

class ObjectStore {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~ObjectStore() = default;

  virtual CancelablePtr put(PutRequest request, Callback<PutResult> done) = 0;
  // NotFound when the key does not exist.
  virtual CancelablePtr stat(std::string key, Callback<ObjectInfo> done) = 0;
  // Streams [offset, offset+length) (length 0: to the end) into `sink`, then calls done.
  virtual CancelablePtr get(std::string key, uint64_t offset, uint64_t length, ChunkSink sink,
                            std::function<void(Status)> done) = 0;
  // Removing a missing key succeeds (idempotent).
  virtual CancelablePtr remove(std::string key, std::function<void(Status)> done) = 0;
  virtual Result<std::string> presign(std::string_view key, std::chrono::seconds ttl) const = 0;
};

}  // namespace od::core
