#include "adapters/kube/ordered_appender.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "events/scheduler.h"

namespace od::adapters::kube {

OrderedAppender::OrderedAppender(core::EventLog& log, core::Clock& clock, spdlog::logger& logger,
                                 OrderedAppenderOptions options, std::function<Gate()> gate)
    : log_(log), clock_(clock), logger_(logger), options_(options), gate_(std::move(gate)) {
  options_.batch = std::max<size_t>(1, options_.batch);
}

void OrderedAppender::push(core::AppendRecord record) {
  queue_.push_back(std::move(record));
}

void OrderedAppender::clear() {
  queue_.clear();
  call_.reset();
  timer_.reset();
}

void OrderedAppender::flush() {
  if (call_ || timer_ || queue_.empty()) {
    return;
  }
  const Gate gate = gate_ ? gate_() : Gate::Go;
  if (gate == Gate::Stop) {
    return;
  }
  if (gate == Gate::Later) {
    retryAfter(options_.backoff_min);
    return;
  }
  const size_t n = std::min(options_.batch, queue_.size());
  std::vector<core::AppendRecord> batch(queue_.begin(), queue_.begin() + static_cast<long>(n));
  call_ = log_.append(std::move(batch), [this, n](core::Result<std::vector<core::AppendResult>> r) {
    onAppended(n, std::move(r));
  });
}

void OrderedAppender::onAppended(size_t n, core::Result<std::vector<core::AppendResult>> r) {
  call_.reset();
  if (!r) {
    ++stats_.append_failures;
    ++failures_in_row_;
    const auto delay = events::backoff(
        failures_in_row_, events::BackoffPolicy{options_.backoff_min, options_.backoff_max, 0}, 0);
    logger_.warn("event=ResourceAppendFailed queued={} retry_ms={} error=\"{}\"", queue_.size(),
                 delay.count(), r.error().message);
    retryAfter(delay);
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

void OrderedAppender::retryAfter(std::chrono::milliseconds delay) {
  timer_ = clock_.after(delay, [this] {
    timer_.reset();
    flush();
  });
}

}  // namespace od::adapters::kube
