#pragma once
// EventLoop: one libev loop per thread (the control loop, or one HTTP loop per core).
//
// DESIGN
// - The loop owns its `struct ev_loop` (ev_loop_new), an ev_async watcher for post() and an
//   ev_prepare watcher that drains the deferred-delete list before every sleep (Envoy's
//   DeferredDeletable; Valkey's beforesleep).
// - post() may be called from any thread: the function goes into a mutex-protected vector
//   and ev_async_send wakes the loop. libev compresses several sends into one callback, so
//   the callback drains the WHOLE queue (h2o multithread receiver, Envoy Dispatcher::post).
// - run() returns after stop(); stop() may be called from any thread, also before run().
// - Every libev trampoline in adapters/ goes through guarded(): noexcept, and an exception
//   escaping the C frame is logged and aborts.
//
// Thread affinity: post(), stop() any thread; everything else on the loop thread (the thread
// that calls run()/runOnce()). The EventLoop must outlive every watcher attached to raw().

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

struct ev_loop;

namespace od::adapters::loop {

// Logs the exception being handled (call it inside a catch block) and aborts.
[[noreturn]] void abortOnEscapedException(const char* where) noexcept;

// Calls fn(); an exception escaping it is fatal (it would unwind through C frames).
template <typename F>
void guarded(const char* where, F&& fn) noexcept {
  try {
    fn();
  } catch (...) {
    abortOnEscapedException(where);
  }
}

// Base class for objects whose destruction must wait until the current callback returns.
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The libev loop, for watchers owned by adapters (hiredis, curl, timers).
  struct ev_loop* raw() const { return loop_; }

  // Runs `fn` on the loop thread soon. Any thread.
  void post(std::function<void()> fn);
  // Destroys `object` on the loop thread before the loop next sleeps. Loop thread.
  void deferDelete(std::unique_ptr<DeferredDeletable> object);

  // Runs until stop(). Loop thread.
  void run();
  // Makes run() return soon. Any thread.
  void stop();
  // One iteration: `wait` blocks until at least one event arrived (EVRUN_ONCE), otherwise
  // polls (EVRUN_NOWAIT). Tests and helpers that drive the loop by hand use this.
  void runOnce(bool wait);
  // Runs iterations until `done()` or until `timeout` has passed; returns done().
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // Number of deferred deletions still waiting (tests).
  size_t deferredCount() const { return deferred_.size(); }

  struct Watchers;  // libev watchers, defined in the .cc

 private:
  void drainPosted();
  void drainDeferred();

  struct ev_loop* loop_ = nullptr;
  std::unique_ptr<Watchers> watchers_;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;  // guarded by mutex_
  std::atomic<bool> stop_requested_{false};
  std::vector<std::unique_ptr<DeferredDeletable>> deferred_;
};

}  // namespace od::adapters::loop
