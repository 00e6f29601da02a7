#pragma once
// Reflector: list-then-watch of one kind in one namespace (or all), keeping only what it
// needs to notice deletions (key -> uid, resourceVersion), and reporting every change to
// its sink in order.
//
// DESIGN
// - list() pages through the collection (limit `page_size`); after the last page every
//   listed object is reported (observed), and every object known before but absent now is
//   reported deleted (it vanished while the watch was down). The watch then starts at the
//   list's resourceVersion.
// - Watch ends: Closed -> resume at once from the last resourceVersion seen (bookmarks
//   included); Dropped -> resume after a short backoff; Expired (410) or LineTooLong ->
//   relist; Failed -> relist after backoff. A failed list is retried with backoff.
// - resync(epoch) relists; its observations carry the epoch so that the adapter can give
//   them a distinct event id (see watch_adapter.h).
//
// Thread affinity: loop thread only. *client, *clock and *log must outlive it; destroying
// it cancels its calls.

#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "adapters/kube/kube_client.h"
#include "adapters/kube/kube_watch.h"
#include "core/ports/clock.h"

namespace od::adapters::kube {

struct ReflectorOptions {
  size_t page_size = 500;
  int watch_timeout_seconds = 300;
  size_t max_line = 4u << 20;
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{10000};
};

struct ReflectorStats {
  uint64_t lists = 0;
  uint64_t watches = 0;
  uint64_t expired = 0;        // 410 relists
  uint64_t lines_too_long = 0;
  uint64_t drops = 0;
};

// "namespace/name" of an object's JSON, and its uid/resourceVersion ("" when absent).
struct ObjectIdentity {
  std::string name_space, name, uid, resource_version;
};
ObjectIdentity objectIdentity(const std::string& object);

struct ReflectorSink {
  // `object` is the full JSON; `resync_epoch` is set for observations of a periodic resync.
  std::function<void(const std::string& kind, const std::string& object,
                     std::optional<int64_t> resync_epoch)> observed;
  std::function<void(const std::string& kind, const ObjectIdentity& id)> deleted;
};

class Reflector {
 public:
  Reflector(KubeClient& client, core::Clock& clock, std::string kind, std::string name_space,
            ReflectorOptions options, ReflectorSink sink);
  void start() { list(std::nullopt); }
  void resync(int64_t epoch) { list(epoch); }
  const ReflectorStats& stats() const { return stats_; }
  bool watching() const { return watch_ != nullptr; }

 private:
  struct Known {
    ObjectIdentity id;
    std::string object;  // the listed JSON, dropped once reported
  };
  void list(std::optional<int64_t> epoch);
  void listPage(std::optional<int64_t> epoch, std::string continue_token);
  void listed(std::optional<int64_t> epoch, const std::string& resource_version);
  void watch(const std::string& resource_version);
  void onEvent(WatchEvent e);
  void onEnd(WatchEnd end);
  void later(std::function<void()> fn);

  KubeClient& client_;
  core::Clock& clock_;
  std::string kind_;
  std::string name_space_;
  ReflectorOptions options_;
  ReflectorSink sink_;
  std::map<std::string, Known> known_;     // key ns/name
  std::map<std::string, Known> listing_;   // being built by a list
  std::vector<std::string> listing_order_;
  core::CancelablePtr call_;
  core::CancelablePtr watch_;
  core::CancelablePtr timer_;
  int failures_ = 0;
  ReflectorStats stats_;
};


}  // namespace od::adapters::kube
