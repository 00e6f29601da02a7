#include "events/consumer.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "events/codec.h"

namespace od::events {
namespace {

// "<ms>-<seq>" as a comparable pair; malformed ids compare as (0, 0).
std::pair<uint64_t, uint64_t> idKey(std::string_view id) {
  uint64_t ms = 0;
  uint64_t seq = 0;
  const size_t dash = id.find('-');
  std::string_view a = id.substr(0, dash);
  std::from_chars(a.data(), a.data() + a.size(), ms);
  if (dash != std::string_view::npos) {
    std::string_view b = id.substr(dash + 1);
    std::from_chars(b.data(), b.data() + b.size(), seq);
  }
  return {ms, seq};
}

}  // namespace

struct Consumer::Item {
  enum class Outcome { Handled, Parked, Skipped };
  core::Delivery delivery;
  Envelope envelope;
  uint64_t attempts = 0;       // deliveries by the log plus local retries
  uint64_t step = 0;           // the current async step; stale completions are ignored
  uint64_t step_failures = 0;  // consecutive log errors of the current step
  bool waiting = false;        // waiting on a backoff timer (abandoned by stop())
  Outcome outcome = Outcome::Handled;
  std::vector<core::AppendRecord> results;
  core::CancelablePtr call;
};

Consumer::Consumer(Runtime runtime, Handler& handler, ConsumerConfig config)
    : rt_(runtime), handler_(handler), config_(std::move(config)) {}

Consumer::~Consumer() = default;

void Consumer::start() {
  if (phase_ != Phase::Idle && phase_ != Phase::Stopped) {
    return;
  }
  rt_.logger.info("event=ConsumerStarting stream={} group={} consumer={}", config_.stream,
                  config_.group, config_.consumer);
  phase_ = Phase::EnsureGroup;
  not_ready_reason_ = "creating consumer group";
  ensureGroup();
}

void Consumer::stop(std::function<void()> done) {
  if (phase_ == Phase::Idle || phase_ == Phase::Stopped) {
    done();
    return;
  }
  phase_ = Phase::Stopping;
  on_stopped_ = std::move(done);
  ++read_seq_;
  reading_ = false;
  read_call_.reset();
  claim_timer_.reset();
  claim_call_.reset();
  for (auto it = items_.begin(); it != items_.end();) {
    it = it->second->waiting ? items_.erase(it) : std::next(it);  // stays pending in the log
  }
  maybeStopped();
}

void Consumer::ensureGroup() {
  const uint64_t seq = ++read_seq_;
  reading_ = true;
  auto handle = rt_.log.ensureGroup(config_.stream, config_.group, [this, seq](core::Status st) {
    if (seq != read_seq_) {
      return;
    }
    reading_ = false;
    if (!st.ok()) {
      onLogError(st.error(), "ensureGroup");
      return;
    }
    log_failures_ = 0;
    started_ = true;
    if (!halted_) {
      not_ready_reason_.clear();
    }
    phase_ = Phase::Pending;
    pending_after_ = "0";
    scheduleClaim();
    pump();
  });
  if (seq == read_seq_ && reading_) {
    read_call_ = std::move(handle);
  }
}

size_t Consumer::freeSlots() const {
  return items_.size() >= config_.max_in_flight ? 0 : config_.max_in_flight - items_.size();
}

void Consumer::pump() {
  if (reading_ || halted_ || (phase_ != Phase::Pending && phase_ != Phase::New)) {
    return;
  }
  if (freeSlots() == 0) {
    return;  // resumed by finish() when a slot frees up
  }
  readBatch();
}

void Consumer::readBatch() {
  const bool pending = phase_ == Phase::Pending;
  const size_t asked = std::min(std::max<size_t>(config_.batch_size, 1), freeSlots());
  core::GroupRead req{config_.stream, config_.group, config_.consumer, asked,
                      pending ? std::chrono::milliseconds(0) : config_.block, pending,
                      pending_after_};
  const uint64_t seq = ++read_seq_;
  reading_ = true;
  auto handle = rt_.log.readGroup(
      std::move(req), [this, seq, pending, asked](core::Result<std::vector<core::Delivery>> r) {
        if (seq != read_seq_) {
          return;
        }
        reading_ = false;
        onBatch(pending, asked, std::move(r));
      });
  if (seq == read_seq_ && reading_) {
    read_call_ = std::move(handle);
  }
}

void Consumer::onBatch(bool pending, size_t asked,
                       core::Result<std::vector<core::Delivery>> result) {
  if (!result.ok()) {
    if (result.error().code == core::Errc::NotFound) {  // NOGROUP: recreate (B84)
      rt_.logger.warn("event=ConsumerGroupMissing stream={} group={} error=\"{}\"",
                      config_.stream, config_.group, result.error().describe());
      phase_ = Phase::EnsureGroup;
    }
    onLogError(result.error(), "readGroup");
    return;
  }
  log_failures_ = 0;
  std::vector<core::Delivery> batch = std::move(result).value();
  bool progressed = false;
  bool stop_batch = false;
  for (auto& delivery : batch) {
    if (pending && idKey(delivery.entry.id) > idKey(pending_after_)) {
      pending_after_ = delivery.entry.id;
      progressed = true;
    }
    if (!stop_batch) {
      admit(std::move(delivery), &stop_batch);
    }
  }
  if (halted_ || phase_ == Phase::Stopping || phase_ == Phase::Stopped) {
    return;
  }
  if (pending && (batch.size() < asked || !progressed)) {
    phase_ = Phase::New;  // own pending list drained; now new entries
  }
  if (!pending && batch.empty() && config_.block.count() <= 0) {
    retryLater(config_.idle_poll);
    return;
  }
  pump();
}

void Consumer::onLogError(const core::Error& error, const char* what) {
  ++metrics_.errors;
  ++log_failures_;
  const auto delay = backoff(log_failures_, config_.log_backoff, rt_.random.next());
  rt_.logger.warn("event=ConsumerLogError stream={} group={} call={} error=\"{}\" retry_ms={}",
                  config_.stream, config_.group, what, error.describe(), delay.count());
  retryLater(delay);
}

void Consumer::retryLater(std::chrono::milliseconds delay) {
  const uint64_t seq = ++read_seq_;
  reading_ = true;  // the wait holds the read slot
  auto handle = rt_.clock.after(delay, [this, seq] {
    if (seq != read_seq_) {
      return;
    }
    reading_ = false;
    if (phase_ == Phase::EnsureGroup) {
      ensureGroup();
    } else {
      pump();
    }
  });
  if (seq == read_seq_ && reading_) {
    read_call_ = std::move(handle);
  }
}

void Consumer::scheduleClaim() {
  claim_timer_ = rt_.clock.after(config_.claim_interval, [this] { claim(); });
}

void Consumer::claim() {
  if (halted_ || (phase_ != Phase::Pending && phase_ != Phase::New)) {
    return;
  }
  const size_t free = freeSlots();
  if (free == 0) {
    scheduleClaim();
    return;
  }
  core::ClaimRequest req{config_.stream, config_.group, config_.consumer, config_.min_idle, free};
  claim_call_ = rt_.log.claimIdle(std::move(req), [this](core::Result<core::ClaimResult> r) {
    if (!r.ok()) {
      ++metrics_.errors;
      rt_.logger.warn("event=ConsumerClaimFailed stream={} group={} error=\"{}\"",
                      config_.stream, config_.group, r.error().describe());
    } else {
      for (const auto& id : r->deleted_ids) {
        ++metrics_.trimmed;
        rt_.logger.warn("event=PendingEntryTrimmed stream={} group={} id={}", config_.stream,
                        config_.group, id);
      }
      bool stop_batch = false;
      for (auto& delivery : r->claimed) {
        if (!stop_batch && items_.count(delivery.entry.id) == 0) {
          ++metrics_.claimed;
          admit(std::move(delivery), &stop_batch);
        }
      }
    }
    if (!halted_ && (phase_ == Phase::Pending || phase_ == Phase::New)) {
      scheduleClaim();
      pump();
    }
  });
}

void Consumer::admit(core::Delivery delivery, bool* stop_batch) {
  const std::string id = delivery.entry.id;
  if (items_.count(id) != 0) {
    return;  // already held (a claim or pending re-read of an entry in flight)
  }
  auto item = std::make_unique<Item>();
  item->attempts = delivery.deliveries;
  item->delivery = std::move(delivery);
  Item& it = *items_.emplace(id, std::move(item)).first->second;
  if (it.delivery.entry.fields.empty()) {  // the entry was trimmed away (B86)
    ++metrics_.trimmed;
    it.outcome = Item::Outcome::Skipped;
    rt_.logger.warn("event=PendingEntryTrimmed stream={} id={}", config_.stream, id);
    ackEntry(id);
    return;
  }
  if (it.attempts > config_.max_deliveries) {
    park(id, "delivered " + std::to_string(it.attempts) + " times (max " +
                 std::to_string(config_.max_deliveries) + ")");
    return;
  }
  auto envelope = decodeEnvelope(it.delivery.entry.fields);
  if (!envelope.ok()) {
    park(id, envelope.error().describe());
    return;
  }
  it.envelope = std::move(envelope).value();
  const auto known = knownSchemaVersion(it.envelope.type);
  if (!known) {
    rt_.logger.warn("event=UnknownEventTypeSkipped stream={} id={} type={}", config_.stream, id,
                    it.envelope.type);
    it.outcome = Item::Outcome::Skipped;
    ackEntry(id);
    return;
  }
  if (it.envelope.v > *known) {
    const std::string reason = "entry " + id + " of " + config_.stream + " has " +
                               it.envelope.type + " v" + std::to_string(it.envelope.v) +
                               ", newer than v" + std::to_string(*known) + " known to this build";
    items_.erase(id);  // stays pending, unacked
    *stop_batch = true;
    halt(reason);
    return;
  }
  runHandler(id);
}

void Consumer::runHandler(const std::string& id) {
  Item* item = find(id);
  item->outcome = Item::Outcome::Handled;
  startStep(id, [this, item, id](uint64_t step) {
    return handler_.handle(item->envelope, item->delivery.entry,
                           [this, id, step](core::Result<std::vector<core::AppendRecord>> r) {
                             if (current(id, step)) {
                               onHandled(id, std::move(r));
                             }
                           });
  });
}

void Consumer::onHandled(const std::string& id,
                         core::Result<std::vector<core::AppendRecord>> result) {
  Item* item = find(id);
  if (result.ok()) {
    item->results = std::move(result).value();
    item->step_failures = 0;
    if (item->results.empty()) {
      ackEntry(id);
    } else {
      appendResults(id);
    }
    return;
  }
  ++metrics_.errors;
  const core::Error& error = result.error();
  if (!error.retryable()) {
    park(id, "handler failed: " + error.describe());
    return;
  }
  ++item->attempts;
  if (item->attempts > config_.max_deliveries) {
    park(id, "handler kept failing after " + std::to_string(item->attempts - 1) +
                 " deliveries: " + error.describe());
    return;
  }
  ++metrics_.retries;
  const auto delay = backoff(item->attempts - 1, config_.handler_backoff, rt_.random.next());
  rt_.logger.debug("event=HandlerRetry stream={} id={} error=\"{}\" retry_ms={}", config_.stream,
                   id, error.describe(), delay.count());
  waitThen(id, delay, &Consumer::runHandler);
}

void Consumer::appendResults(const std::string& id) {
  startStep(id, [this, id](uint64_t step) {
    return rt_.log.append(find(id)->results,
                          [this, id, step](core::Result<std::vector<core::AppendResult>> r) {
                            if (!current(id, step)) {
                              return;
                            }
                            if (!r.ok()) {
                              stepFailed(id, r.error(), &Consumer::appendResults);
                              return;
                            }
                            for (const auto& appended : *r) {
                              metrics_.duplicates += appended.duplicate ? 1 : 0;
                            }
                            find(id)->step_failures = 0;
                            ackEntry(id);
                          });
  });
}

void Consumer::park(const std::string& id, std::string reason) {
  Item* item = find(id);
  rt_.logger.warn("event=EntryParked stream={} id={} deliveries={} reason=\"{}\"",
                  config_.stream, id, item->attempts, reason);
  core::AppendRecord dead;
  dead.stream = config_.dead_stream;
  dead.dedupe_id = "dead:" + eventId({config_.stream, config_.group, id});
  dead.fields = {{"dead.stream", config_.stream},     {"dead.id", id},
                 {"dead.group", config_.group},       {"dead.consumer", config_.consumer},
                 {"dead.reason", std::move(reason)},  {"dead.deliveries", std::to_string(item->attempts)}};
  for (const auto& field : item->delivery.entry.fields) {
    dead.fields.push_back(field);
  }
  item->outcome = Item::Outcome::Parked;
  item->results = {std::move(dead)};
  item->step_failures = 0;
  appendResults(id);
}

void Consumer::ackEntry(const std::string& id) {
  startStep(id, [this, id](uint64_t step) {
    return rt_.log.ack(config_.stream, config_.group, {id}, [this, id, step](core::Status st) {
      if (!current(id, step)) {
        return;
      }
      if (!st.ok()) {
        stepFailed(id, st.error(), &Consumer::ackEntry);
        return;
      }
      finish(id);
    });
  });
}

void Consumer::stepFailed(const std::string& id, const core::Error& error, Step again) {
  ++metrics_.errors;
  Item* item = find(id);
  if (!error.retryable()) {
    // A log that refuses the call for good: leave the entry pending; claiming brings it back.
    rt_.logger.error("event=ConsumerStepFailed stream={} id={} error=\"{}\"", config_.stream, id,
                     error.describe());
    abandon(id);
    return;
  }
  ++item->step_failures;
  const auto delay = backoff(item->step_failures, config_.log_backoff, rt_.random.next());
  rt_.logger.warn("event=ConsumerLogError stream={} id={} error=\"{}\" retry_ms={}",
                  config_.stream, id, error.describe(), delay.count());
  waitThen(id, delay, again);
}

void Consumer::waitThen(const std::string& id, std::chrono::milliseconds delay, Step next) {
  if (phase_ == Phase::Stopping) {
    abandon(id);  // stays pending; a restart re-reads it
    return;
  }
  startStep(id, [this, id, delay, next](uint64_t step) {
    return rt_.clock.after(delay, [this, id, step, next] {
      if (current(id, step)) {
        find(id)->waiting = false;
        (this->*next)(id);
      }
    });
  });
  if (Item* item = find(id)) {
    item->waiting = true;
  }
}

void Consumer::finish(const std::string& id) {
  Item* item = find(id);
  switch (item->outcome) {
    case Item::Outcome::Handled: ++metrics_.handled; break;
    case Item::Outcome::Parked: ++metrics_.parked; break;
    case Item::Outcome::Skipped: ++metrics_.skipped; break;
  }
  abandon(id);
}

void Consumer::abandon(const std::string& id) {
  items_.erase(id);
  maybeStopped();
  pump();
}

void Consumer::halt(std::string reason) {
  halted_ = true;
  not_ready_reason_ = std::move(reason);
  rt_.logger.error("event=ConsumerHalted stream={} group={} reason=\"{}\"", config_.stream,
                   config_.group, not_ready_reason_);
  ++read_seq_;
  reading_ = false;
  read_call_.reset();
  claim_timer_.reset();
  claim_call_.reset();
}

void Consumer::maybeStopped() {
  if (phase_ != Phase::Stopping || !items_.empty()) {
    return;
  }
  phase_ = Phase::Stopped;
  started_ = false;
  not_ready_reason_ = halted_ ? not_ready_reason_ : "stopped";
  rt_.logger.info("event=ConsumerStopped stream={} group={} consumer={}", config_.stream,
                  config_.group, config_.consumer);
  auto done = std::move(on_stopped_);
  on_stopped_ = nullptr;
  if (done) {
    done();
  }
}

Consumer::Item* Consumer::find(const std::string& id) {
  auto it = items_.find(id);
  return it == items_.end() ? nullptr : it->second.get();
}

bool Consumer::current(const std::string& id, uint64_t step) {
  Item* item = find(id);
  return item != nullptr && item->step == step;
}

void Consumer::startStep(const std::string& id,
                         const std::function<core::CancelablePtr(uint64_t)>& start) {
  Item* item = find(id);
  const uint64_t step = ++item->step;
  item->waiting = false;
  core::CancelablePtr handle = start(step);
  item = find(id);  // a synchronous completion may have moved on or finished the item
  if (item != nullptr && item->step == step) {
    item->call = std::move(handle);
  }
}

}  // namespace od::events
