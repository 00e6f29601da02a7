#include "core/reconcile/children.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/names.h"
#include "core/reconcile/merge_patch.h"
#include "core/uuid.h"

namespace od::core {
namespace {

// Identity of a version on one platform, independent of how it was written.
struct VersionKey {
  std::string canonical;
  std::string os;
  std::string arch;
  auto operator<=>(const VersionKey&) const = default;
};

std::optional<std::string> canonicalOf(std::string_view text) {
  auto parsed = SemVer::parse(text);
  if (!parsed.ok()) {
    return std::nullopt;
  }
  return parsed->canonical();
}

bool controlledBy(const Version& v, const OwnerReference& owner) {
  for (const auto& ref : v.metadata.owner_references) {
    if (ref.controller.value_or(false) && ref.kind == owner.kind && ref.name == owner.name &&
        (ref.uid.empty() || owner.uid.empty() || ref.uid == owner.uid)) {
      return true;
    }
  }
  return false;
}

// The canonical versions kept by the history limit: the N highest; all when N <= 0 or unset.
std::set<std::string> keptVersions(const std::vector<ChildEntry>& entries,
                                   std::optional<int64_t> limit) {
  std::vector<const SemVer*> distinct;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    if (seen.insert(e.semver.canonical()).second) {
      distinct.push_back(&e.semver);
    }
  }
  std::stable_sort(distinct.begin(), distinct.end(), [](const SemVer* a, const SemVer* b) {
    const int c = a->compare(*b);
    return c != 0 ? c > 0 : a->canonical() < b->canonical();
  });
  const size_t n = (limit && *limit > 0) ? static_cast<size_t>(*limit) : distinct.size();
  std::set<std::string> kept;
  for (size_t i = 0; i < distinct.size() && i < n; ++i) {
    kept.insert(distinct[i]->canonical());
  }
  return kept;
}

std::string newFileName(const std::string& extension, Clock::TimePoint now, Random& random) {
  const uint64_t hi = random.next();
  const uint64_t lo = random.next();
  return artifactFileName(Uuid::v7At(unixMillis(now), hi, lo), extension);
}

// The Version `entry` should be, starting from `base` (the existing one, or a fresh object).
Version desiredVersion(const ChildTemplate& tmpl, const ChildEntry& entry, Version base) {
  for (const auto& [k, v] : tmpl.labels) {
    base.metadata.labels[k] = v;
  }
  for (const auto& [k, v] : entry.labels) {
    base.metadata.labels[k] = v;
  }
  VersionSpec spec = tmpl.base_spec;
  spec.version = entry.version_text;
  if (canonicalOf(base.spec.version) == entry.semver.canonical()) {
    spec.version = base.spec.version;  // same version, written differently: keep it
  }
  spec.operating_system = entry.os;
  spec.architecture = entry.arch;
  spec.file_name = base.spec.file_name;
  spec.force_sync = base.spec.force_sync;
  base.spec = std::move(spec);
  return base;
}

struct Matcher {
  const std::vector<Version>& existing;
  std::vector<bool> claimed;
  std::map<std::string, size_t> by_name;
  std::map<VersionKey, size_t> by_key;  // controlled, live, parseable
};

Matcher indexExisting(const std::vector<Version>& existing, const OwnerReference& owner) {
  Matcher m{existing, std::vector<bool>(existing.size(), false), {}, {}};
  for (size_t i = 0; i < existing.size(); ++i) {
    const Version& v = existing[i];
    m.by_name.emplace(v.metadata.name, i);
    auto canonical = canonicalOf(v.spec.version);
    if (canonical && controlledBy(v, owner) && !v.metadata.deletion_timestamp) {
      m.by_key.emplace(VersionKey{*canonical, v.spec.operating_system, v.spec.architecture}, i);
    }
  }
  return m;
}

// Index into existing for each entry (by name first for all, then by version), or npos.
std::vector<size_t> matchEntries(Matcher& m, const std::vector<const ChildEntry*>& kept) {
  std::vector<size_t> match(kept.size(), std::string::npos);
  for (size_t i = 0; i < kept.size(); ++i) {
    auto it = m.by_name.find(kept[i]->name);
    if (it != m.by_name.end()) {
      match[i] = it->second;
      m.claimed[it->second] = true;
    }
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    if (match[i] != std::string::npos) {
      continue;
    }
    auto it = m.by_key.find(VersionKey{kept[i]->semver.canonical(), kept[i]->os, kept[i]->arch});
    if (it != m.by_key.end() && !m.claimed[it->second]) {
      match[i] = it->second;
      m.claimed[it->second] = true;
    }
  }
  return match;
}

Version freshVersion(const ChildTemplate& tmpl, const ChildEntry& entry, Clock::TimePoint now,
                     Random& random) {
  Version v;
  v.metadata.name = entry.name;
  v.metadata.namespace_ = tmpl.namespace_;
  v.metadata.owner_references.push_back(tmpl.owner);
  v.metadata.finalizers.emplace_back(kFinalizer);
  v = desiredVersion(tmpl, entry, std::move(v));
  v.spec.file_name = newFileName(tmpl.extension, now, random);
  return v;
}

// Decides one kept entry against its match (npos: none).
ResolvedChild resolveEntry(const ChildTemplate& tmpl, const ChildEntry& entry,
                           const Version* found, ChildrenOutcome& out, Clock::TimePoint now,
                           Random& random) {
  ResolvedChild child{entry, entry.name, "", false};
  if (found == nullptr) {
    Version v = freshVersion(tmpl, entry, now, random);
    child.file_name = v.spec.file_name.value_or("");
    out.plan.creates.push_back(std::move(v));
    return child;
  }
  child.name = found->metadata.name;
  child.file_name = found->spec.file_name.value_or("");
  if (!controlledBy(*found, tmpl.owner)) {
    out.plan.problems.push_back("Version \"" + found->metadata.name + "\" exists but is not " +
                                "controlled by " + tmpl.owner.kind + " \"" + tmpl.owner.name +
                                "\"; it is left alone");
    return child;
  }
  if (found->metadata.deletion_timestamp) {
    return child;  // recreated by a later reconcile, once it is gone
  }
  Version desired = desiredVersion(tmpl, entry, *found);
  if (!desired.spec.file_name) {
    desired.spec.file_name = newFileName(tmpl.extension, now, random);
    child.file_name = *desired.spec.file_name;
  }
  std::string patch = versionPatch(*found, desired);
  if (!patch.empty()) {
    out.plan.updates.push_back(VersionPatch{found->metadata.name, std::move(patch)});
  }
  child.synced = desired.spec == found->spec && found->status.synced &&
                 found->status.checksum.has_value();
  if (tmpl.force_sync) {
    out.plan.syncs.push_back(VersionSyncRequest{found->metadata.name, SyncReason::ForceSync});
  }
  return child;
}

void collectGarbage(const ChildTemplate& tmpl, const Matcher& m,
                    const std::set<std::string>& pruned_canonicals, ChildrenPlan& plan) {
  for (size_t i = 0; i < m.existing.size(); ++i) {
    const Version& v = m.existing[i];
    if (m.claimed[i] || !controlledBy(v, tmpl.owner) || v.metadata.deletion_timestamp) {
      continue;
    }
    auto canonical = canonicalOf(v.spec.version);
    std::string reason = "removed from spec.versions";
    if (canonical && pruned_canonicals.count(*canonical) > 0) {
      reason = "pruned by versionHistoryLimit=" + std::to_string(tmpl.history_limit.value_or(0));
    }
    plan.deletes.push_back(VersionDeletion{v.metadata.name, v.spec.version, std::move(reason)});
  }
}

}  // namespace

