#pragma once
// Cancelable: the handle every asynchronous port call returns (house style §4, like
// h2o_hostinfo_getaddr_cancel). Destroying or cancelling it guarantees that the completion
// callback never runs afterwards, so an owner that holds its handles can die safely.
// Thread affinity: the thread that started the call (the loop thread).

#include <memory>

namespace od::core {

class Cancelable {
 public:
  virtual ~Cancelable() = default;
  // Idempotent. After it returns the callback will not be called.
  virtual void cancel() = 0;
};

using CancelablePtr = std::unique_ptr<Cancelable>;

// A handle for a call that has already completed (or can no longer call back).
CancelablePtr completedHandle();

}  // namespace od::core
