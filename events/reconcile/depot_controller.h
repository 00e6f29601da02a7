#pragma once
// DepotController: the `reconcile` role for Depots (single-active; the lease is the
// composition root's, shared with the ModuleController). It asks the workers to poll the
// upstreams and APPLIES core::planDepot to their answers.
//
// DESIGN
// - State. Three StreamTails from the beginning, then live: `resources` folds Depots, Modules
//   and Providers (nothing else) into a events::ResourceState; `work` records each Depot's
//   newest DepotPollRequested and `facts` its newest ReleasesDiscovered (newest by
//   generation, then arrival; the envelope's corr names the Depot's uid, so the history of
//   an earlier object of the same name does not count). Nothing runs before all three have
//   caught up; then every Depot is queued, and again every `resync_interval`.
// - Triggers. A changed Depot, a changed Module or Provider of its namespace (an edit of a
//   child is undone at once, as the reference undoes it at its next poll), and a
//   ReleasesDiscovered queue the Depot (WorkQueue: coalesced, bounded, retried with backoff).
// - Polls (all appended to `work`, all with deterministic ids, so a restart appends nothing
//   twice). No request for the Depot's uid and generation yet: DepotPollRequested now
//   ("observed"). The newest answer is for that request, names no retry, and
//   spec.pollingIntervalMinutes > 0: the next poll is put in the due set at the answer's time
//   + the interval ("interval", id from the answer's id; one `minute` lasts 60 s unless a
//   test shortens it). A request or scheduled retry with no answer after `poll_grace`: a
//   new request ("stale"; a poll lost with a parked entry). Unset or 0: no polling.
// - Apply. planDepot(Depot, the newest answer of the current generation, its namespace's
//   Modules and Providers): creates (409 means the view is behind: retried), spec patches
//   with a resourceVersion precondition, then the poll decision, then the Depot's /status
//   patch — each only when non-empty. A Depot being deleted, or gone, is left alone: its
//   children stay (the reference's behaviour; no owner references).
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents and *store must
// outlive the controller; destroying it cancels every call and timer.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ports/resource_store.h"
#include "core/reconcile/depot_plan.h"
#include "events/codec.h"
#include "events/reconcile/step_chain.h"
#include "events/reconcile/tail_set.h"
#include "events/reconcile/work_queue.h"
#include "events/runtime.h"
#include "events/streams.h"
#include "events/resource_state.h"

namespace od::events {

struct DepotControllerConfig {
  std::chrono::milliseconds debounce{100};  // a changed key waits this long
  size_t max_writes_in_flight = 4;          // Depots reconciled at once, one write each
  std::chrono::milliseconds resync_interval{std::chrono::minutes(10)};  // 0: never
  std::chrono::milliseconds minute{std::chrono::minutes(1)};  // one pollingIntervalMinutes
  std::chrono::milliseconds poll_grace{std::chrono::minutes(15)};  // unanswered poll: again
  BackoffPolicy retry_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(300000),
                              0.5};
  size_t read_batch = 256;
  std::chrono::milliseconds read_block{5000};
  std::string work_stream = std::string(streams::kWork);
};

struct DepotControllerMetrics {
  uint64_t reconciles = 0;
  uint64_t write_errors = 0;
  uint64_t creates = 0;          // Modules and Providers created
  uint64_t patches = 0;          // their specs patched
  uint64_t status_patches = 0;   // Depot /status
  uint64_t polls_requested = 0;  // DepotPollRequested appended now (new entries)
  uint64_t polls_scheduled = 0;  // interval polls put in the due set
  uint64_t undecodable = 0;
};

// What the streams said about one Depot's polls.
struct DepotPollHistory {
  struct Request {
    std::string uid;
    int64_t generation = 0;
    std::string id;
    int64_t ts = 0;  // ms
  };
  struct Answer {
    std::string uid;
    int64_t generation = 0;
    std::string id;
    std::string cause;  // the request it answers
    int64_t ts = 0;
    std::optional<int64_t> next_attempt_at;
    std::vector<core::DiscoveredEntry> entries;
  };
  std::optional<Request> request;
  std::optional<Answer> answer;
};

// The poll to append now, or to schedule at `due_ms`.
struct PollDecision {
  std::string reason;  // observed, interval, stale
  std::string id;
  std::optional<int64_t> due_ms;  // nullopt: append now
};
// REQUIRES: `minute` and `grace` positive. Pure.
std::optional<PollDecision> decidePoll(const DepotPollHistory& history, const std::string& key,
                                       const std::string& uid, int64_t generation,
                                       int64_t interval_minutes, int64_t now_ms,
                                       std::chrono::milliseconds minute,
                                       std::chrono::milliseconds grace);

class DepotController {
 public:
  DepotController(Runtime runtime, core::ResourceStore& store, DepotControllerConfig config);
  ~DepotController();
  DepotController(const DepotController&) = delete;
  DepotController& operator=(const DepotController&) = delete;

  void start();
  void stop();
  bool caughtUp() const { return tails_.caughtUp(); }
  bool ready() const { return tails_.ready(); }
  std::string notReadyReason() const { return tails_.notReadyReason(); }
  const DepotControllerMetrics& metrics() const { return metrics_; }

 private:
  struct Plan {
    std::string key;
    std::vector<ChainStep> steps;
  };
  void onResource(const Envelope& event);
  void onWork(const Envelope& event);
  void onFact(const Envelope& event);
  void queueAll(TailSet::Sync why);
  core::CancelablePtr reconcile(const std::string& key, WorkQueue::Done done);
  // Module/<name> and Provider/<name> -> their entries in the Depot's namespace.
  using ChildEntries = std::map<std::string, const events::ResourceEntry*>;
  void planDepot(const events::ResourceEntry& entry, Plan& plan);
  struct ChildView {
    core::DepotChildren children;
    ChildEntries entries;
  };
  ChildView childrenOf(const events::ResourceEntry& depot) const;
  void addChildWrites(const core::DepotPlan& p, const ChildEntries& entries,
                      const std::string& ns, Plan& plan);
  void addPoll(const events::ResourceEntry& entry, const core::Depot& depot, Plan& plan);
  void addWrite(std::string what, ChainStep::Run run, Plan& plan);

  Runtime rt_;
  core::ResourceStore& store_;
  DepotControllerConfig config_;
  events::ResourceState state_;
  std::map<std::string, DepotPollHistory> polls_;  // by Depot key
  std::map<std::string, std::string> scheduled_;   // Depot key -> interval poll in the due set
  TailSet tails_;  // resources, work, facts
  WorkQueue queue_;
  DepotControllerMetrics metrics_;
};

}  // namespace od::events
