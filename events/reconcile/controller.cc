#include "events/reconcile/controller.h"

#include <utility>

#include "core/resources/provider.h"
#include "events/codec.h"
#include "events/reconcile/observed.h"
#include "events/streams.h"

namespace od::events {
namespace {

bool isParentKind(std::string_view kind) {
  return kind == core::kKindModule || kind == core::kKindProvider;
}

// The keys of the parents (Modules and Providers) that control `entry`.
std::vector<std::string> parentKeys(const events::ResourceEntry& entry) {
  std::vector<std::string> keys = controllerOwnerKeys(entry, core::kKindModule);
  for (auto& k : controllerOwnerKeys(entry, core::kKindProvider)) {
    keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace

std::string syncRequestId(std::string_view uid, int64_t generation, core::SyncReason reason,
                          int64_t attempt) {
  return eventId({type::kVersionSyncRequested, uid, std::to_string(generation),
                  core::syncReasonName(reason), std::to_string(attempt)});
}

ModuleController::ModuleController(Runtime runtime, core::ResourceStore& store,
                                   core::ObjectStore* objects, ModuleControllerConfig config)
    : rt_(runtime),
      store_(store),
      objects_(objects),
      config_(std::move(config)),
      tails_(runtime,
             TailSetConfig{config_.read_batch, config_.read_block, config_.resync_interval},
             {{std::string(streams::kResources), [this](const Envelope& e) { onResource(e); }},
              {std::string(streams::kWork), [this](const Envelope& e) { onSyncEvent(e); }},
              {std::string(streams::kFacts), [this](const Envelope& e) { onSyncEvent(e); }}},
             [this](TailSet::Sync why) { queueAll(why); }),
      queue_(runtime,
             WorkQueueConfig{config_.debounce, config_.max_writes_in_flight,
                             config_.retry_backoff},
             [this](const std::string& key, WorkQueue::Done done) {
               return reconcile(key, std::move(done));
             }) {}

ModuleController::~ModuleController() { stop(); }

void ModuleController::start() {
  rt_.logger.info("event=ReconcileStarting storage_root={} max_writes_in_flight={}",
                  config_.storage_root, config_.max_writes_in_flight);
  // A restart after stop() (the lease lost and won back) queues everything again (TailSet).
  tails_.start();
}

void ModuleController::stop() {
  tails_.stop();
  queue_.clear();
}

void ModuleController::onResource(const Envelope& event) {
  std::vector<std::string> owners;
  if (const auto* before = state_.find(event.key)) {
    owners = parentKeys(*before);
  }
  auto outcome = state_.apply(event);
  if (!outcome.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=ResourceEventUndecodable id={} key={} error=\"{}\"", event.id,
                    event.key, outcome.error().describe());
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
  if (isParentKind(key->kind)) {
    queue_.add(event.key);
  } else if (key->kind == core::kKindVersion) {
    queue_.add(event.key);
    if (const auto* after = state_.find(event.key)) {
      for (auto& owner : parentKeys(*after)) {
        owners.push_back(std::move(owner));
      }
    }
    for (const auto& owner : owners) {
      queue_.add(owner);
    }
  }
}

void ModuleController::onSyncEvent(const Envelope& event) {
  auto change = ledger_.apply(event);
  if (!change.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=SyncEventUndecodable id={} key={} error=\"{}\"", event.id, event.key,
                    change.error().describe());
    return;
  }
  if (tails_.initialDone() && *change == SyncLedger::Change::Result) {
    queue_.add(event.key);  // a finished forced sync resets spec.forceSync
  }
}

void ModuleController::queueAll(TailSet::Sync why) {
  if (why == TailSet::Sync::CaughtUp) {
    rt_.logger.info("event=ReconcileCaughtUp resources={} versions_with_history={}",
                    state_.size(), ledger_.size());
  }
  for (const auto& [key, entry] : state_.entries()) {
    if (isParentKind(entry.key.kind) || entry.key.kind == core::kKindVersion) {
      queue_.add(key);
    }
  }
}

core::CancelablePtr ModuleController::reconcile(const std::string& key, WorkQueue::Done done) {
  Plan plan{key, {}};
  const events::ResourceEntry* entry = ready() ? state_.find(key) : nullptr;
  if (entry != nullptr && isParentKind(entry->key.kind)) {
    planParent(*entry, plan);
  } else if (entry != nullptr && entry->key.kind == core::kKindVersion) {
    planVersion(*entry, plan);
  }
  ChainCallbacks callbacks;
  callbacks.on_error = [this, key](const ChainStep& step, const core::Error& error) {
    ++metrics_.write_errors;
    rt_.logger.warn("event=ReconcileWriteFailed key={} step=\"{}\" error=\"{}\"", key,
                    step.what, error.describe());
  };
  callbacks.done = [this, done = std::move(done)](bool retry) {
    ++metrics_.reconciles;
    done(retry ? WorkQueue::Outcome::Retry : WorkQueue::Outcome::Done);
  };
  return startChain(std::move(plan.steps), std::move(callbacks));
}

}  // namespace od::events
