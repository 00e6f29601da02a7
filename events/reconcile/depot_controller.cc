#include "events/reconcile/depot_controller.h"

#include <memory>
#include <utility>

#include "core/resources/depot.h"
#include "core/resources/provider.h"
#include "events/reconcile/observed.h"
#include "events/streams.h"

namespace od::events {
namespace {

using core::Status;

bool isDepotFamily(std::string_view key) {
  return key.starts_with("Depot/") || key.starts_with("Module/") || key.starts_with("Provider/");
}

std::optional<core::Depot> observedDepot(const events::ResourceEntry& entry) {
  auto decoded = core::decodeDepot(observedObjectJson(entry));
  if (!decoded.ok()) {
    return std::nullopt;
  }
  return std::move(decoded->resource);
}

// A store completion as a step Status; `tolerated` counts as success.
// (Internal as `tolerated` tolerates nothing a store answers for a create.)
template <typename T>
std::function<void(core::Result<T>)> statusOf(std::function<void(Status)> done,
                                              core::Errc tolerated, uint64_t* counter) {
  return [done = std::move(done), tolerated, counter](core::Result<T> r) {
    if (r.ok()) {
      ++*counter;
      done(Status());
      return;
    }
    core::Error error = std::move(r).takeError();
    done(error.code == tolerated ? Status() : Status(std::move(error)));
  };
}

}  // namespace

std::optional<PollDecision> decidePoll(const DepotPollHistory& history, const std::string& key,
                                       const std::string& uid, int64_t generation,
                                       int64_t interval_minutes, int64_t now_ms,
                                       std::chrono::milliseconds minute,
                                       std::chrono::milliseconds grace) {
  const std::string gen = std::to_string(generation);
  const auto& req = history.request;
  if (!req || req->uid != uid || req->generation != generation) {
    return PollDecision{"observed", eventId({type::kDepotPollRequested, uid, gen, "observed"}),
                        std::nullopt};
  }
  const auto& ans = history.answer;
  const bool ours = ans && ans->uid == uid && ans->generation == generation;
  const bool answered = ours && ans->cause == req->id;
  // Waiting for the worker (the request's answer) or for a retry the worker scheduled.
  if (!answered || ans->next_attempt_at) {
    int64_t since = req->ts;
    if (ours && ans->next_attempt_at) {
      since = std::max(since, *ans->next_attempt_at);
    }
    if (now_ms - since > grace.count()) {
      return PollDecision{"stale", eventId({type::kDepotPollRequested, key, gen, "stale", req->id,
                                            ours ? ans->id : std::string()}),
                          std::nullopt};
    }
    return std::nullopt;
  }
  if (interval_minutes <= 0) {
    return std::nullopt;
  }
  return PollDecision{"interval",
                      eventId({type::kDepotPollRequested, key, gen, "interval", ans->id}),
                      ans->ts + interval_minutes * minute.count()};
}

DepotController::DepotController(Runtime runtime, core::ResourceStore& store,
                                 DepotControllerConfig config)
    : rt_(runtime),
      store_(store),
      config_(std::move(config)),
      tails_(runtime,
             TailSetConfig{config_.read_batch, config_.read_block, config_.resync_interval},
             {{std::string(streams::kResources), [this](const Envelope& e) { onResource(e); }},
              {config_.work_stream, [this](const Envelope& e) { onWork(e); }},
              {std::string(streams::kFacts), [this](const Envelope& e) { onFact(e); }}},
             [this](TailSet::Sync why) { queueAll(why); }),
      queue_(runtime,
             WorkQueueConfig{config_.debounce, config_.max_writes_in_flight,
                             config_.retry_backoff},
             [this](const std::string& key, WorkQueue::Done done) {
               return reconcile(key, std::move(done));
             }) {}

DepotController::~DepotController() { stop(); }

void DepotController::start() { tails_.start(); }

void DepotController::stop() {
  tails_.stop();
  queue_.clear();
}

void DepotController::onResource(const Envelope& event) {
  if (!isDepotFamily(event.key)) {
    return;
  }
  auto outcome = state_.apply(event);
  if (!outcome.ok()) {
    ++metrics_.undecodable;
    return;
  }
  using Outcome = events::ResourceState::Outcome;
  if (!tails_.initialDone() || (*outcome != Outcome::Changed && *outcome != Outcome::Deleted)) {
    return;
  }
  auto key = events::parseResourceKey(event.key);
  if (!key.ok()) {
    return;
  }
  if (key->kind == core::kKindDepot) {
    queue_.add(event.key);
    return;
  }
  for (const auto* depot : state_.list(core::kKindDepot, key->name_space)) {
    queue_.add(depot->key.str());  // a child edited or deleted: the Depot puts it back
  }
}

void DepotController::onWork(const Envelope& event) {
  if (event.type != type::kDepotPollRequested) {
    return;
  }
  auto data = decodeAs<DepotPollRequested>(event);
  if (!data.ok()) {
    ++metrics_.undecodable;
    return;
  }
  auto& req = polls_[event.key].request;
  if (!req || req->uid != event.corr || data->generation >= req->generation) {
    req = DepotPollHistory::Request{event.corr, data->generation, event.id, event.ts};
  }
  if (tails_.initialDone()) {
    queue_.add(event.key);
  }
}

void DepotController::onFact(const Envelope& event) {
  if (event.type != type::kReleasesDiscovered) {
    return;
  }
  auto data = decodeAs<ReleasesDiscovered>(event);
  if (!data.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=ReleasesDiscoveredUndecodable id={} key={} error=\"{}\"", event.id,
                    event.key, data.error().describe());
    return;
  }
  auto& ans = polls_[event.key].answer;
  if (ans && ans->uid == event.corr && data->generation < ans->generation) {
    return;  // an older generation's poll answered late
  }
  DepotPollHistory::Answer a{event.corr, data->generation, event.id, event.cause, event.ts,
                             data->next_attempt_at, {}};
  for (auto& e : data->entries) {
    a.entries.push_back(core::DiscoveredEntry{e.kind, e.name, std::move(e.kept), e.error});
  }
  ans = std::move(a);
  if (tails_.initialDone()) {
    queue_.add(event.key);
  }
}

