#pragma once
// WatchAdapter: the `watch` role. Lists and watches the five opendepot kinds (in the given
// namespaces, or all) and appends what it sees to od:{ctl}:resources.
//
// DESIGN
// - Single-active: the adapter acquires od:{ctl}:lease:watch (Lease) before it starts its
//   reflectors, renews it every ttl/3, and appends only while the last renewal is younger
//   than the ttl (the local token check; the EventLog port has no fenced append, so a
//   holder that stalls longer than the ttl could in theory append once more after losing
//   it — the appended events are level-triggered observations, harmless to repeat). When
//   the lease is lost it stops the reflectors, drops its queue and competes again.
// - Every add/modify becomes ResourceObserved (the whole object), every delete
//   ResourceDeleted, with key kind/ns/name and a deterministic id:
//     observed:  eventId(ResourceObserved, uid, resourceVersion)
//     deleted:   eventId(ResourceDeleted, uid, resourceVersion)
//     resync:    eventId(ResourceObserved, uid, resourceVersion, "resync", epoch)
//   with epoch = floor(now / resync_interval). So watch duplicates and relists after a drop
//   dedupe on (uid, resourceVersion), while the periodic resync re-appends every object
//   once per interval with a fresh id. That is the choice: an event lost from the stream
//   (Valkey restarted without persistence, trimmed, failed over) keeps its seen-marker or
//   not — either way the next resync writes the object's current state again, so a lost
//   event is healed within one interval at the price of one extra entry per object per
//   interval (consumers fold level-triggered, so the repeat is free for them).
// - Appends: one append in flight, batches of `batch` records, strictly in order. A failed
//   append keeps the records queued and retries with backoff; nothing is dropped while the
//   lease is held. Objects whose event data would exceed events::kMaxDataBytes are counted
//   and skipped (they cannot travel).
//
// Thread affinity: loop thread only. *client, *log, *lease, *clock and *logger must outlive
// the adapter; destroying it cancels everything (without releasing the lease: call stop()).

#include <spdlog/logger.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "adapters/kube/lease.h"
#include "adapters/kube/ordered_appender.h"
#include "adapters/kube/reflector.h"
#include "core/ports/clock.h"
#include "core/ports/event_log.h"

namespace od::adapters::kube {

struct WatchAdapterOptions {
  std::vector<std::string> kinds;        // empty: the five opendepot kinds
  std::vector<std::string> namespaces;   // empty: all namespaces
  std::chrono::milliseconds resync_interval{std::chrono::minutes(10)};
  std::chrono::milliseconds lease_ttl{15000};
  std::string lease_token;               // unique per process (e.g. hostname + pid + random)
  size_t batch = 100;                    // records per append call
  std::chrono::milliseconds append_backoff_min{100};
  std::chrono::milliseconds append_backoff_max{5000};
  ReflectorOptions reflector;
};

struct WatchAdapterStats {
  uint64_t observed = 0;        // observation records queued
  uint64_t deleted = 0;         // deletion records queued
  uint64_t appended = 0;        // records the log accepted (new or duplicate)
  uint64_t duplicates = 0;
  uint64_t append_failures = 0;
  uint64_t oversized = 0;
  uint64_t lease_losses = 0;
};

class WatchAdapter {
 public:
  WatchAdapter(KubeClient& client, core::EventLog& log, Lease& lease, core::Clock& clock,
               WatchAdapterOptions options);
  ~WatchAdapter();

  void start();
  // Stops watching and releases the lease (best effort).
  void stop();

  bool leader() const { return leader_; }
  size_t queued() const { return appender_.queued(); }
  WatchAdapterStats stats() const;
  ReflectorStats reflectorStats() const;

 private:
  void acquire();
  void renew();
  void becomeLeader();
  void loseLease();
  bool leaseFresh() const;
  void onObserved(const std::string& kind, const std::string& object,
                  std::optional<int64_t> epoch);
  void onDeleted(const std::string& kind, const ObjectIdentity& id);
  void scheduleResync();

  KubeClient& client_;
  core::EventLog& log_;
  Lease& lease_;
  core::Clock& clock_;
  WatchAdapterOptions options_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  OrderedAppender appender_;
  bool leader_ = false;
  bool stopped_ = true;
  core::Clock::TimePoint renewed_at_{};
  core::CancelablePtr lease_call_;
  core::CancelablePtr lease_timer_;
  core::CancelablePtr resync_timer_;
  WatchAdapterStats stats_;
};

}  // namespace od::adapters::kube
