#include "adapters/stats/stream_download_recorder.h"

#include <algorithm>
#include <utility>

#include "events/codec.h"
#include "events/envelope.h"

namespace od::adapters::stats {

struct StreamDownloadRecorder::Shared {
  std::mutex mutex;
  std::deque<core::DownloadRecord> queue;  // guarded by mutex
  bool loop_owns = false;  // guarded: a flush is posted or the loop is working the queue
  bool closed = false;     // guarded: the recorder is gone (posted flushes do nothing)
  std::atomic<uint64_t> recorded{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> appended{0};
  std::atomic<uint64_t> failed{0};

  bool isClosed() {
    std::lock_guard<std::mutex> lock(mutex);
    return closed;
  }
};

StreamDownloadRecorder::StreamDownloadRecorder(events::Runtime runtime, Post post,
                                               DownloadRecorderConfig config)
    : rt_(runtime), post_(std::move(post)), config_(std::move(config)),
      shared_(std::make_shared<Shared>()) {}

StreamDownloadRecorder::~StreamDownloadRecorder() {
  size_t lost = 0;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->closed = true;
    lost = shared_->queue.size();
    shared_->queue.clear();
  }
  lost += batch_.size();
  call_.reset();
  retry_timer_.reset();
  if (lost > 0) {
    rt_.logger.warn("download recorder: {} download event(s) not appended at shutdown", lost);
  }
}

bool StreamDownloadRecorder::record(core::DownloadRecord record) {
  bool post_now = false;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->closed || shared_->queue.size() >= std::max<size_t>(config_.capacity, 1)) {
      shared_->dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    shared_->queue.push_back(std::move(record));
    shared_->recorded.fetch_add(1, std::memory_order_relaxed);
    post_now = !shared_->loop_owns;
    shared_->loop_owns = true;
  }
  if (post_now) {
    // The closure keeps the shared state alive; `closed` tells it the recorder is gone
    // (both are only ever destroyed/read on the loop thread after this point).
    post_([shared = shared_, self = this] {
      if (!shared->isClosed()) {
        self->onPosted();
      }
    });
  }
  return true;
}

DownloadRecorderMetrics StreamDownloadRecorder::metrics() const {
  return DownloadRecorderMetrics{shared_->recorded.load(), shared_->dropped.load(),
                                 shared_->appended.load(), shared_->failed.load()};
}

bool StreamDownloadRecorder::idle() const {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  return shared_->queue.empty() && !busy_;
}

void StreamDownloadRecorder::onPosted() {
  if (!busy_) {
    takeBatch();
  }
}

void StreamDownloadRecorder::takeBatch() {
  std::vector<core::DownloadRecord> taken;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->queue.empty()) {
      shared_->loop_owns = false;  // the next record() posts again
      return;
    }
    size_t n = std::min(shared_->queue.size(), std::max<size_t>(config_.batch_size, 1));
    taken.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      taken.push_back(std::move(shared_->queue.front()));
      shared_->queue.pop_front();
    }
  }
  batch_.clear();
  batch_.reserve(taken.size());
  for (const auto& r : taken) {
    batch_.push_back(encode(r));
  }
  send();
}

void StreamDownloadRecorder::send() {
  busy_ = true;
  uint64_t seq = ++send_seq_;
  core::CancelablePtr handle = rt_.log.append(
      batch_, [this, seq](core::Result<std::vector<core::AppendResult>> r) {
        completed_seq_ = seq;
        onAppended(std::move(r));
      });
  // A completion that ran inside append() may already have started the next call.
  if (completed_seq_ != seq) {
    call_ = std::move(handle);
  }
}

void StreamDownloadRecorder::onAppended(core::Result<std::vector<core::AppendResult>> result) {
  if (!result.ok()) {
    shared_->failed.fetch_add(1, std::memory_order_relaxed);
    ++attempt_;
    auto delay = events::backoff(attempt_, config_.retry_backoff, rt_.random.next());
    if (attempt_ == 1 || attempt_ % 10 == 0) {
      rt_.logger.warn("download recorder: append of {} download event(s) failed ({}), attempt "
                      "{}, retrying in {} ms",
                      batch_.size(), result.error().describe(), attempt_, delay.count());
    }
    retry_timer_ = rt_.clock.after(delay, [this] { send(); });
    return;
  }
  if (attempt_ > 0) {
    rt_.logger.info("download recorder: append succeeded after {} failed attempt(s)", attempt_);
  }
  shared_->appended.fetch_add(batch_.size(), std::memory_order_relaxed);
  attempt_ = 0;
  batch_.clear();
  busy_ = false;
  takeBatch();
}

core::AppendRecord StreamDownloadRecorder::encode(const core::DownloadRecord& r) {
  int64_t at = r.unix_ms > 0 ? r.unix_ms : core::unixMillis(rt_.clock.now());
  events::ArtifactDownloaded data{r.kind, r.name_space, r.name, r.version,
                                  r.os,   r.arch,       r.client, at};
  // Every download is its own event: the id is random, not derived from the content (two
  // identical downloads in the same millisecond must both count).
  std::string id = events::toHex(events::Hash128{rt_.random.next(), rt_.random.next()});
  events::Envelope envelope = events::makeEnvelope(
      data, events::EnvelopeMeta{std::move(id), r.kind + "/" + r.name_space + "/" + r.name, "",
                                 "", at});
  return core::AppendRecord{config_.stream, "", events::encodeEnvelope(envelope)};
}

}  // namespace od::adapters::stats
