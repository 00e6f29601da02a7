#include "adapters/devstore/dev_watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/kube/resource_events.h"

namespace od::adapters::devstore {

DevWatch::DevWatch(LocalResourceStore& store, core::EventLog& log, core::Clock& clock,
                   DevWatchOptions options)
    : store_(store),
      log_(log),
      clock_(clock),
      options_(options),
      logger_(options_.logger != nullptr ? options_.logger : spdlog::default_logger_raw()),
      appender_(log_, clock_, *logger_,
                kube::OrderedAppenderOptions{options_.batch, options_.append_backoff_min,
                                             options_.append_backoff_max}) {}

DevWatch::~DevWatch() = default;

void DevWatch::start() {
  subscription_ = store_.subscribe([this](const Change& change) { onChange(change); });
  listAll(std::nullopt);
  if (options_.resync_interval.count() > 0) {
    scheduleResync();
  }
}

void DevWatch::stop() {
  subscription_.reset();
  resync_timer_.reset();
  appender_.clear();
}

void DevWatch::listAll(std::optional<int64_t> epoch) {
  for (const auto& o : store_.objects()) {
    queueObserved(o.kind(), o.object.dump(), epoch);
  }
  appender_.flush();
}

void DevWatch::scheduleResync() {
  resync_timer_ = clock_.after(options_.resync_interval, [this] {
    int64_t epoch = core::unixMillis(clock_.now()) / options_.resync_interval.count();
    listAll(epoch);
    scheduleResync();
  });
}

void DevWatch::onChange(const Change& change) {
  if (change.deleted) {
    ++stats_.deleted;
    appender_.push(kube::deletedRecord(change.kind, change.id, core::unixMillis(clock_.now())));
  } else {
    queueObserved(change.kind, change.object, std::nullopt);
  }
  appender_.flush();
}

void DevWatch::queueObserved(const std::string& kind, const std::string& object,
                             std::optional<int64_t> epoch) {
  auto record = kube::observedRecord(kind, object, epoch, core::unixMillis(clock_.now()));
  if (!record) {
    ++stats_.oversized;
    logger_->error("event=ResourceNotAppended kind={} error=\"{}\"", kind,
                   record.error().message);
    return;
  }
  ++stats_.observed;
  appender_.push(std::move(*record));
}

DevWatchStats DevWatch::stats() const {
  DevWatchStats s = stats_;
  s.appended = appender_.stats().appended;
  s.duplicates = appender_.stats().duplicates;
  s.append_failures = appender_.stats().append_failures;
  return s;
}

}  // namespace od::adapters::devstore
