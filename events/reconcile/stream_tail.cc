#include "events/reconcile/stream_tail.h"

#include <utility>

#include "events/codec.h"

namespace od::events {

StreamTail::StreamTail(Runtime runtime, StreamTailConfig config, Fold fold,
                       std::function<void()> on_caught_up)
    : rt_(runtime),
      config_(std::move(config)),
      fold_(std::move(fold)),
      on_caught_up_(std::move(on_caught_up)) {}

void StreamTail::start() {
  if (running_ || halted_) {
    return;
  }
  running_ = true;
  read();
}

void StreamTail::stop() {
  running_ = false;
  ++seq_;
  call_.reset();
}

void StreamTail::read() {
  const uint64_t seq = ++seq_;
  const auto block = caught_up_ ? config_.block : std::chrono::milliseconds(0);
  auto handle = rt_.log.read(config_.stream, position_, config_.batch, block,
                             [this, seq](core::Result<std::vector<core::StreamEntry>> r) {
                               if (seq == seq_) {
                                 onRead(std::move(r));
                               }
                             });
  if (seq == seq_) {
    call_ = std::move(handle);
  }
}

void StreamTail::onRead(core::Result<std::vector<core::StreamEntry>> result) {
  if (!result.ok()) {
    ++errors_;
    ++failures_;
    const auto delay = backoff(failures_, config_.error_backoff, rt_.random.next());
    rt_.logger.warn("event=StreamTailLogError stream={} error=\"{}\" retry_ms={}",
                    config_.stream, result.error().describe(), delay.count());
    const uint64_t seq = ++seq_;
    auto handle = rt_.clock.after(delay, [this, seq] {
      if (seq == seq_) {
        read();
      }
    });
    if (seq == seq_) {
      call_ = std::move(handle);
    }
    return;
  }
  failures_ = 0;
  for (const auto& entry : *result) {
    if (!foldEntry(entry)) {
      running_ = false;
      call_.reset();
      return;
    }
    position_ = entry.id;
  }
  if (!caught_up_ && result->size() < config_.batch) {
    caught_up_ = true;
    rt_.logger.info("event=StreamTailCaughtUp stream={} position={} folded={}", config_.stream,
                    position_, folded_);
    if (on_caught_up_) {
      on_caught_up_();
    }
  }
  if (running_) {
    read();
  }
}

bool StreamTail::foldEntry(const core::StreamEntry& entry) {
  auto envelope = decodeEnvelope(entry.fields);
  if (!envelope.ok()) {
    ++corrupt_;
    rt_.logger.warn("event=StreamTailCorruptEntry stream={} entry={} error=\"{}\"",
                    config_.stream, entry.id, envelope.error().describe());
    return true;
  }
  auto known = knownSchemaVersion(envelope->type);
  if (known && envelope->v > *known) {
    halted_ = true;
    halt_reason_ = "stream " + config_.stream + " entry " + entry.id + " has " + envelope->type +
                   " v" + std::to_string(envelope->v) + "; this build reads v" +
                   std::to_string(*known);
    rt_.logger.error("event=StreamTailHalted stream={} entry={} reason=\"{}\"", config_.stream,
                     entry.id, halt_reason_);
    return false;
  }
  ++folded_;
  fold_(*envelope);
  return true;
}

}  // namespace od::events
