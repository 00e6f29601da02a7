#include "projections/read_model/feed.h"

#include <algorithm>
#include <utility>

#include "events/codec.h"
#include "events/envelope.h"

namespace od::proj {

// The EventLog the catch-up readers see: reads go to the real log; the checkpoint is the
// configured start position and storing one does nothing (see the header). Completions are
// posted through the clock, as the port requires (never inside the call).
class ReadModelFeed::FixedStartLog final : public core::EventLog {
 public:
  FixedStartLog(core::EventLog& log, core::Clock& clock, std::string start)
      : log_(log), clock_(clock), start_(std::move(start)) {}

  core::CancelablePtr read(std::string stream, std::string after_id, size_t count,
                           std::chrono::milliseconds block,
                           Callback<std::vector<core::StreamEntry>> done) override {
    return log_.read(std::move(stream), std::move(after_id), count, block, std::move(done));
  }
  core::CancelablePtr loadCheckpoint(std::string,
                                     Callback<std::optional<std::string>> done) override {
    return clock_.after(std::chrono::milliseconds(0),
                        [this, done = std::move(done)] { done(std::optional<std::string>(start_)); });
  }
  core::CancelablePtr storeCheckpoint(std::string, std::string, StatusCallback done) override {
    return clock_.after(std::chrono::milliseconds(0), [done = std::move(done)] { done(core::okStatus()); });
  }
  // Never used by a catch-up reader; delegated so the wrapper stays a faithful EventLog.
  core::CancelablePtr append(std::vector<core::AppendRecord> records,
                             Callback<std::vector<core::AppendResult>> done) override {
    return log_.append(std::move(records), std::move(done));
  }
  core::CancelablePtr ensureGroup(std::string stream, std::string group,
                                  StatusCallback done) override {
    return log_.ensureGroup(std::move(stream), std::move(group), std::move(done));
  }
  core::CancelablePtr readGroup(core::GroupRead request,
                                Callback<std::vector<core::Delivery>> done) override {
    return log_.readGroup(std::move(request), std::move(done));
  }
  core::CancelablePtr ack(std::string stream, std::string group, std::vector<std::string> ids,
                          StatusCallback done) override {
    return log_.ack(std::move(stream), std::move(group), std::move(ids), std::move(done));
  }
  core::CancelablePtr claimIdle(core::ClaimRequest request, Callback<core::ClaimResult> done) override {
    return log_.claimIdle(std::move(request), std::move(done));
  }
  core::CancelablePtr schedule(core::DueRecord record, StatusCallback done) override {
    return log_.schedule(std::move(record), std::move(done));
  }
  core::CancelablePtr releaseDue(std::chrono::system_clock::time_point now, size_t count,
                                 Callback<size_t> done) override {
    return log_.releaseDue(now, count, std::move(done));
  }

 private:
  core::EventLog& log_;
  core::Clock& clock_;
  std::string start_;
};

ReadModelFeed::ReadModelFeed(events::Runtime runtime, SnapshotHolder& holder,
                             ReadModelFeedOptions options)
    : rt_(runtime), holder_(holder), options_(std::move(options)), model_(options_.model) {
  resources_log_ = std::make_unique<FixedStartLog>(rt_.log, rt_.clock, options_.resources_from);
  facts_log_ = std::make_unique<FixedStartLog>(rt_.log, rt_.clock, options_.facts_from);
  auto config = [this](const std::string& stream) {
    events::CatchUpConfig c;
    c.stream = stream;
    c.checkpoint_name = "read-model";  // never stored (FixedStartLog)
    c.batch = options_.batch;
    c.block = options_.block;
    return c;
  };
  resources_reader_ = std::make_unique<events::CatchUpReader>(
      events::Runtime{*resources_log_, rt_.clock, rt_.random, rt_.logger},
      config(options_.resources_stream),
      [this](const core::StreamEntry& e) { fold(e, options_.resources_stream); });
  facts_reader_ = std::make_unique<events::CatchUpReader>(
      events::Runtime{*facts_log_, rt_.clock, rt_.random, rt_.logger}, config(options_.facts_stream),
      [this](const core::StreamEntry& e) { fold(e, options_.facts_stream); });
}

// The readers go first: they hold handles into the wrapped logs.
ReadModelFeed::~ReadModelFeed() {
  timer_.reset();
  signing_.clear();
  finished_.clear();
  resources_reader_.reset();
  facts_reader_.reset();
}

void ReadModelFeed::start() {
  if (running_) {
    return;
  }
  running_ = true;
  resources_reader_->start();
  facts_reader_->start();
  timer_ = rt_.clock.after(options_.publish_interval, [this] { tick(); });
}

void ReadModelFeed::stop(std::function<void()> done) {
  running_ = false;
  timer_.reset();
  signing_.clear();
  auto remaining = std::make_shared<int>(2);
  auto one = [remaining, done = std::move(done)] {
    if (--*remaining == 0 && done) {
      done();
    }
  };
  resources_reader_->stop(one);
  facts_reader_->stop(one);
}

std::string ReadModelFeed::readiness() const {
  if (halted_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(halt_mu_);
    return "read model halted: " + halt_reason_;
  }
  if (caughtUp()) {
    return {};
  }
  return signing_wait_.load(std::memory_order_acquire)
             ? "read model signing provider SHA256SUMS"
             : "read model catching up";
}

void ReadModelFeed::fold(const core::StreamEntry& entry, const std::string& stream) {
  if (halted_.load(std::memory_order_relaxed)) {
    return;
  }
  folded_.fetch_add(1, std::memory_order_relaxed);
  auto envelope = events::decodeEnvelope(entry.fields);
  if (!envelope.ok()) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    rt_.logger.warn("event=ReadModelEntrySkipped stream={} entry={} error=\"{}\"", stream, entry.id,
                    envelope.error().describe());
    return;
  }
  if (auto known = events::knownSchemaVersion(envelope->type); known && envelope->v > *known) {
    halt("entry " + entry.id + " of " + stream + " is " + envelope->type + " v" +
         std::to_string(envelope->v) + ", newer than v" + std::to_string(*known) +
         " which this build reads");
    return;
  }
  auto outcome = model_.apply(*envelope);
  if (!outcome.ok()) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    rt_.logger.warn("event=ReadModelEntrySkipped stream={} entry={} id={} key={} error=\"{}\"",
                    stream, entry.id, envelope->id, envelope->key, outcome.error().describe());
    return;
  }
  rt_.logger.debug("event=ReadModelFolded stream={} entry={} id={} type={} key={} outcome={}",
                   stream, entry.id, envelope->id, envelope->type, envelope->key,
                   outcomeName(*outcome));
}