void DepotController::queueAll(TailSet::Sync why) {
  if (why == TailSet::Sync::CaughtUp) {
    rt_.logger.info("event=DepotReconcileCaughtUp depots={}",
                    state_.list(core::kKindDepot).size());
  }
  for (const auto* depot : state_.list(core::kKindDepot)) {
    queue_.add(depot->key.str());
  }
}

core::CancelablePtr DepotController::reconcile(const std::string& key, WorkQueue::Done done) {
  Plan plan{key, {}};
  const events::ResourceEntry* entry = ready() ? state_.find(key) : nullptr;
  if (entry != nullptr && entry->key.kind == core::kKindDepot) {
    planDepot(*entry, plan);
  }
  ChainCallbacks callbacks;
  callbacks.on_error = [this, key](const ChainStep& step, const core::Error& error) {
    ++metrics_.write_errors;
    rt_.logger.warn("event=DepotWriteFailed key={} step=\"{}\" error=\"{}\"", key, step.what,
                    error.describe());
  };
  callbacks.done = [this, done = std::move(done)](bool retry) {
    ++metrics_.reconciles;
    done(retry ? WorkQueue::Outcome::Retry : WorkQueue::Outcome::Done);
  };
  return startChain(std::move(plan.steps), std::move(callbacks));
}

void DepotController::planDepot(const events::ResourceEntry& entry, Plan& plan) {
  auto depot = observedDepot(entry);
  if (!depot) {
    ++metrics_.undecodable;
    return;
  }
  if (depot->metadata.deletion_timestamp) {
    return;  // its Modules and Providers stay (no owner references, as the reference)
  }
  const std::string& ns = entry.key.name_space;
  ChildView view = childrenOf(entry);
  std::optional<std::vector<core::DiscoveredEntry>> discovered;
  const auto& ans = polls_[plan.key].answer;
  if (ans && ans->uid == entry.object.uid && ans->generation == entry.object.generation) {
    discovered = ans->entries;
  }
  core::DepotPlan p = core::planDepot(*depot, discovered, view.children, rt_.clock.now());
  addChildWrites(p, view.entries, ns, plan);
  addPoll(entry, *depot, plan);
  if (!p.status_patch.empty()) {
    addWrite("patch status " + plan.key,
             [this, ref = core::ResourceRef{std::string(core::kKindDepot), ns, entry.key.name},
              body = p.status_patch](std::function<void(Status)> done) {
               return store_.patchStatus(ref, core::PatchType::Merge, body,
                                         statusOf<std::string>(std::move(done),
                                                               core::Errc::NotFound,
                                                               &metrics_.status_patches));
             },
             plan);
  }
}

