#include "events/reconcile/tail_set.h"

#include <utility>

namespace od::events {

TailSet::TailSet(Runtime runtime, TailSetConfig config, std::vector<Tail> tails,
                 QueueAll queue_all)
    : rt_(runtime), config_(config), queue_all_(std::move(queue_all)) {
  for (auto& tail : tails) {
    StreamTailConfig t;
    t.stream = std::move(tail.stream);
    t.batch = config_.read_batch;
    t.block = config_.read_block;
    tails_.push_back(std::make_unique<StreamTail>(runtime, std::move(t), std::move(tail.fold),
                                                  [this] { onCaughtUp(); }));
  }
}

void TailSet::start() {
  for (auto& t : tails_) {
    t->start();
  }
  if (initial_done_) {
    queue_all_(Sync::Restart);
    armResync();
  }
}

void TailSet::stop() {
  for (auto& t : tails_) {
    t->stop();
  }
  resync_timer_.reset();
}

bool TailSet::caughtUp() const {
  for (const auto& t : tails_) {
    if (!t->caughtUp()) {
      return false;
    }
  }
  return true;
}

bool TailSet::ready() const {
  if (!caughtUp()) {
    return false;
  }
  for (const auto& t : tails_) {
    if (t->halted()) {
      return false;
    }
  }
  return true;
}

std::string TailSet::notReadyReason() const {
  for (const auto& t : tails_) {
    if (t->halted()) {
      return t->haltReason();
    }
  }
  return caughtUp() ? std::string() : std::string("catching up on the streams");
}

void TailSet::onCaughtUp() {
  if (initial_done_ || !caughtUp()) {
    return;
  }
  initial_done_ = true;
  queue_all_(Sync::CaughtUp);
  armResync();
}

void TailSet::armResync() {
  if (config_.resync_interval.count() <= 0) {
    return;
  }
  resync_timer_ = rt_.clock.after(config_.resync_interval, [this] {
    queue_all_(Sync::Resync);
    armResync();
  });
}

}  // namespace od::events
