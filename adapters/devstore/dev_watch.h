#pragma once
// DevWatch: the `watch` role of `opendepot dev`. It appends what happens in the
// LocalResourceStore to od:{ctl}:resources with the records the cluster watch uses
// (kube::observedRecord / kube::deletedRecord, same ids and keys), so dev and cluster
// produce identical events.
//
// - start(): subscribes to the store, then queues a full listing of every object (a restart
//   re-emits the current state; the (uid, resourceVersion) dedupe ids make it harmless),
//   then every later change in order.
// - Appends: one in flight, batches of `batch` records, strictly in order; a failed append
//   keeps the records queued and retries with exponential backoff (nothing is dropped).
//   Objects whose event data would exceed events::kMaxDataBytes are counted and skipped.
// - With resync_interval > 0, every object is queued again once per interval with the
//   resync id (eventId(ResourceObserved, uid, resourceVersion, "resync", epoch)), as the
//   cluster watch does.
//
// Thread affinity: loop thread only. *store, *log and *clock must outlive it; destroying it
// cancels its calls and its subscription.

#include <spdlog/logger.h>

#include <chrono>

#include "adapters/devstore/local_resource_store.h"
#include "adapters/kube/ordered_appender.h"
#include "core/ports/clock.h"
#include "core/ports/event_log.h"

namespace od::adapters::devstore {

struct DevWatchOptions {
  size_t batch = 100;  // records per append call
  std::chrono::milliseconds append_backoff_min{100};
  std::chrono::milliseconds append_backoff_max{5000};
  std::chrono::milliseconds resync_interval{0};  // 0: no periodic resync
  spdlog::logger* logger = nullptr;              // nullptr: spdlog's default logger
};

struct DevWatchStats {
  uint64_t observed = 0;         // observation records queued
  uint64_t deleted = 0;          // deletion records queued
  uint64_t appended = 0;         // records the log accepted (new or duplicate)
  uint64_t duplicates = 0;
  uint64_t append_failures = 0;
  uint64_t oversized = 0;
};

class DevWatch {
 public:
  DevWatch(LocalResourceStore& store, core::EventLog& log, core::Clock& clock,
           DevWatchOptions options);
  ~DevWatch();
  DevWatch(const DevWatch&) = delete;
  DevWatch& operator=(const DevWatch&) = delete;

  void start();
  // Stops following the store; queued records are dropped.
  void stop();

  size_t queued() const { return appender_.queued(); }
  // Nothing queued and no append in flight.
  bool idle() const { return appender_.idle(); }
  DevWatchStats stats() const;

 private:
  void listAll(std::optional<int64_t> epoch);
  void onChange(const Change& change);
  void queueObserved(const std::string& kind, const std::string& object,
                     std::optional<int64_t> epoch);
  void scheduleResync();

  LocalResourceStore& store_;
  core::EventLog& log_;
  core::Clock& clock_;
  DevWatchOptions options_;
  spdlog::logger* logger_;
  kube::OrderedAppender appender_;
  core::CancelablePtr subscription_;
  core::CancelablePtr resync_timer_;
  DevWatchStats stats_;
};

}  // namespace od::adapters::devstore