DepotController::ChildView DepotController::childrenOf(const events::ResourceEntry& depot) const {
  const std::string& ns = depot.key.name_space;
  ChildView view;
  core::DepotChildren& children = view.children;
  for (const auto* e : state_.list(core::kKindModule, ns)) {
    if (auto m = observedModule(*e); m.ok()) {
      children.modules[e->key.name] = std::move(m).value();
      view.entries["Module/" + e->key.name] = e;
    }
  }
  for (const auto* e : state_.list(core::kKindProvider, ns)) {
    if (auto p = core::decodeProvider(observedObjectJson(*e)); p.ok()) {
      children.providers[e->key.name] = std::move(p->resource);
      view.entries["Provider/" + e->key.name] = e;
    }
  }
  // Entries of Depots of the namespace whose names sort first are theirs (depot_plan.h).
  for (const auto* other : state_.list(core::kKindDepot, ns)) {
    if (other->key.name >= depot.key.name) {
      continue;
    }
    if (auto o = observedDepot(*other); o && !o->metadata.deletion_timestamp) {
      for (const auto& m : o->spec.module_configs) {
        children.claimed_modules.emplace(m.name.value_or(""), other->key.name);
      }
      for (const auto& pc : o->spec.provider_configs) {
        children.claimed_providers.emplace(pc.name.value_or(""), other->key.name);
      }
    }
  }
  return view;
}

void DepotController::addChildWrites(const core::DepotPlan& p, const ChildEntries& entries,
                                     const std::string& ns, Plan& plan) {
  for (const auto& c : p.creates) {
    // AlreadyExists (Conflict) means the view is behind: the chain stops and is retried.
    addWrite("create " + c.kind + "/" + ns + "/" + c.name,
             [this, c, ns](std::function<void(Status)> done) {
               return store_.create(c.kind, ns, c.body,
                                    statusOf<std::string>(std::move(done), core::Errc::Internal,
                                                          &metrics_.creates));
             },
             plan);
  }
  for (const auto& patch : p.patches) {
    auto child = entries.find(patch.kind + "/" + patch.name);
    if (child == entries.end()) {
      continue;  // planDepot patches only children it was given
    }
    auto body = withResourceVersion(patch.patch, child->second->object.resource_version);
    if (!body.ok()) {
      ++metrics_.write_errors;
      continue;
    }
    core::ResourceRef ref{patch.kind, ns, patch.name};
    addWrite("patch " + patch.kind + "/" + ns + "/" + patch.name,
             [this, ref, body = *body](std::function<void(Status)> done) {
               return store_.patch(ref, core::PatchType::Merge, body,
                                   statusOf<std::string>(std::move(done), core::Errc::NotFound,
                                                         &metrics_.patches));
             },
             plan);
  }
}

void DepotController::addPoll(const events::ResourceEntry& entry, const core::Depot& depot,
                              Plan& plan) {
  const int64_t now = core::unixMillis(rt_.clock.now());
  auto decision = decidePoll(polls_[plan.key], plan.key, entry.object.uid,
                             entry.object.generation,
                             depot.spec.polling_interval_minutes.value_or(0), now,
                             config_.minute, config_.poll_grace);
  if (!decision) {
    return;
  }
  DepotPollRequested data{entry.object.generation, 1, decision->reason, entry.object.spec};
  EnvelopeMeta meta{decision->id, plan.key, entry.object.uid, entry.event_id,
                    decision->due_ms.value_or(now)};
  core::AppendRecord record = toAppendRecord(config_.work_stream, makeEnvelope(data, meta));
  if (decision->due_ms) {
    if (scheduled_[plan.key] == decision->id) {
      return;  // already in the due set
    }
    const core::Clock::TimePoint at{std::chrono::milliseconds(*decision->due_ms)};
    addWrite("schedule poll " + plan.key,
             [this, record, at, key = plan.key, id = decision->id](
                 std::function<void(Status)> done) {
               return rt_.log.schedule(core::DueRecord{at, record},
                                       [this, done = std::move(done), key, id](Status st) {
                                         if (st.ok()) {
                                           ++metrics_.polls_scheduled;
                                           scheduled_[key] = id;
                                         }
                                         done(std::move(st));
                                       });
             },
             plan);
    return;
  }
  rt_.logger.debug("event=DepotPollRequesting key={} reason={} generation={}", plan.key,
                   decision->reason, entry.object.generation);
  addWrite("request poll " + plan.key, [this, record](std::function<void(Status)> done) {
    return rt_.log.append({record}, [this, done = std::move(done)](auto r) {
      if (r.ok() && !r->empty() && !(*r)[0].duplicate) {
        ++metrics_.polls_requested;
      }
      done(r.ok() ? Status() : Status(r.error()));
    });
  }, plan);
}

void DepotController::addWrite(std::string what, ChainStep::Run run, Plan& plan) {
  plan.steps.push_back(ChainStep{std::move(what), std::move(run)});
}

}  // namespace od::events
