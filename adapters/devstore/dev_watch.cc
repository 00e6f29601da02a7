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
      logger_(options_.logger != nullptr ? options_.logger : spdlog::default_logger_raw()) {
  options_.batch = std::max<size_t>(1, options_.batch);
}

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
  append_call_.reset();
  append_timer_.reset();
  resync_timer_.reset();
  queue_.clear();
}

void DevWatch::listAll(std::optional<int64_t> epoch) {
  for (const auto& o : store_.objects()) {
    queueObserved(o.kind(), o.object.dump(), epoch);
  }
  flush();
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
    queue_.push_back(
        kube::deletedRecord(change.kind, change.id, core::unixMillis(clock_.now())));
  } else {
    queueObserved(change.kind, change.object, std::nullopt);
  }
  flush();
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
  queue_.push_back(std::move(*record));
}

void DevWatch::flush() {
  if (append_call_ || append_timer_ || queue_.empty()) {
    return;
  }
  size_t n = std::min(options_.batch, queue_.size());
  std::vector<core::AppendRecord> batch(queue_.begin(), queue_.begin() + static_cast<long>(n));
  append_call_ = log_.append(std::move(batch),
                             [this, n](core::Result<std::vector<core::AppendResult>> r) {
                               onAppended(n, std::move(r));
                             });
}

void DevWatch::onAppended(size_t n, core::Result<std::vector<core::AppendResult>> r) {
  append_call_.reset();
  if (!r) {
    ++stats_.append_failures;
    ++failures_in_row_;
    int64_t d = options_.append_backoff_min.count();
    for (int i = 1; i < failures_in_row_ && d < options_.append_backoff_max.count(); ++i) {
      d *= 2;
    }
    d = std::max<int64_t>(1, std::min<int64_t>(d, options_.append_backoff_max.count()));
    logger_->warn("event=ResourceAppendFailed queued={} retry_ms={} error=\"{}\"", queue_.size(),
                  d, r.error().message);
    append_timer_ = clock_.after(std::chrono::milliseconds(d), [this] {
      append_timer_.reset();
      flush();
    });
    return;
  }
  failures_in_row_ = 0;
  for (const auto& result : *r) {
    stats_.duplicates += result.duplicate ? 1 : 0;
  }
  stats_.appended += n;
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(std::min(n, queue_.size())));
  flush();
}

}  // namespace od::adapters::devstore