OwnerReference controllerRef(std::string_view kind, const ObjectMeta& parent) {
  return OwnerReference{std::string(kApiVersion), std::string(kind), parent.name, parent.uid,
                        true, true};
}

ChildrenOutcome planChildren(const ChildTemplate& tmpl, const std::vector<ChildEntry>& entries,
                             const std::vector<Version>& existing, Clock::TimePoint now,
                             Random& random) {
  ChildrenOutcome out;
  const std::set<std::string> kept_versions = keptVersions(entries, tmpl.history_limit);
  std::vector<const ChildEntry*> kept;
  std::set<std::string> pruned_canonicals;
  for (const auto& e : entries) {
    const std::string canonical = e.semver.canonical();
    if (kept_versions.count(canonical) > 0) {
      kept.push_back(&e);
    } else if (pruned_canonicals.insert(canonical).second) {
      out.plan.pruned.push_back(e.version_text);
    }
  }
  Matcher matcher = indexExisting(existing, tmpl.owner);
  const std::vector<size_t> match = matchEntries(matcher, kept);
  const SemVer* latest = nullptr;
  for (size_t i = 0; i < kept.size(); ++i) {
    const Version* found = match[i] == std::string::npos ? nullptr : &existing[match[i]];
    out.children.push_back(resolveEntry(tmpl, *kept[i], found, out, now, random));
    if (latest == nullptr || kept[i]->semver.compare(*latest) > 0) {
      latest = &kept[i]->semver;
    }
  }
  if (latest != nullptr) {
    out.plan.latest_version = latest->semverCanonical();
  }
  collectGarbage(tmpl, matcher, pruned_canonicals, out.plan);
  return out;
}

