#include "core/reconcile/provider_plan.h"

#include <set>
#include <utility>

#include "core/names.h"
#include "core/reconcile/merge_patch.h"

namespace od::core {
namespace {

std::optional<std::string> providerSpecProblem(const Provider& provider) {
  if (!provider.spec.provider_config) {
    return "spec.providerConfig is required";
  }
  if (provider.spec.provider_config->operating_systems.empty()) {
    return "spec.providerConfig.operatingSystems must list at least one operating system";
  }
  if (provider.spec.provider_config->architectures.empty()) {
    return "spec.providerConfig.architectures must list at least one architecture";
  }
  const std::string base = providerBaseName(provider);
  if (auto problem = labelValueProblem(base)) {
    return "provider name \"" + base + "\" cannot be a label value: " + *problem;
  }
  return std::nullopt;
}

// The targets whose version parses; every version that does not is reported once.
std::vector<ProviderTarget> validTargets(const Provider& provider,
                                         std::vector<std::string>* problems) {
  std::set<std::string> bad;
  for (const auto& v : provider.spec.versions) {
    auto parsed = SemVer::parse(sanitizeProviderVersion(v.version));
    if (!parsed.ok() && bad.insert(v.version).second) {
      problems->push_back(parsed.error().message);
    }
  }
  std::vector<ProviderTarget> targets;
  for (auto& t : providerTargets(provider)) {
    if (bad.count(t.version) == 0) {
      targets.push_back(std::move(t));
    }
  }
  return targets;
}

std::vector<ChildEntry> providerEntries(const Provider& provider,
                                        std::vector<std::string>* problems) {
  const std::vector<ProviderTarget> targets = validTargets(provider, problems);
  VersionNamePlan names = planProviderVersionNames(providerBaseName(provider), targets);
  problems->insert(problems->end(), names.problems.begin(), names.problems.end());
  std::vector<ChildEntry> entries;
  std::set<std::string> seen;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!names.names[i] || !seen.insert(*names.names[i]).second) {
      continue;
    }
    const ProviderTarget& t = targets[i];
    auto semver = SemVer::parse(sanitizeProviderVersion(t.version));
    if (!semver.ok()) {
      continue;  // reported by validTargets
    }
    ChildEntry e;
    e.name = *names.names[i];
    e.version_text = sanitizeProviderVersion(t.version);
    e.ref_key = e.version_text + "-" + t.os + "-" + t.arch;
    e.os = t.os;
    e.arch = t.arch;
    e.semver = std::move(semver).value();
    e.labels[std::string(kLabelProviderOs)] = t.os;
    e.labels[std::string(kLabelProviderArch)] = t.arch;
    entries.push_back(std::move(e));
  }
  return entries;
}

// What a Version needs of its Provider's config: where to fetch (name, namespace), where to
// store (storageConfig), and what the source scan reads (sourceRepository,
// githubClientConfig). The OS and architecture lists, the history limit and the constraints
// are the parent's business: a Version's own platform is spec.operatingSystem/architecture,
// so removing another OS, or changing the limit, leaves the remaining Versions' specs (and
// their generations) untouched.
ProviderConfig versionProviderConfig(const Provider& provider) {
  ProviderConfig config = *provider.spec.provider_config;
  config.name = providerBaseName(provider);
  config.namespace_ = providerRegistryNamespace(config);
  config.operating_systems.clear();
  config.architectures.clear();
  config.version_history_limit.reset();
  config.version_constraints.clear();
  return config;
}

ChildTemplate providerTemplate(const Provider& provider) {
  ChildTemplate t;
  t.owner = controllerRef(kKindProvider, provider.metadata);
  t.namespace_ = provider.metadata.namespace_;
  t.labels[std::string(kLabelProvider)] = providerBaseName(provider);
  t.labels[std::string(kLabelNamespace)] = provider.metadata.namespace_;
  t.extension = "zip";
  t.history_limit = provider.spec.provider_config->version_history_limit;
  t.base_spec.type = std::string(kVersionTypeProvider);
  t.base_spec.provider_config_ref = versionProviderConfig(provider);
  t.force_sync = provider.spec.force_sync;
  return t;
}

void applySummary(ProviderStatus& status, SyncSummary summary, int64_t generation) {
  status.synced = summary.synced;
  status.sync_status = std::move(summary.sync_status);
  status.conditions = std::move(summary.conditions);
  status.observed_generation = generation;
}

}  // namespace

std::string providerRegistryNamespace(const ProviderConfig& config) {
  std::string_view ns = config.namespace_ ? std::string_view(*config.namespace_) : "";
  while (!ns.empty() && (ns.front() == ' ' || ns.front() == '\t')) {
    ns.remove_prefix(1);
  }
  while (!ns.empty() && (ns.back() == ' ' || ns.back() == '\t')) {
    ns.remove_suffix(1);
  }
  return ns.empty() ? std::string(kDefaultProviderNamespace) : std::string(ns);
}

ProviderPlan planProvider(const Provider& provider, const std::vector<Version>& existing,
                          Clock::TimePoint now, Random& random) {
  ProviderPlan plan;
  plan.status = provider.status;
  const int64_t generation = provider.metadata.generation;
  const std::string now_text = formatRfc3339(now);
  if (auto problem = providerSpecProblem(provider)) {
    applySummary(plan.status, specErrorSummary(*problem, generation), generation);
    plan.children.problems.push_back(*problem);
    plan.children.status_patch = providerStatusPatch(provider, plan.status, now_text);
    return plan;
  }
  std::vector<std::string> problems;
  const std::vector<ChildEntry> entries = providerEntries(provider, &problems);
  const ChildTemplate tmpl = providerTemplate(provider);
  ChildrenOutcome outcome = planChildren(tmpl, entries, existing, now, random);
  problems.insert(problems.end(), outcome.plan.problems.begin(), outcome.plan.problems.end());
  outcome.plan.problems = std::move(problems);
  plan.status.latest_version = outcome.plan.latest_version;
  plan.status.provider_version_refs.clear();
  for (const auto& child : outcome.children) {
    ProviderVersion ref;
    ref.name = child.name;
    ref.version = child.entry.version_text;
    ref.operating_system = child.entry.os;
    ref.architecture = child.entry.arch;
    plan.status.provider_version_refs[child.entry.ref_key] = std::move(ref);
  }
  applySummary(plan.status,
               summarizeChildren(outcome, "provider", generation, tmpl.history_limit),
               generation);
  if (provider.spec.force_sync) {
    outcome.plan.parent_patch = forceSyncResetPatch();
  }
  plan.children = std::move(outcome.plan);
  plan.children.status_patch = providerStatusPatch(provider, plan.status, now_text);
  return plan;
}

}  // namespace od::core
