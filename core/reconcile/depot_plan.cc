#include "core/reconcile/depot_plan.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/constraint.h"
#include "core/names.h"
#include "core/reconcile/merge_patch.h"
#include "core/version.h"

namespace od::core {
namespace {

constexpr size_t kMaxConditionMessage = 8000;

// The merge patch between two renderings of one object; "" when they are equal.
std::string objectPatch(const std::string& from, const std::string& to) {
  if (from == to) {
    return {};
  }
  auto patch = jsonMergePatch(from, to);
  return patch.ok() ? std::move(patch).value() : std::string();
}

ModuleConfig mergeModule(const std::optional<GlobalConfig>& global, ModuleConfig c) {
  if (global) {
    if (!c.storage_config) {
      c.storage_config = global->storage_config;
    }
    if (!c.github_client_config) {
      c.github_client_config = global->github_client_config;
    }
    if (global->module_config) {
      const ModuleConfig& g = *global->module_config;
      if (!c.file_format) {
        c.file_format = g.file_format;
      }
      if (!c.immutable) {
        c.immutable = g.immutable;
      }
      if (!c.version_history_limit) {
        c.version_history_limit = g.version_history_limit;
      }
      if (!c.github_client_config) {
        c.github_client_config = g.github_client_config;
      }
    }
  }
  if (!c.repo_url && c.name && !c.repo_owner.empty()) {
    c.repo_url = "https://github.com/" + c.repo_owner + "/" + *c.name;
  }
  return c;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

void addProblems(const Problems& problems, std::vector<std::string>* out) {
  for (const auto& p : problems.list()) {
    out->push_back(p.path.empty() ? p.message : p.path + ": " + p.message);
  }
}

// Name and constraint problems every entry shares; `seen` holds the names of earlier entries
// of the same kind.
void entryProblems(const std::optional<std::string>& name, const std::string& constraints,
                   const std::string& path, std::set<std::string>& seen,
                   std::vector<std::string>* out) {
  if (name) {
    if (auto why = dns1123SubdomainProblem(*name)) {
      out->push_back(path + ".name: \"" + *name + "\" cannot name a resource: " + *why);
    } else if (!seen.insert(*name).second) {
      out->push_back(path + ".name: \"" + *name + "\" is already used by an earlier entry");
    }
  }
  if (!constraints.empty()) {
    if (auto parsed = Constraints::parse(constraints); !parsed.ok()) {
      out->push_back(path + ".versionConstraints: " + parsed.error().message);
    }
  }
}

std::vector<std::string> wholeDepotProblems(const Depot& depot) {
  Depot shell = depot;  // entries are judged one by one below
  shell.spec.module_configs.clear();
  shell.spec.provider_configs.clear();
  std::vector<std::string> out;
  addProblems(validate(shell), &out);
  return out;
}

const DiscoveredEntry* findDiscovered(const std::optional<std::vector<DiscoveredEntry>>& found,
                                      std::string_view kind, const std::string& name) {
  if (!found) {
    return nullptr;
  }
  for (const auto& e : *found) {
    if (e.kind == kind && e.name == name) {
      return &e;
    }
  }
  return nullptr;
}

// What differs between Modules and Providers for planChild().
template <typename T>
struct ChildKind;
template <>
struct ChildKind<Module> {
  static constexpr std::string_view kKind = kKindModule;
  static const std::map<std::string, Module>& existing(const DepotChildren& c) {
    return c.modules;
  }
  static const std::map<std::string, std::string>& claimed(const DepotChildren& c) {
    return c.claimed_modules;
  }
  static void setSpec(Module& m, const ModuleConfig& config, const std::vector<std::string>& kept) {
    m.spec.module_config = config;
    m.spec.versions.clear();
    for (const auto& v : kept) {
      ModuleVersion item;
      item.version = v;
      m.spec.versions.push_back(std::move(item));
    }
  }
};
template <>
struct ChildKind<Provider> {
  static constexpr std::string_view kKind = kKindProvider;
  static const std::map<std::string, Provider>& existing(const DepotChildren& c) {
    return c.providers;
  }
  static const std::map<std::string, std::string>& claimed(const DepotChildren& c) {
    return c.claimed_providers;
  }
  static void setSpec(Provider& p, const ProviderConfig& config,
                      const std::vector<std::string>& kept) {
    p.spec.provider_config = config;
    p.spec.versions.clear();
    for (const auto& v : kept) {
      ProviderVersion item;
      item.version = v;
      p.spec.versions.push_back(std::move(item));
    }
  }
};

struct EntryContext {
  const Depot& depot;
  const std::optional<std::vector<DiscoveredEntry>>& discovered;
  const DepotChildren& existing;
  DepotPlan& plan;
};

// The poll's answer for an entry when it can be applied; nullptr when not (the reason is
// added to the plan, except while the first poll is outstanding).
const DiscoveredEntry* usableAnswer(const EntryContext& ctx, std::string_view kind,
                                    const std::string& name, const std::string& what,
                                    bool exists) {
  if (!ctx.discovered) {
    return nullptr;
  }
  const DiscoveredEntry* found = findDiscovered(ctx.discovered, kind, name);
  if (found == nullptr) {
    ctx.plan.problems.push_back(what + ": not polled yet");
  } else if (found->error) {
    ctx.plan.problems.push_back(what + ": " + *found->error + " (left as it was)");
  } else if (found->kept.empty()) {
    ctx.plan.problems.push_back(what + ": no upstream version satisfies versionConstraints" +
                                (exists ? " (left as it was)" : ""));
  } else {
    return found;
  }
  return nullptr;
}

// One valid entry: create or patch its child, list it, or say why it is left as it is.
template <typename T, typename Config>
void planChild(const EntryContext& ctx, const std::string& name, const Config& config,
               std::vector<std::string>& listed) {
  using K = ChildKind<T>;
  const std::string what = std::string(K::kKind) + " " + name;
  if (auto claim = K::claimed(ctx.existing).find(name); claim != K::claimed(ctx.existing).end()) {
    ctx.plan.problems.push_back(what + ": Depot " + claim->second +
                                " manages it already (left to that Depot)");
    return;
  }
  const auto& existing = K::existing(ctx.existing);
  auto it = existing.find(name);
  const T* current = it == existing.end() ? nullptr : &it->second;
  if (current != nullptr) {
    listed.push_back(name);
  }
  const DiscoveredEntry* found = usableAnswer(ctx, K::kKind, name, what, current != nullptr);
  if (found == nullptr) {
    return;
  }
  if (current == nullptr) {
    T child;
    child.metadata.name = name;
    child.metadata.namespace_ = ctx.depot.metadata.namespace_;
    K::setSpec(child, config, found->kept);
    ctx.plan.creates.push_back(ChildCreate{std::string(K::kKind), name, toJson(child)});
    listed.push_back(name);
    return;
  }
  if (current->metadata.deletion_timestamp) {
    ctx.plan.problems.push_back(what + ": being deleted; created again once it is gone");
    return;
  }
  T next = *current;
  K::setSpec(next, config, found->kept);
  std::string patch = objectPatch(toJson(*current), toJson(next));
  if (!patch.empty()) {
    ctx.plan.patches.push_back(ChildPatch{std::string(K::kKind), name, std::move(patch)});
  }
}

Condition condition(std::string type, std::string status, std::string reason,
                    std::string message, int64_t generation) {
  Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.observed_generation = generation;
  return c;
}

std::vector<Condition> depotConditions(const DepotPlan& plan, bool polled, bool whole_ok,
                                       int64_t generation) {
  std::string status = "True";
  std::string reason = "Discovered";
  std::string message = std::to_string(plan.status.modules.size()) + " Modules and " +
                        std::to_string(plan.status.providers.size()) +
                        " Providers in step with upstream";
  if (!whole_ok) {
    status = "False";
    reason = "InvalidSpec";
  } else if (!plan.problems.empty()) {
    status = "False";
    reason = "EntriesFailed";
  } else if (!polled) {
    status = "Unknown";
    reason = "Polling";
    message = "waiting for the first poll of the upstream releases";
  }
  if (!plan.problems.empty()) {
    message.clear();
    for (const auto& p : plan.problems) {
      message += (message.empty() ? "" : "; ") + p;
    }
    if (message.size() > kMaxConditionMessage) {
      message.resize(kMaxConditionMessage - 3);
      message += "...";
    }
  }
  return {condition("Ready", status, reason, message, generation),
          condition("Synced", status, reason, std::move(message), generation)};
}

}  // namespace

Result<VersionSelection> selectVersions(std::string_view constraints,
                                        const std::vector<std::string>& upstream,
                                        std::optional<int64_t> history_limit) {
  auto parsed = Constraints::parse(constraints);
  if (!parsed.ok()) {
    return makeError(Errc::Invalid, "versionConstraints: " + parsed.error().message);
  }
  VersionSelection out;
  out.found = upstream.size();
  std::vector<SemVer> kept;
  std::set<std::string> seen;
  for (const auto& text : upstream) {
    auto v = SemVer::parse(text);
    if (v.ok() && parsed->check(*v) && seen.insert(v->canonical()).second) {
      kept.push_back(std::move(v).value());
    }
  }
  // Highest first; equal precedence (metadata only differs) by text, so the order is stable
  // whatever order upstream lists them in.
  std::sort(kept.begin(), kept.end(), [](const SemVer& a, const SemVer& b) {
    const int c = a.compare(b);
    return c != 0 ? c > 0 : a.canonical() < b.canonical();
  });
  if (history_limit && *history_limit > 0 && kept.size() > static_cast<size_t>(*history_limit)) {
    kept.resize(static_cast<size_t>(*history_limit));
  }
  for (const auto& v : kept) {
    out.kept.push_back(v.canonical());
  }
  return out;
}

DepotEntries depotEntries(const Depot& depot) {
  DepotEntries out;
  out.problems = wholeDepotProblems(depot);
  std::set<std::string> seen;
  for (size_t i = 0; i < depot.spec.module_configs.size(); ++i) {
    const std::string path = indexPath("spec.moduleConfigs", i);
    DepotModuleEntry e;
    e.config = mergeModule(depot.spec.global, depot.spec.module_configs[i]);
    Problems p;
    validateModuleConfig(e.config, path,
                         ModuleConfigRules{.require_file_format = true,
                                           .require_name = true,
                                           .require_repo_owner = true,
                                           .require_constraints = true},
                         &p);
    addProblems(p, &e.problems);
    entryProblems(e.config.name, e.config.version_constraints, path, seen, &e.problems);
    out.modules.push_back(std::move(e));
  }
  seen.clear();
  for (size_t i = 0; i < depot.spec.provider_configs.size(); ++i) {
    const std::string path = indexPath("spec.providerConfigs", i);
    DepotProviderEntry e;
    e.config = depot.spec.provider_configs[i];
    if (!e.config.storage_config && depot.spec.global) {
      e.config.storage_config = depot.spec.global->storage_config;
    }
    const std::string ns = trimmed(e.config.namespace_.value_or(""));
    e.upstream_namespace = ns.empty() ? "hashicorp" : ns;
    Problems p;
    validateProviderConfig(e.config, path,
                           ProviderConfigRules{.require_platforms = true,
                                               .require_name = true,
                                               .require_constraints = true},
                           &p);
    addProblems(p, &e.problems);
    entryProblems(e.config.name, e.config.version_constraints, path, seen, &e.problems);
    out.providers.push_back(std::move(e));
  }
  return out;
}

DepotPlan planDepot(const Depot& depot,
                    const std::optional<std::vector<DiscoveredEntry>>& discovered,
                    const DepotChildren& existing, Clock::TimePoint now) {
  DepotPlan plan;
  DepotEntries entries = depotEntries(depot);
  plan.problems = entries.problems;
  const bool whole_ok = entries.problems.empty();
  EntryContext ctx{depot, discovered, existing, plan};
  for (const auto& e : whole_ok ? entries.modules : std::vector<DepotModuleEntry>{}) {
    if (!e.problems.empty()) {
      plan.problems.insert(plan.problems.end(), e.problems.begin(), e.problems.end());
      continue;
    }
    planChild<Module>(ctx, *e.config.name, e.config, plan.status.modules);
  }
  for (const auto& e : whole_ok ? entries.providers : std::vector<DepotProviderEntry>{}) {
    if (!e.problems.empty()) {
      plan.problems.insert(plan.problems.end(), e.problems.begin(), e.problems.end());
      continue;
    }
    planChild<Provider>(ctx, *e.config.name, e.config, plan.status.providers);
  }
  const int64_t generation = depot.metadata.generation;
  plan.status.observed_generation = generation;
  plan.status.conditions = depotConditions(plan, discovered.has_value(), whole_ok, generation);
  plan.status_patch = depotStatusPatch(depot, plan.status, formatRfc3339(now));
  return plan;
}

std::string depotStatusPatch(const Depot& current, DepotStatus desired, std::string_view now) {
  desired.conditions = carryTransitionTimes(current.status.conditions,
                                            std::move(desired.conditions), now);
  Depot next = current;
  next.status = std::move(desired);
  return objectPatch(toJson(current), toJson(next));
}

}  // namespace od::core