void ReadModelFeed::halt(std::string reason) {
  rt_.logger.error("event=ReadModelHalted reason=\"{}\"", reason);
  {
    std::lock_guard<std::mutex> lock(halt_mu_);
    halt_reason_ = std::move(reason);
  }
  halted_.store(true, std::memory_order_release);
}

void ReadModelFeed::tick() {
  // Checked before building, so the first published snapshot holds everything up to the
  // end of both streams as they were when catch-up ended.
  const bool both = resources_reader_->caughtUp() && facts_reader_->caughtUp();
  if (both && (model_.dirty() || published() == 0)) {
    SnapshotPtr next = model_.build();
    rt_.logger.debug("event=ReadModelPublished sequence={} modules={} versions={}",
                     next->sequence(), next->moduleCount(), next->versionCount());
    holder_.store(std::move(next));
    published_.fetch_add(1, std::memory_order_relaxed);
  }
  finished_.clear();
  if (both) {
    signPending();
  }
  if (both && !caughtUp()) {
    becomeReady();
  }
  if (running_) {
    timer_ = rt_.clock.after(options_.publish_interval, [this] { tick(); });
  }
}

// Called after a build: unsignedShasums() then describes the snapshot just published.
void ReadModelFeed::becomeReady() {
  const auto now = rt_.clock.now();
  if (!first_publish_at_) {
    first_publish_at_ = now;
  }
  const size_t unsigned_left = options_.signer == nullptr ? 0 : model_.unsignedShasums().size();
  if (unsigned_left > 0 && now - *first_publish_at_ < options_.signing_ready_wait) {
    signing_wait_.store(true, std::memory_order_release);
    return;
  }
  if (unsigned_left > 0) {
    rt_.logger.warn("event=ReadModelReadyUnsigned unsigned={} waited_ms={}", unsigned_left,
                    options_.signing_ready_wait.count());
  }
  caught_up_.store(true, std::memory_order_release);
  rt_.logger.info("event=ReadModelReady modules={} providers={} versions={} folded={} skipped={}",
                  holder_.load()->moduleCount(), holder_.load()->providerCount(),
                  holder_.load()->versionCount(), folded(), skipped());
}

void ReadModelFeed::signPending() {
  if (options_.signer == nullptr) {
    return;
  }
  const auto now = rt_.clock.now();
  const std::vector<std::string> pending = model_.unsignedShasums();
  for (auto it = sign_retry_at_.begin(); it != sign_retry_at_.end();) {
    it = std::binary_search(pending.begin(), pending.end(), it->first) ? std::next(it)
                                                                        : sign_retry_at_.erase(it);
  }
  for (const std::string& doc : pending) {
    if (signing_.size() >= kMaxSigning) {
      break;
    }
    if (signing_.count(doc) != 0) {
      continue;
    }
    if (auto retry = sign_retry_at_.find(doc); retry != sign_retry_at_.end() && retry->second > now) {
      continue;
    }
    signing_.emplace(doc, nullptr);
    core::CancelablePtr handle =
        options_.signer->signDetached(doc, [this, doc](core::Result<std::string> sig) {
          if (auto it = signing_.find(doc); it != signing_.end()) {
            finished_.push_back(std::move(it->second));  // not destroyed inside its callback
            signing_.erase(it);
          }
          onSigned(doc, std::move(sig));
        });
    if (auto it = signing_.find(doc); it != signing_.end()) {
      it->second = std::move(handle);
    } else {
      finished_.push_back(std::move(handle));  // it completed at once
    }
  }
}

void ReadModelFeed::onSigned(const std::string& doc, core::Result<std::string> sig) {
  if (!sig.ok()) {
    sign_failed_.fetch_add(1, std::memory_order_relaxed);
    sign_retry_at_[doc] = rt_.clock.now() + options_.signing_retry;
    rt_.logger.warn("event=ShasumsSigningFailed bytes={} error=\"{}\"", doc.size(),
                    sig.error().describe());
    return;
  }
  signed_.fetch_add(1, std::memory_order_relaxed);
  sign_retry_at_.erase(doc);
  const bool used = model_.addSignature(doc, std::move(sig).value());
  rt_.logger.debug("event=ShasumsSigned bytes={} used={}", doc.size(), used);
  if (running_) {
    signPending();  // the freed slot takes the next document at once, not on the next tick
  }
}

}  // namespace od::proj
