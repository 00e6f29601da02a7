#include "adapters/loop/event_loop.h"

#include <ev.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

namespace od::adapters::loop {

void abortOnEscapedException(const char* where) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "od: exception escaped a C callback (%s): %s\n", where, e.what());
  } catch (...) {
    std::fprintf(stderr, "od: unknown exception escaped a C callback (%s)\n", where);
  }
  std::abort();
}

struct EventLoop::Watchers {
  ev_async async;
  ev_prepare prepare;
  EventLoop* owner;
};

EventLoop::EventLoop() : loop_(ev_loop_new(EVFLAG_AUTO)), watchers_(std::make_unique<Watchers>()) {
  if (loop_ == nullptr) {
    std::fprintf(stderr, "od: ev_loop_new failed\n");
    std::abort();
  }
  watchers_->owner = this;
  ev_async_init(&watchers_->async, [](struct ev_loop*, ev_async* w, int) noexcept {
    auto* self = static_cast<Watchers*>(w->data)->owner;
    guarded("EventLoop::async", [self] { self->drainPosted(); });
  });
  watchers_->async.data = watchers_.get();
  ev_async_start(loop_, &watchers_->async);
  ev_prepare_init(&watchers_->prepare, [](struct ev_loop*, ev_prepare* w, int) noexcept {
    auto* self = static_cast<Watchers*>(w->data)->owner;
    guarded("EventLoop::prepare", [self] { self->drainDeferred(); });
  });
  watchers_->prepare.data = watchers_.get();
  ev_prepare_start(loop_, &watchers_->prepare);
  // Neither watcher alone keeps run() going: only stop() ends it (see run()).
  ev_unref(loop_);
  ev_unref(loop_);
}

EventLoop::~EventLoop() {
  drainDeferred();
  ev_ref(loop_);
  ev_ref(loop_);
  ev_async_stop(loop_, &watchers_->async);
  ev_prepare_stop(loop_, &watchers_->prepare);
  ev_loop_destroy(loop_);
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  ev_async_send(loop_, &watchers_->async);
}

void EventLoop::deferDelete(std::unique_ptr<DeferredDeletable> object) {
  deferred_.push_back(std::move(object));
}

void EventLoop::drainPosted() {
  // Swap the whole queue out: sends are compressed, so one callback may stand for many.
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) {
    fn();
  }
}

void EventLoop::drainDeferred() {
  // Deleting may defer more deletions; loop until the list stays empty.
  while (!deferred_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(deferred_);
    batch.clear();
  }
}

void EventLoop::run() {
  // The async watcher is unreferenced, so a loop without other watchers would return at
  // once; keep one reference while running so that only stop() ends it.
  ev_ref(loop_);
  while (!stop_requested_.exchange(false)) {
    ev_run(loop_, EVRUN_ONCE);
  }
  ev_unref(loop_);
  drainDeferred();
}

void EventLoop::stop() {
  stop_requested_.store(true);
  ev_async_send(loop_, &watchers_->async);
}

void EventLoop::runOnce(bool wait) {
  ev_run(loop_, wait ? EVRUN_ONCE : EVRUN_NOWAIT);
}

bool EventLoop::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const ev_tstamp deadline = ev_time() + static_cast<double>(timeout.count()) / 1000.0;
  ev_timer tick;
  // A short tick bounds each blocking iteration so the deadline is noticed.
  ev_timer_init(&tick, [](struct ev_loop*, ev_timer*, int) noexcept {}, 0.01, 0.01);
  ev_timer_start(loop_, &tick);
  while (!done() && ev_time() < deadline) {
    ev_run(loop_, EVRUN_ONCE);
  }
  ev_timer_stop(loop_, &tick);
  return done();
}

}  // namespace od::adapters::loop
