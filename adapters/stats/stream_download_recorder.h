#pragma once
// StreamDownloadRecorder: core::DownloadRecorder that turns every served download into an
// ArtifactDownloaded event on od:{stats}:downloads (ARCHITECTURE "Keys and streams").
//
// DESIGN
// - record() runs on any HTTP loop thread and never blocks on the world: it pushes the
//   record into a bounded queue under a short mutex. A full queue drops the record, counts
//   it and returns false (the download itself is still served).
// - The control loop owns the appends. The first record() that finds the loop idle posts
//   one flush to it; while the loop owns the queue (flush posted, append in flight or a
//   retry waiting) no further posts happen, so HTTP threads post at most once per batch.
// - The loop takes up to `batch_size` records, encodes them (envelope id = 128 random
//   bits, key Kind/namespace/name, ts = download time) and appends them in ONE call; one
//   append is in flight at a time. On error the same batch is retried after backoff with
//   jitter, forever: meanwhile the queue keeps filling up to `capacity` and then drops, so
//   memory stays bounded by capacity + batch_size records.
// - Records are appended without a dedupe id: no seen-marker per download. A retried batch
//   whose first reply was lost can appear twice on the stream with the same envelope ids;
//   the stats projection counts each envelope id once, so totals stay exact.
// - Destruction drops what is still queued (it is logged); a flush posted before is then a
//   no-op (the posted closure holds the shared state, not the recorder).
//
// Thread affinity: record(), metrics() any thread; construction, destruction and idle() on
// the control loop thread. Ownership: the Runtime's referents and whatever `post` reaches
// (the control EventLoop) must outlive the recorder; every HTTP loop must have stopped
// calling record() before it is destroyed.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/ports/download_recorder.h"
#include "core/ports/event_log.h"
#include "events/runtime.h"
#include "events/scheduler.h"
#include "events/streams.h"

namespace od::adapters::stats {

struct DownloadRecorderConfig {
  size_t capacity = 10000;  // queued records at most; beyond that record() drops
  size_t batch_size = 256;  // records per append call
  events::BackoffPolicy retry_backoff{std::chrono::milliseconds(200),
                                      std::chrono::milliseconds(30000), 0.5};
  std::string stream = std::string(events::streams::kDownloads);
};

struct DownloadRecorderMetrics {
  uint64_t recorded = 0;  // accepted into the queue
  uint64_t dropped = 0;   // refused because the queue was full (or the recorder closing)
  uint64_t appended = 0;  // records the EventLog confirmed
  uint64_t failed = 0;    // append calls that failed (each is retried)
};

class StreamDownloadRecorder final : public core::DownloadRecorder {
 public:
  // Runs `fn` on the control loop thread; any thread may call it. In production:
  //   [&loop](std::function<void()> fn) { loop.post(std::move(fn)); }
  using Post = std::function<void(std::function<void()>)>;

  // REQUIRES: config.capacity > 0, config.batch_size > 0 (zero is taken as 1).
  StreamDownloadRecorder(events::Runtime runtime, Post post, DownloadRecorderConfig config = {});
  ~StreamDownloadRecorder() override;
  StreamDownloadRecorder(const StreamDownloadRecorder&) = delete;
  StreamDownloadRecorder& operator=(const StreamDownloadRecorder&) = delete;

  // core::DownloadRecorder. Any thread; never blocks on I/O.
  bool record(core::DownloadRecord record) override;

  DownloadRecorderMetrics metrics() const;  // any thread
  // Nothing queued, nothing in flight, no retry waiting (loop thread; graceful shutdown can
  // run the loop until this holds).
  bool idle() const;

  struct Shared;  // state shared with HTTP threads and posted closures

 private:
  void onPosted();
  void takeBatch();
  void send();
  void onAppended(core::Result<std::vector<core::AppendResult>> result);
  core::AppendRecord encode(const core::DownloadRecord& record);

  events::Runtime rt_;
  Post post_;
  const DownloadRecorderConfig config_;
  std::shared_ptr<Shared> shared_;
  std::vector<core::AppendRecord> batch_;  // loop thread: the batch being appended
  bool busy_ = false;                      // loop thread: append in flight or retry waiting
  uint64_t attempt_ = 0;                   // failed attempts of the current batch
  uint64_t send_seq_ = 0;                  // append calls started
  uint64_t completed_seq_ = 0;             // the last append call that completed
  core::CancelablePtr call_;
  core::CancelablePtr retry_timer_;
};

}  // namespace od::adapters::stats
