#include "events/catch_up.h"

#include <utility>

namespace od::events {

CatchUpReader::CatchUpReader(Runtime runtime, CatchUpConfig config, Fold fold)
    : rt_(runtime), config_(std::move(config)), fold_(std::move(fold)) {}

CatchUpReader::~CatchUpReader() = default;

void CatchUpReader::start() {
  if (phase_ != Phase::Idle && phase_ != Phase::Stopped) {
    return;
  }
  phase_ = Phase::Loading;
  load();
}

void CatchUpReader::load() {
  const uint64_t seq = ++read_seq_;
  auto handle = rt_.log.loadCheckpoint(
      config_.checkpoint_name, [this, seq](core::Result<std::optional<std::string>> r) {
        if (seq != read_seq_) {
          return;
        }
        if (!r.ok()) {
          onError(r.error(), "loadCheckpoint");
          return;
        }
        failures_ = 0;
        position_ = r->value_or("0");
        stored_position_ = position_;
        rt_.logger.info("event=CatchUpStarting stream={} checkpoint={} from={}", config_.stream,
                        config_.checkpoint_name, position_);
        phase_ = Phase::Reading;
        armCheckpointTimer();
        read();
      });
  if (seq == read_seq_) {
    read_call_ = std::move(handle);
  }
}

void CatchUpReader::read() {
  const uint64_t seq = ++read_seq_;
  const auto block = caught_up_ ? config_.block : std::chrono::milliseconds(0);
  auto handle = rt_.log.read(config_.stream, position_, config_.batch, block,
                             [this, seq](core::Result<std::vector<core::StreamEntry>> r) {
                               if (seq == read_seq_) {
                                 onRead(std::move(r));
                               }
                             });
  if (seq == read_seq_) {
    read_call_ = std::move(handle);
  }
}

void CatchUpReader::onRead(core::Result<std::vector<core::StreamEntry>> result) {
  if (!result.ok()) {
    onError(result.error(), "read");
    return;
  }
  failures_ = 0;
  for (const auto& entry : *result) {
    fold_(entry);
    position_ = entry.id;
    ++folded_;
    ++since_store_;
  }
  if (!caught_up_ && result->size() < config_.batch) {
    caught_up_ = true;
    rt_.logger.info("event=CatchUpCaughtUp stream={} checkpoint={} position={} folded={}",
                    config_.stream, config_.checkpoint_name, position_, folded_);
  }
  if (since_store_ >= config_.checkpoint_every) {
    storeCheckpoint();
  }
  read();
}

void CatchUpReader::onError(const core::Error& error, const char* what) {
  ++errors_;
  ++failures_;
  const auto delay = backoff(failures_, config_.error_backoff, rt_.random.next());
  rt_.logger.warn("event=CatchUpLogError stream={} call={} error=\"{}\" retry_ms={}",
                  config_.stream, what, error.describe(), delay.count());
  const uint64_t seq = ++read_seq_;
  auto handle = rt_.clock.after(delay, [this, seq] {
    if (seq != read_seq_) {
      return;
    }
    if (phase_ == Phase::Loading) {
      load();
    } else {
      read();
    }
  });
  if (seq == read_seq_) {
    read_call_ = std::move(handle);
  }
}

void CatchUpReader::storeCheckpoint() {
  if (storing_ || position_ == stored_position_) {
    return;  // a store in flight is followed by another if the position moved meanwhile
  }
  storing_ = true;
  since_store_ = 0;
  const std::string target = position_;
  const uint64_t seq = ++store_seq_;
  auto handle = rt_.log.storeCheckpoint(config_.checkpoint_name, target,
                                        [this, seq, target](core::Status st) {
                                          if (seq == store_seq_) {
                                            onStored(target, std::move(st));
                                          }
                                        });
  if (seq == store_seq_ && storing_) {
    store_call_ = std::move(handle);
  }
}

void CatchUpReader::onStored(const std::string& stored, core::Status status) {
  storing_ = false;
  if (status.ok()) {
    stored_position_ = stored;
  } else {
    ++errors_;
    rt_.logger.warn("event=CheckpointStoreFailed checkpoint={} position={} error=\"{}\"",
                    config_.checkpoint_name, stored, status.error().describe());
  }
  if (phase_ == Phase::Stopping) {
    if (status.ok() && position_ != stored_position_) {
      storeCheckpoint();
      return;
    }
    finishStop();
    return;
  }
  if (since_store_ >= config_.checkpoint_every) {
    storeCheckpoint();
  }
}

void CatchUpReader::armCheckpointTimer() {
  checkpoint_timer_ = rt_.clock.after(config_.checkpoint_interval, [this] {
    storeCheckpoint();
    armCheckpointTimer();
  });
}

void CatchUpReader::stop(std::function<void()> done) {
  if (phase_ == Phase::Idle || phase_ == Phase::Stopped || phase_ == Phase::Stopping) {
    if (phase_ == Phase::Stopping) {
      auto previous = std::move(on_stopped_);
      on_stopped_ = [previous, done] {
        if (previous) {
          previous();
        }
        done();
      };
    } else {
      done();
    }
    return;
  }
  phase_ = Phase::Stopping;
  on_stopped_ = std::move(done);
  ++read_seq_;
  read_call_.reset();
  checkpoint_timer_.reset();
  if (storing_) {
    return;  // onStored() continues the stop
  }
  if (position_ == stored_position_) {
    finishStop();
    return;
  }
  storeCheckpoint();
}

void CatchUpReader::finishStop() {
  phase_ = Phase::Stopped;
  rt_.logger.info("event=CatchUpStopped stream={} checkpoint={} position={}", config_.stream,
                  config_.checkpoint_name, stored_position_);
  auto done = std::move(on_stopped_);
  on_stopped_ = nullptr;
  if (done) {
    done();
  }
}

}  // namespace od::events
