#pragma once
// StepChain: runs asynchronous steps (ResourceStore and EventLog calls) one after the
// other, so a reconcile never has more than one write in flight. A step reports a Status;
// a failed step is reported to `on_error`, and then:
// - a retryable error (Unavailable, Timeout) or a Conflict (a resourceVersion precondition:
//   the object moved since it was observed) stops the chain, which ends with retry = true;
// - any other error is terminal for that step only: the next steps still run (one bad child
//   must not block its siblings), and the chain ends with retry = false.
// Steps tolerate what is fine for them (404 on delete, AlreadyExists on create) themselves.
// Completions that run synchronously inside a step are handled.
//
// Thread affinity: loop thread only. Ownership: the returned handle owns the chain;
// destroying or cancelling it cancels the running step, and `done` never runs afterwards.

#include <functional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::events {

struct ChainStep {
  using Run = std::function<core::CancelablePtr(std::function<void(core::Status)> done)>;
  std::string what;  // for logs: "create Version/ns/name"
  Run run;
};

struct ChainCallbacks {
  std::function<void(const ChainStep& step, const core::Error& error)> on_error;
  std::function<void(bool retry)> done;  // called once
};

core::CancelablePtr startChain(std::vector<ChainStep> steps, ChainCallbacks callbacks);

}  // namespace od::events
