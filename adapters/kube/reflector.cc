#include "adapters/kube/reflector.h"

#include <algorithm>
#include <utility>

#include "core/json.h"

namespace od::adapters::kube {

ObjectIdentity objectIdentity(const std::string& object) {
  ObjectIdentity id;
  auto doc = core::JsonDocument::parse(object, core::JsonLimits{object.size() + 1, 64});
  if (!doc) {
    return id;
  }
  auto meta = doc->root()["metadata"];
  std::string_view s;
  if (meta["namespace"].get(s) == simdjson::SUCCESS) id.name_space = std::string(s);
  if (meta["name"].get(s) == simdjson::SUCCESS) id.name = std::string(s);
  if (meta["uid"].get(s) == simdjson::SUCCESS) id.uid = std::string(s);
  if (meta["resourceVersion"].get(s) == simdjson::SUCCESS) id.resource_version = std::string(s);
  return id;
}

Reflector::Reflector(KubeClient& client, core::Clock& clock, std::string kind,
                     std::string name_space, ReflectorOptions options, ReflectorSink sink)
    : client_(client),
      clock_(clock),
      kind_(std::move(kind)),
      name_space_(std::move(name_space)),
      options_(options),
      sink_(std::move(sink)) {}

void Reflector::later(std::function<void()> fn) {
  int64_t d = options_.backoff_min.count();
  for (int i = 1; i < failures_ && d < options_.backoff_max.count(); ++i) {
    d *= 2;
  }
  d = std::min<int64_t>(d, options_.backoff_max.count());
  // Deterministic spread in [d/2, d] without a shared RNG: varies with the failure count.
  d = d / 2 + (d / 2) * ((failures_ * 7919) % 100) / 100;
  timer_ = clock_.after(std::chrono::milliseconds(d), std::move(fn));
}

void Reflector::list(std::optional<int64_t> epoch) {
  watch_.reset();
  timer_.reset();
  listing_.clear();
  listing_order_.clear();
  ++stats_.lists;
  listPage(epoch, "");
}

void Reflector::listPage(std::optional<int64_t> epoch, std::string continue_token) {
  core::ListOptions options;
  options.limit = options_.page_size;
  options.continue_token = std::move(continue_token);
  call_ = client_.list(kind_, name_space_, options, [this, epoch](core::Result<core::ListPage> r) {
    call_.reset();
    if (!r) {
      ++failures_;
      client_.logger().warn("event=KubeListFailed kind={} ns={} error=\"{}\"", kind_,
                            name_space_, r.error().message);
      later([this, epoch] { list(epoch); });
      return;
    }
    for (auto& item : r->items) {
      ObjectIdentity id = objectIdentity(item);
      std::string key = id.name_space + "/" + id.name;
      listing_order_.push_back(key);
      listing_[key] = Known{id, std::move(item)};
    }
    if (!r->continue_token.empty()) {
      listPage(epoch, r->continue_token);
      return;
    }
    listed(epoch, r->resource_version);
  });
}

void Reflector::listed(std::optional<int64_t> epoch, const std::string& resource_version) {
  failures_ = 0;
  std::map<std::string, Known> previous = std::move(known_);
  known_ = std::move(listing_);
  listing_.clear();
  for (const auto& key : listing_order_) {
    const Known& k = known_.at(key);
    sink_.observed(kind_, k.object, epoch);
  }
  for (const auto& [key, old] : previous) {
    auto it = known_.find(key);
    if (it == known_.end() || it->second.id.uid != old.id.uid) {
      sink_.deleted(kind_, old.id);  // vanished while the watch was down
    }
  }
  listing_order_.clear();
  for (auto& [key, k] : known_) {
    k.object.clear();  // keep identities only
  }
  watch(resource_version);
}

void Reflector::watch(const std::string& resource_version) {
  ++stats_.watches;
  WatchRequest request{kind_, name_space_, resource_version, "", options_.watch_timeout_seconds,
                       options_.max_line};
  watch_ = startWatch(
      client_, std::move(request), [this](WatchEvent e) { onEvent(std::move(e)); },
      [this](WatchEnd end) { onEnd(std::move(end)); });
}

void Reflector::onEvent(WatchEvent e) {
  if (e.type == WatchEventType::Bookmark) {
    return;
  }
  ObjectIdentity id = objectIdentity(e.object);
  std::string key = id.name_space + "/" + id.name;
  if (e.type == WatchEventType::Deleted) {
    known_.erase(key);
    sink_.deleted(kind_, id);
    return;
  }
  known_[key] = Known{id, ""};
  sink_.observed(kind_, e.object, std::nullopt);
}

void Reflector::onEnd(WatchEnd end) {
  watch_.reset();
  client_.logger().debug("event=KubeWatchEnded kind={} ns={} reason={} rv={} msg=\"{}\"", kind_,
                         name_space_, watchEndReasonName(end.reason), end.last_resource_version,
                         end.message);
  switch (end.reason) {
    case WatchEndReason::Closed:
      watch(end.last_resource_version);
      return;
    case WatchEndReason::Dropped:
      ++stats_.drops;
      ++failures_;
      later([this, rv = end.last_resource_version] { watch(rv); });
      return;
    case WatchEndReason::Expired:
      ++stats_.expired;
      list(std::nullopt);
      return;
    case WatchEndReason::LineTooLong:
      ++stats_.lines_too_long;
      client_.logger().warn("event=KubeWatchLineTooLong kind={} ns={}", kind_, name_space_);
      list(std::nullopt);
      return;
    case WatchEndReason::Failed:
      ++failures_;
      client_.logger().warn("event=KubeWatchFailed kind={} ns={} error=\"{}\"", kind_, name_space_,
                            end.message);
      later([this] { list(std::nullopt); });
      return;
  }
}

}  // namespace od::adapters::kube
