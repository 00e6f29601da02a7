// ModuleController: turning the pure decisions into chains of writes (see controller.h).
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "core/names.h"
#include "core/reconcile/merge_patch.h"
#include "core/reconcile/module_plan.h"
#include "core/reconcile/provider_plan.h"
#include "core/reconcile/standalone.h"
#include "core/storage_key.h"
#include "events/codec.h"
#include "events/reconcile/controller.h"
#include "events/reconcile/observed.h"
#include "events/streams.h"

namespace od::events {
namespace {

using core::Status;

SyncReason toEventReason(core::SyncReason reason) {
  switch (reason) {
    case core::SyncReason::New: return SyncReason::New;
    case core::SyncReason::ForceSync: return SyncReason::ForceSync;
    case core::SyncReason::Retry: return SyncReason::Retry;
    case core::SyncReason::Resync: return SyncReason::Resync;
  }
  return SyncReason::New;
}

core::ResourceRef refOf(const events::ResourceKey& key) {
  return core::ResourceRef{key.kind, key.name_space, key.name};
}

// A store completion as a step Status: `tolerated` counts as success; `counter` counts
// real successes.
template <typename T>
std::function<void(core::Result<T>)> statusOf(std::function<void(Status)> done,
                                              core::Errc tolerated, uint64_t* counter) {
  return [done = std::move(done), tolerated, counter](core::Result<T> r) {
    if (r.ok()) {
      if (counter != nullptr) {
        ++*counter;
      }
      done(Status());
      return;
    }
    core::Error error = std::move(r).takeError();
    done(error.code == tolerated ? Status() : Status(std::move(error)));
  };
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out.append(n).push_back(',');
  }
  return out;
}

// What differs between the parents of Versions (Modules and Providers): how the parent
// decodes, the label that marks its Versions, the prefix of its children's names, and its
// pure decision. Everything else is one path (planParent, applyChildrenPlan).
struct ParentView {
  bool deleting = false;
  std::string label;        // the label key marking its Versions
  std::string base;         // that label's value
  std::string name_prefix;  // of its children's names
  std::function<core::ChildrenPlan(const std::vector<core::Version>&, core::Clock::TimePoint,
                                   core::Random&)>
      plan;
};

// The start of a provider's Version names (core::providerVersionName maps the whole name so).
std::string providerNamePrefix(std::string base) {
  for (char& ch : base) {
    if (ch == '.' || ch == '_' || ch == '/') {
      ch = '-';
    } else if (ch >= 'A' && ch <= 'Z') {
      ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  return base + "-";
}

core::Result<ParentView> parentView(const events::ResourceEntry& entry) {
  ParentView view;
  if (entry.key.kind == core::kKindProvider) {
    OD_TRY(auto decoded, core::decodeProvider(observedObjectJson(entry)));
    auto provider = std::make_shared<core::Provider>(std::move(decoded.resource));
    view.deleting = provider->metadata.deletion_timestamp.has_value();
    view.label = std::string(core::kLabelProvider);
    view.base = core::providerBaseName(*provider);
    view.name_prefix = providerNamePrefix(view.base);
    view.plan = [provider](const std::vector<core::Version>& existing,
                           core::Clock::TimePoint now, core::Random& random) {
      return core::planProvider(*provider, existing, now, random).children;
    };
    return view;
  }
  OD_TRY(auto module, observedModule(entry));
  auto shared = std::make_shared<core::Module>(std::move(module));
  view.deleting = shared->metadata.deletion_timestamp.has_value();
  view.label = std::string(core::kLabelModule);
  view.base = core::moduleBaseName(*shared);
  view.name_prefix = view.base + "-";
  view.plan = [shared](const std::vector<core::Version>& existing, core::Clock::TimePoint now,
                       core::Random& random) {
    return core::planModule(*shared, existing, now, random).children;
  };
  return view;
}

}  // namespace

core::AppendRecord ModuleController::syncRecord(const events::ResourceEntry& version,
                                                core::SyncReason reason, std::string id) const {
  const std::string key = version.key.str();
  VersionSyncRequested data{version.object.generation, version.object.spec,
                            ledger_.nextAttempt(key, version.object.generation),
                            toEventReason(reason)};
  EnvelopeMeta meta{std::move(id), key, version.object.uid, version.event_id,
                    core::unixMillis(rt_.clock.now())};
  return toAppendRecord(streams::kWork, makeEnvelope(data, std::move(meta)));
}

void ModuleController::planParent(const events::ResourceEntry& entry, Plan& plan) {
  auto parent = parentView(entry);
  if (!parent.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=ParentUndecodable key={} error=\"{}\"", plan.key,
                    parent.error().describe());
    return;
  }
  if (parent->deleting) {
    return;  // its Versions go with it (owner references)
  }
  std::vector<core::Version> existing;
  std::map<std::string, const events::ResourceEntry*> by_name;
  for (const auto* e : state_.list(core::kKindVersion, entry.key.name_space)) {
    // Labelled for it; or named like its children, so that a Version of the same name that
    // is not its own is reported instead of failing every create with AlreadyExists.
    auto label = e->object.labels.find(parent->label);
    const bool labelled = label != e->object.labels.end() && label->second == parent->base;
    if (!labelled && e->key.name.rfind(parent->name_prefix, 0) != 0) {
      continue;
    }
    auto v = observedVersion(*e);
    if (!v.ok()) {
      ++metrics_.undecodable;
      continue;
    }
    by_name[e->key.name] = e;
    existing.push_back(std::move(v).value());
  }
  const core::ChildrenPlan c = parent->plan(existing, rt_.clock.now(), rt_.random);
  for (const auto& problem : c.problems) {
    rt_.logger.debug("event=ChildrenPlanProblem key={} problem=\"{}\"", plan.key, problem);
  }
  applyChildrenPlan(entry, c, existing, by_name, plan);
}

void ModuleController::applyChildrenPlan(
    const events::ResourceEntry& entry, const core::ChildrenPlan& c,
    const std::vector<core::Version>& existing,
    const std::map<std::string, const events::ResourceEntry*>& by_name, Plan& plan) {
  auto applied = std::make_shared<Applied>();
  applied->fact.generation = entry.object.generation;
  applied->fact.latest_version = c.latest_version;
  const std::string& ns = entry.key.name_space;
  for (const core::Version& v : c.creates) {
    addCreate(ns, v, applied, plan);
  }
  for (const auto& u : c.updates) {
    if (auto it = by_name.find(u.name); it != by_name.end()) {
      addPatch(std::string(core::kKindVersion), *it->second, u.patch, true, &metrics_.updates,
               plan);
    }
  }
  for (const auto& d : c.deletes) {
    if (auto it = by_name.find(d.name); it != by_name.end()) {
      rt_.logger.debug("event=VersionDeleting key={} version={} reason=\"{}\"", plan.key,
                       d.name, d.reason);
      addDelete(*it->second, existing, applied, plan);
    }
  }
  std::vector<core::AppendRecord> syncs;
  for (const auto& s : c.syncs) {
    if (auto it = by_name.find(s.name); it != by_name.end()) {
      const auto& v = it->second->object;
      syncs.push_back(syncRecord(
          *it->second, s.reason,
          eventId({type::kVersionSyncRequested, v.uid, std::to_string(v.generation),
                   core::syncReasonName(s.reason), "parent", entry.object.uid,
                   std::to_string(entry.object.generation)})));
    }
  }
  const bool updated = !c.updates.empty();
  addAppend(
      [this, syncs = std::move(syncs), applied, updated, key = entry.key.str(),
       uid = entry.object.uid, rv = entry.object.resource_version, cause = entry.event_id] {
        std::vector<core::AppendRecord> records = syncs;
        const ChildrenApplied& fact = applied->fact;
        if (fact.created.empty() && fact.deleted.empty() && syncs.empty() && !updated) {
          return records;
        }
        EnvelopeMeta meta{eventId({type::kChildrenApplied, uid, rv, joined(fact.created),
                                   joined(fact.deleted), std::to_string(syncs.size())}),
                          key, uid, cause, core::unixMillis(rt_.clock.now())};
        records.push_back(toAppendRecord(streams::kFacts, makeEnvelope(fact, std::move(meta))));
        return records;
      },
      plan);
  if (!c.parent_patch.empty()) {
    addPatch(entry.key.kind, entry, c.parent_patch, true, &metrics_.spec_patches, plan);
  }
  if (!c.status_patch.empty()) {
    plan.steps.push_back(ChainStep{
        "patch status " + plan.key, [this, ref = refOf(entry.key), body = c.status_patch,
                                     applied](std::function<void(Status)> done) {
          if (applied->stale) {
            // Retried with backoff, unless the observation that is behind comes first.
            done(core::makeError(core::Errc::Conflict,
                                 "a Version to create already exists (the view is behind): "
                                 "the status waits for the next reconcile"));
            return core::completedHandle();
          }
          return store_.patchStatus(ref, core::PatchType::Merge, body,
                                    statusOf<std::string>(std::move(done), core::Errc::NotFound,
                                                          &metrics_.status_patches));
        }});
  }
}

void ModuleController::addCreate(const std::string& ns, const core::Version& v,
                                 std::shared_ptr<Applied> applied, Plan& plan) {
  plan.steps.push_back(ChainStep{
      "create Version/" + ns + "/" + v.metadata.name,
      [this, ns, name = v.metadata.name, body = core::toJson(v),
       applied](std::function<void(Status)> done) {
        auto on_created = [this, name, applied, done = std::move(done)](
                              core::Result<std::string> r) {
          if (r.ok()) {
            ++metrics_.creates;
            applied->fact.created.push_back(name);
          } else if (r.error().code == core::Errc::Conflict) {
            applied->stale = true;  // AlreadyExists: fine, our view is behind
          }
          done(r.ok() || applied->stale ? Status() : Status(r.error()));
        };
        return store_.create(std::string(core::kKindVersion), ns, body, std::move(on_created));
      }});
}

void ModuleController::addDelete(const events::ResourceEntry& victim,
                                 const std::vector<core::Version>& existing,
                                 std::shared_ptr<Applied> applied, Plan& plan) {
  auto removed = std::make_shared<bool>(false);
  plan.steps.push_back(ChainStep{
      "delete " + victim.key.str(),
      [this, ref = refOf(victim.key), uid = victim.object.uid, removed,
       applied](std::function<void(Status)> done) {
        return store_.remove(
            ref, core::DeletePreconditions{uid, std::nullopt},
            [this, done = std::move(done), removed, applied, name = ref.name](Status st) {
              // 404: already gone, which is what was wanted.
              *removed = st.ok() || st.error().code == core::Errc::NotFound;
              if (st.ok()) {
                ++metrics_.deletes;
                applied->fact.deleted.push_back(name);
              }
              done(*removed ? Status() : st);
            });
      }});
  for (const auto& v : existing) {
    if (v.metadata.name == victim.key.name) {
      addArtifactDeletion(v, removed, plan);
    }
  }
}

void ModuleController::planVersion(const events::ResourceEntry& entry, Plan& plan) {
  auto version = observedVersion(entry);
  if (!version.ok()) {
    ++metrics_.undecodable;
    rt_.logger.warn("event=VersionUndecodable key={} error=\"{}\"", plan.key,
                    version.error().describe());
    return;
  }
  const core::Version& v = *version;
  if (v.metadata.deletion_timestamp) {
    planFinalizer(entry, v, plan);
    return;
  }
  const core::SyncHistory history = ledger_.history(plan.key, v);
  core::VersionDecision d = core::planVersion(v, history, rt_.clock.now(), rt_.random);
  if (d.terminal_message) {
    return;  // the StatusWriter writes the terminal status
  }
  if (!d.spec_patch.empty()) {
    addPatch(std::string(core::kKindVersion), entry, d.spec_patch, true, &metrics_.spec_patches,
             plan);
    return;  // the sync follows once the fileName is observed in the spec
  }
  const int64_t generation = v.metadata.generation;
  if (d.sync == core::SyncReason::Retry && history.next_attempt_at_ms &&
      core::unixMillis(rt_.clock.now()) <
          *history.next_attempt_at_ms + config_.retry_grace.count()) {
    return;  // the worker's own retry is due first
  }
  if (d.sync) {
    const int64_t attempt = ledger_.nextAttempt(plan.key, generation);
    addAppend([record = syncRecord(entry, *d.sync, syncRequestId(v.metadata.uid, generation,
                                                                 *d.sync, attempt))] {
      return std::vector<core::AppendRecord>{record};
    }, plan);
    return;
  }
  // A forced sync of this generation is done: reset the flag (controller.h, SyncLedger).
  if (v.spec.force_sync && !history.pending_generation &&
      history.last_outcome == core::SyncOutcome::Synced &&
      history.result_generation.value_or(0) >= generation) {
    addPatch(std::string(core::kKindVersion), entry, core::forceSyncResetPatch(), true,
             &metrics_.spec_patches, plan);
  }
}

void ModuleController::planFinalizer(const events::ResourceEntry& entry,
                                     const core::Version& version, Plan& plan) {
  // Observations carry no finalizers: read them once, when the Version is being deleted.
  struct Seen {
    bool ours = false;
    std::vector<std::string> rest;
    std::string resource_version;
  };
  auto seen = std::make_shared<Seen>();
  const core::ResourceRef ref = refOf(entry.key);
  plan.steps.push_back(ChainStep{"get " + plan.key, [this, ref, seen](
                                                        std::function<void(Status)> done) {
    return store_.get(ref, [done = std::move(done), seen](core::Result<std::string> r) {
      if (!r.ok()) {
        done(r.error().code == core::Errc::NotFound ? Status() : Status(r.error()));
        return;
      }
      auto decoded = core::decodeVersion(*r);
      if (!decoded.ok()) {
        done(decoded.error());
        return;
      }
      const auto& meta = decoded->resource.metadata;
      seen->resource_version = meta.resource_version;
      for (const auto& f : meta.finalizers) {
        if (f == core::kFinalizer) {
          seen->ours = true;
        } else {
          seen->rest.push_back(f);
        }
      }
      done(Status());
    });
  }});
  auto ours = std::make_shared<bool>(false);
  plan.steps.push_back(ChainStep{"check finalizer", [seen, ours](std::function<void(Status)> done) {
                                   *ours = seen->ours;
                                   done(Status());
                                   return core::completedHandle();
                                 }});
  addArtifactDeletion(version, ours, plan);
  plan.steps.push_back(ChainStep{
      "remove finalizer " + plan.key, [this, ref, seen](std::function<void(Status)> done) {
        if (!seen->ours) {
          done(Status());
          return core::completedHandle();
        }
        core::JsonWriter w;
        w.beginObject().key("metadata").beginObject().key("finalizers").beginArray();
        for (const auto& f : seen->rest) {
          w.value(f);
        }
        w.endArray().member("resourceVersion", seen->resource_version).endObject();
        return store_.patch(ref, core::PatchType::Merge, w.endObject().take(),
                            statusOf<std::string>(std::move(done), core::Errc::NotFound,
                                                  &metrics_.spec_patches));
      }});
}

void ModuleController::addArtifactDeletion(const core::Version& version,
                                           std::shared_ptr<bool> when, Plan& plan) {
  if (objects_ == nullptr || !version.spec.file_name) {
    return;
  }
  auto key = core::artifactKey(version.spec, config_.storage_root);
  if (!key.ok()) {
    rt_.logger.warn("event=ArtifactKeyUnknown version={}/{} error=\"{}\"",
                    version.metadata.namespace_, version.metadata.name, key.error().describe());
    return;
  }
  plan.steps.push_back(ChainStep{
      "delete artifact " + *key,
      [this, key = *key, when = std::move(when)](std::function<void(Status)> done) {
        if (!*when) {
          done(Status());  // the Version was not deleted: its artifact stays
          return core::completedHandle();
        }
        return objects_->remove(key, [this, done = std::move(done)](Status st) {
          metrics_.artifacts_deleted += st.ok() ? 1 : 0;
          done(std::move(st));
        });
      }});
}

void ModuleController::addAppend(std::function<std::vector<core::AppendRecord>()> records,
                                 Plan& plan) {
  plan.steps.push_back(ChainStep{
      "append for " + plan.key,
      [this, records = std::move(records)](std::function<void(Status)> done) {
        std::vector<core::AppendRecord> batch = records();
        if (batch.empty()) {
          done(Status());
          return core::completedHandle();
        }
        std::vector<bool> is_sync;
        for (const auto& r : batch) {
          is_sync.push_back(r.stream == streams::kWork);
        }
        return rt_.log.append(
            std::move(batch), [this, done = std::move(done), is_sync](
                                  core::Result<std::vector<core::AppendResult>> r) {
              if (!r.ok()) {
                done(r.error());
                return;
              }
              for (size_t i = 0; i < r->size() && i < is_sync.size(); ++i) {
                if ((*r)[i].duplicate) {
                  ++metrics_.duplicates;
                } else {
                  ++(is_sync[i] ? metrics_.sync_requests : metrics_.children_applied);
                }
              }
              done(Status());
            });
      }});
}

void ModuleController::addPatch(const std::string& kind, const events::ResourceEntry& entry,
                                std::string patch, bool precondition, uint64_t* counter,
                                Plan& plan) {
  std::string body = std::move(patch);
  if (precondition) {
    auto with = withResourceVersion(body, entry.object.resource_version);
    if (!with.ok()) {
      ++metrics_.write_errors;
      rt_.logger.warn("event=PatchInvalid key={} error=\"{}\"", entry.key.str(),
                      with.error().describe());
      return;
    }
    body = std::move(with).value();
  }
  core::ResourceRef ref{kind, entry.key.name_space, entry.key.name};
  plan.steps.push_back(ChainStep{
      "patch " + entry.key.str(),
      [this, ref = std::move(ref), body = std::move(body), counter](
          std::function<void(Status)> done) {
        // 404: the object is gone, nothing left to change.
        return store_.patch(ref, core::PatchType::Merge, body,
                            statusOf<std::string>(std::move(done), core::Errc::NotFound, counter));
      }});
}

}  // namespace od::events
