#pragma once
// DepotPollHandler: the `worker` role for Depots. Each DepotPollRequested (work stream, key
// Depot/<ns>/<name>) lists the upstream releases of every entry of the Depot spec it carries
// and answers with one ReleasesDiscovered fact (ARCHITECTURE "Events").
//
// DESIGN
// - Entries come from core::depotEntries (spec.global merged in). An entry with problems is
//   not polled (its fact entry says why); a Depot with whole-Depot problems polls nothing.
// - Modules: ModuleSource::listReleases(repoOwner, name, GitHub App auth when
//   githubClientConfig.useAuthenticatedClient, in the Depot's namespace); draft releases are
//   skipped (their tags need not exist). Providers: ProviderSource::listVersions(namespace or
//   "hashicorp", name). Either way core::selectVersions keeps what satisfies the entry's
//   versionConstraints, highest first, at most versionHistoryLimit. Entries run one after
//   the other (one upstream call in flight per poll).
// - A failed listing is that entry's `error`, never an empty `kept`: the reconciler leaves
//   the entry's child as it is. When an error is retryable (Unavailable, Timeout) and
//   attempt < max_attempts, a DepotPollRequested{attempt+1, reason "retry"} is scheduled in
//   the due set at now + backoff(attempt) and the fact carries nextAttemptAt.
// - Ids: the fact is eventId({type, key, request id}) and the retry eventId({type, key,
//   generation, attempt+1, request id}); a redelivered request appends nothing new.
// - An undecodable request is an error for the Consumer (parked). A fact that would exceed
//   kMaxDataBytes turns every listed entry into a non-retryable error saying so.
//
// WorkRouter: the one Handler of the work stream's consumer, dispatching by event type
// (DepotPollRequested here, the rest to the version sync handler).
//
// Thread affinity: loop thread only. Ownership: the Runtime's referents, *modules and
// *providers must outlive the handler; handles returned by handle() must not outlive it.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/ports/sources.h"
#include "events/consumer.h"
#include "events/runtime.h"
#include "events/scheduler.h"
#include "events/streams.h"

namespace od::events {

struct DepotPollConfig {
  BackoffPolicy retry{std::chrono::milliseconds(10000), std::chrono::milliseconds(600000), 0.5};
  int64_t max_attempts = 5;  // polls per request chain; the last failure waits for the next
  std::string facts_stream = std::string(streams::kFacts);
  std::string work_stream = std::string(streams::kWork);  // where retries are released
};

struct DepotPollMetrics {
  uint64_t polls = 0;           // ReleasesDiscovered answered
  uint64_t entry_failures = 0;  // entries whose listing failed
  uint64_t retries = 0;         // retry polls scheduled
};

class DepotPollHandler final : public Handler {
 public:
  DepotPollHandler(Runtime runtime, core::ModuleSource& modules, core::ProviderSource& providers,
                   DepotPollConfig config);
  ~DepotPollHandler() override;
  DepotPollHandler(const DepotPollHandler&) = delete;
  DepotPollHandler& operator=(const DepotPollHandler&) = delete;

  // events::Handler
  core::CancelablePtr handle(const Envelope& event, const core::StreamEntry& raw,
                             Done done) override;

  const DepotPollMetrics& metrics() const { return metrics_; }

  class Job;  // one poll in flight (depot_poll.cc)

 private:
  friend class Job;
  Runtime rt_;
  core::ModuleSource& modules_;
  core::ProviderSource& providers_;
  DepotPollConfig config_;
  DepotPollMetrics metrics_;
};

class WorkRouter final : public Handler {
 public:
  // *fallback handles every type without a route. REQUIRES: it outlives the router.
  explicit WorkRouter(Handler& fallback) : fallback_(fallback) {}
  // *handler must outlive the router.
  void route(std::string type, Handler& handler) { routes_[std::move(type)] = &handler; }

  // events::Handler
  core::CancelablePtr handle(const Envelope& event, const core::StreamEntry& raw,
                             Done done) override;

 private:
  Handler& fallback_;
  std::map<std::string, Handler*, std::less<>> routes_;
};

}  // namespace od::events