namespace {

// "a, b, c" with at most `max` items, then "and N more".
std::string listSome(const std::vector<std::string>& items, size_t max = 10) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) {
    out.append(i == 0 ? "" : ", ").append(items[i]);
  }
  if (items.size() > max) {
    out.append(" and ").append(std::to_string(items.size() - max)).append(" more");
  }
  return out;
}

Condition makeCondition(std::string type, bool ok, std::string reason, std::string message,
                        int64_t generation) {
  Condition c;
  c.type = std::move(type);
  c.status = ok ? "True" : "False";
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

}  // namespace

SyncSummary summarizeChildren(const ChildrenOutcome& outcome, std::string_view kind_word,
                              int64_t generation, std::optional<int64_t> history_limit) {
  const auto& children = outcome.children;
  std::vector<std::string> waiting;
  for (const auto& c : children) {
    if (!c.synced) {
      waiting.push_back(c.entry.ref_key);
    }
  }
  const std::vector<std::string>& problems = outcome.plan.problems;
  const size_t total = children.size();
  const std::string counts = std::to_string(total - waiting.size()) + " of " +
                             std::to_string(total) + " versions synced";
  SyncSummary s;
  s.synced = waiting.empty() && (total > 0 || problems.empty());
  std::string synced_reason = total == 0 ? "NoVersions" : "AllVersionsSynced";
  std::string synced_message = total == 0 ? "no versions to sync" : counts;
  if (!waiting.empty()) {
    synced_reason = "VersionsPending";
    synced_message = counts + "; waiting for " + listSome(waiting);
  } else if (!s.synced) {
    synced_reason = "NoValidVersions";
  }
  s.sync_status = s.synced ? (total == 0 ? std::string("No versions to sync")
                                         : "Successfully synced " + std::string(kind_word))
                           : synced_message;
  std::string ready_message = synced_message;
  if (!problems.empty()) {
    ready_message += "; " + std::to_string(problems.size()) + " problem(s): " + listSome(problems);
    s.sync_status += "; " + listSome(problems);
  }
  if (!outcome.plan.pruned.empty()) {
    ready_message += "; pruned by versionHistoryLimit=" +
                     std::to_string(history_limit.value_or(0)) + ": " +
                     listSome(outcome.plan.pruned);
  }
  const bool ready = s.synced && problems.empty();
  const std::string ready_reason =
      ready ? "Ready" : (!problems.empty() ? "InvalidVersions" : synced_reason);
  s.conditions.push_back(makeCondition("Ready", ready, ready_reason, ready_message, generation));
  s.conditions.push_back(
      makeCondition("Synced", s.synced, synced_reason, synced_message, generation));
  return s;
}

SyncSummary specErrorSummary(const std::string& message, int64_t generation) {
  SyncSummary s;
  s.synced = false;
  s.sync_status = message;
  s.conditions.push_back(makeCondition("Ready", false, "InvalidSpec", message, generation));
  s.conditions.push_back(makeCondition("Synced", false, "InvalidSpec", message, generation));
  return s;
}

}  // namespace od::core
