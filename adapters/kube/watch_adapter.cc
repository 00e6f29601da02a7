#include "adapters/kube/watch_adapter.h"

#include <algorithm>
#include <utility>

#include "adapters/kube/kube_paths.h"
#include "adapters/kube/resource_events.h"
#include "events/streams.h"

namespace od::adapters::kube {

WatchAdapter::WatchAdapter(KubeClient& client, core::EventLog& log, Lease& lease,
                           core::Clock& clock, WatchAdapterOptions options)
    : client_(client), log_(log), lease_(lease), clock_(clock), options_(std::move(options)) {
  if (options_.kinds.empty()) {
    options_.kinds = opendepotKinds();
  }
  if (options_.namespaces.empty()) {
    options_.namespaces = {""};
  }
}

WatchAdapter::~WatchAdapter() = default;

void WatchAdapter::start() {
  stopped_ = false;
  acquire();
}

void WatchAdapter::stop() {
  stopped_ = true;
  bool was_leader = leader_;
  reflectors_.clear();
  leader_ = false;
  lease_timer_.reset();
  resync_timer_.reset();
  append_timer_.reset();
  append_call_.reset();
  if (was_leader) {
    lease_call_ = lease_.release(events::streams::leaseKey("watch"), options_.lease_token,
                                 [](core::Status) {});
  }
}

void WatchAdapter::acquire() {
  auto started = clock_.now();
  lease_call_ = lease_.acquire(
      events::streams::leaseKey("watch"), options_.lease_token, options_.lease_ttl,
      [this, started](core::Result<bool> held) {
        if (held && *held) {
          renewed_at_ = started;
          becomeLeader();
          return;
        }
        lease_timer_ = clock_.after(options_.lease_ttl / 3, [this] { acquire(); });
      });
}

void WatchAdapter::becomeLeader() {
  leader_ = true;
  client_.logger().info("event=WatchLeaseAcquired kinds={} namespaces={}", options_.kinds.size(),
                        options_.namespaces.size());
  ReflectorSink sink{
      [this](const std::string& kind, const std::string& object, std::optional<int64_t> epoch) {
        onObserved(kind, object, epoch);
      },
      [this](const std::string& kind, const ObjectIdentity& id) { onDeleted(kind, id); }};
  for (const auto& ns : options_.namespaces) {
    for (const auto& kind : options_.kinds) {
      reflectors_.push_back(
          std::make_unique<Reflector>(client_, clock_, kind, ns, options_.reflector, sink));
      reflectors_.back()->start();
    }
  }
  lease_timer_ = clock_.after(options_.lease_ttl / 3, [this] { renew(); });
  scheduleResync();
}

void WatchAdapter::renew() {
  auto started = clock_.now();
  lease_call_ = lease_.renew(events::streams::leaseKey("watch"), options_.lease_token,
                             options_.lease_ttl, [this, started](core::Result<bool> held) {
                               if (held && *held) {
                                 renewed_at_ = started;
                               } else if (held || !leaseFresh()) {
                                 loseLease();  // lost, or unknown for too long
                                 return;
                               }
                               lease_timer_ = clock_.after(options_.lease_ttl / 3,
                                                           [this] { renew(); });
                             });
}

void WatchAdapter::loseLease() {
  ++stats_.lease_losses;
  client_.logger().warn("event=WatchLeaseLost queued={}", queue_.size());
  reflectors_.clear();
  queue_.clear();
  leader_ = false;
  resync_timer_.reset();
  append_timer_.reset();
  append_call_.reset();
  acquire();
}

bool WatchAdapter::leaseFresh() const {
  return leader_ && clock_.now() - renewed_at_ < options_.lease_ttl;
}

void WatchAdapter::scheduleResync() {
  resync_timer_ = clock_.after(options_.resync_interval, [this] {
    int64_t epoch = core::unixMillis(clock_.now()) /
                    std::max<int64_t>(1, options_.resync_interval.count());
    for (auto& r : reflectors_) {
      r->resync(epoch);
    }
    scheduleResync();
  });
}

void WatchAdapter::onObserved(const std::string& kind, const std::string& object,
                              std::optional<int64_t> epoch) {
  auto record = observedRecord(kind, object, epoch, core::unixMillis(clock_.now()));
  if (!record) {
    ++stats_.oversized;
    client_.logger().error("event=ResourceNotAppended kind={} error=\"{}\"", kind,
                           record.error().message);
    return;
  }
  ++stats_.observed;
  queue_.push_back(std::move(*record));
  flush();
}

void WatchAdapter::onDeleted(const std::string& kind, const ObjectIdentity& id) {
  ++stats_.deleted;
  queue_.push_back(deletedRecord(kind, id, core::unixMillis(clock_.now())));
  flush();
}

void WatchAdapter::flush() {
  if (append_call_ || append_timer_ || queue_.empty() || !leader_) {
    return;
  }
  if (!leaseFresh()) {
    append_timer_ = clock_.after(options_.append_backoff_min, [this] {
      append_timer_.reset();
      flush();
    });
    return;
  }
  size_t n = std::min(options_.batch, queue_.size());
  std::vector<core::AppendRecord> batch(queue_.begin(), queue_.begin() + static_cast<long>(n));
  append_call_ = log_.append(std::move(batch),
                             [this, n](core::Result<std::vector<core::AppendResult>> r) {
                               onAppended(n, std::move(r));
                             });
}

void WatchAdapter::onAppended(size_t n, core::Result<std::vector<core::AppendResult>> r) {
  append_call_.reset();
  if (!r) {
    ++stats_.append_failures;
    ++append_failures_in_row_;
    int64_t d = options_.append_backoff_min.count();
    for (int i = 1; i < append_failures_in_row_ && d < options_.append_backoff_max.count(); ++i) {
      d *= 2;
    }
    d = std::min<int64_t>(d, options_.append_backoff_max.count());
    client_.logger().warn("event=ResourceAppendFailed queued={} retry_ms={} error=\"{}\"",
                          queue_.size(), d, r.error().message);
    append_timer_ = clock_.after(std::chrono::milliseconds(d), [this] {
      append_timer_.reset();
      flush();
    });
    return;
  }
  append_failures_in_row_ = 0;
  for (const auto& result : *r) {
    stats_.duplicates += result.duplicate ? 1 : 0;
  }
  stats_.appended += n;
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(std::min(n, queue_.size())));
  flush();
}

ReflectorStats WatchAdapter::reflectorStats() const {
  ReflectorStats total;
  for (const auto& r : reflectors_) {
    const ReflectorStats& s = r->stats();
    total.lists += s.lists;
    total.watches += s.watches;
    total.expired += s.expired;
    total.lines_too_long += s.lines_too_long;
    total.drops += s.drops;
  }
  return total;
}

}  // namespace od::adapters::kube
