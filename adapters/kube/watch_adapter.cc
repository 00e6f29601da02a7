#include "adapters/kube/watch_adapter.h"

#include <algorithm>
#include <utility>

#include "adapters/kube/kube_paths.h"
#include "adapters/kube/resource_events.h"
#include "events/streams.h"

namespace od::adapters::kube {

WatchAdapter::WatchAdapter(KubeClient& client, core::EventLog& log, Lease& lease,
                           core::Clock& clock, WatchAdapterOptions options)
    : client_(client),
      log_(log),
      lease_(lease),
      clock_(clock),
      options_(std::move(options)),
      // Appends only while this process leads with a fresh lease; a stale one waits.
      appender_(log_, clock_, client_.logger(),
                OrderedAppenderOptions{options_.batch, options_.append_backoff_min,
                                       options_.append_backoff_max},
                [this] {
                  using Gate = OrderedAppender::Gate;
                  return !leader_ ? Gate::Stop : leaseFresh() ? Gate::Go : Gate::Later;
                }) {
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
  appender_.clear();
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
  client_.logger().warn("event=WatchLeaseLost queued={}", appender_.queued());
  reflectors_.clear();
  appender_.clear();
  leader_ = false;
  resync_timer_.reset();
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
  appender_.push(std::move(*record));
  appender_.flush();
}

void WatchAdapter::onDeleted(const std::string& kind, const ObjectIdentity& id) {
  ++stats_.deleted;
  appender_.push(deletedRecord(kind, id, core::unixMillis(clock_.now())));
  appender_.flush();
}

WatchAdapterStats WatchAdapter::stats() const {
  WatchAdapterStats s = stats_;
  s.appended = appender_.stats().appended;
  s.duplicates = appender_.stats().duplicates;
  s.append_failures = appender_.stats().append_failures;
  return s;
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
