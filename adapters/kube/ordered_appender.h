#pragma once
// OrderedAppender: the queue both resource watches (the cluster's WatchAdapter and dev
// mode's DevWatch) append through. Records go to the EventLog strictly in order, in batches
// of `batch`, one append in flight; a failed append keeps the batch queued and is retried
// after exponential backoff (events::backoff, no jitter: one writer per stream), so nothing
// is dropped unless clear() is called. A gate may hold the queue (Stop: until the next
// flush(); Later: retry after backoff_min), e.g. while the watch lease is not fresh.
// Thread affinity: loop thread only. log, clock and logger must outlive it; destroying it
// cancels the append in flight and the retry timer.

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

#include "core/ports/clock.h"
#include "core/ports/event_log.h"

namespace od::adapters::kube {

struct OrderedAppenderOptions {
  size_t batch = 100;  // records per append call (0 is taken as 1)
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
};

struct OrderedAppenderStats {
  uint64_t appended = 0;  // records the log accepted (new or duplicate)
  uint64_t duplicates = 0;
  uint64_t append_failures = 0;
};

class OrderedAppender {
 public:
  enum class Gate { Go, Stop, Later };

  OrderedAppender(core::EventLog& log, core::Clock& clock, spdlog::logger& logger,
                  OrderedAppenderOptions options, std::function<Gate()> gate = nullptr);

  // Queues `record`; flush() sends it (callers queue a burst, then flush once).
  void push(core::AppendRecord record);
  // Starts an append of the queue's head unless one is running, a retry waits, the queue is
  // empty or the gate says otherwise.
  void flush();
  // Drops the queue and cancels the append in flight and the retry timer.
  void clear();

  size_t queued() const { return queue_.size(); }
  bool idle() const { return queue_.empty() && !call_; }
  const OrderedAppenderStats& stats() const { return stats_; }

 private:
  void onAppended(size_t n, core::Result<std::vector<core::AppendResult>> r);
  void retryAfter(std::chrono::milliseconds delay);

  core::EventLog& log_;
  core::Clock& clock_;
  spdlog::logger& logger_;
  OrderedAppenderOptions options_;
  std::function<Gate()> gate_;
  std::deque<core::AppendRecord> queue_;
  core::CancelablePtr call_;
  core::CancelablePtr timer_;
  uint64_t failures_in_row_ = 0;
  OrderedAppenderStats stats_;
};

}  // namespace od::adapters::kube
