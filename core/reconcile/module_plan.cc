#include "core/reconcile/module_plan.h"

#include <set>
#include <utility>

#include "core/names.h"
#include "core/reconcile/merge_patch.h"

namespace od::core {
namespace {

std::optional<std::string> moduleSpecProblem(const Module& module) {
  if (!module.spec.module_config) {
    return "spec.moduleConfig is required";
  }
  const auto& format = module.spec.module_config->file_format;
  if (!format || (*format != "zip" && *format != "tar")) {
    return std::string("spec.moduleConfig.fileFormat must be zip or tar");
  }
  const std::string base = moduleBaseName(module);
  if (auto problem = labelValueProblem(base)) {
    return "module name \"" + base + "\" cannot be a label value: " + *problem;
  }
  return std::nullopt;
}

std::vector<ChildEntry> moduleEntries(const Module& module, std::vector<std::string>* problems) {
  std::vector<std::string> texts;
  for (const auto& v : module.spec.versions) {
    texts.push_back(v.version);
  }
  VersionNamePlan names = planModuleVersionNames(moduleBaseName(module), texts);
  *problems = std::move(names.problems);
  std::vector<ChildEntry> entries;
  std::set<std::string> seen;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!names.names[i] || !seen.insert(*names.names[i]).second) {
      continue;
    }
    auto semver = SemVer::parse(texts[i]);
    if (!semver.ok()) {
      problems->push_back(semver.error().message);
      continue;
    }
    entries.push_back(ChildEntry{*names.names[i], texts[i], texts[i], "", "", *semver, {}});
  }
  return entries;
}

ChildTemplate moduleTemplate(const Module& module) {
  ChildTemplate t;
  t.owner = controllerRef(kKindModule, module.metadata);
  t.namespace_ = module.metadata.namespace_;
  t.labels[std::string(kLabelModule)] = moduleBaseName(module);
  t.labels[std::string(kLabelNamespace)] = module.metadata.namespace_;
  ModuleConfig config = *module.spec.module_config;
  config.name = moduleBaseName(module);
  t.extension = config.file_format == "zip" ? "zip" : "tar.gz";
  t.history_limit = config.version_history_limit;
  t.base_spec.type = std::string(kVersionTypeModule);
  t.base_spec.module_config_ref = std::move(config);
  t.force_sync = module.spec.force_sync;
  return t;
}

void applySummary(ModuleStatus& status, SyncSummary summary, int64_t generation) {
  status.synced = summary.synced;
  status.sync_status = std::move(summary.sync_status);
  status.conditions = std::move(summary.conditions);
  status.observed_generation = generation;
}

}  // namespace

ModulePlan planModule(const Module& module, const std::vector<Version>& existing,
                      Clock::TimePoint now, Random& random) {
  ModulePlan plan;
  plan.status = module.status;
  const int64_t generation = module.metadata.generation;
  const std::string now_text = formatRfc3339(now);
  if (auto problem = moduleSpecProblem(module)) {
    applySummary(plan.status, specErrorSummary(*problem, generation), generation);
    plan.children.problems.push_back(*problem);
    plan.children.status_patch = moduleStatusPatch(module, plan.status, now_text);
    return plan;
  }
  std::vector<std::string> problems;
  const std::vector<ChildEntry> entries = moduleEntries(module, &problems);
  const ChildTemplate tmpl = moduleTemplate(module);
  ChildrenOutcome outcome = planChildren(tmpl, entries, existing, now, random);
  problems.insert(problems.end(), outcome.plan.problems.begin(), outcome.plan.problems.end());
  outcome.plan.problems = std::move(problems);
  plan.status.latest_version = outcome.plan.latest_version;
  plan.status.module_version_refs.clear();
  for (const auto& child : outcome.children) {
    ModuleVersion ref;
    ref.name = child.name;
    if (!child.file_name.empty()) {
      ref.file_name = child.file_name;
    }
    plan.status.module_version_refs[child.entry.ref_key] = std::move(ref);
  }
  applySummary(plan.status,
               summarizeChildren(outcome, "module", generation, tmpl.history_limit), generation);
  if (module.spec.force_sync) {
    outcome.plan.parent_patch = forceSyncResetPatch();
  }
  plan.children = std::move(outcome.plan);
  plan.children.status_patch = moduleStatusPatch(module, plan.status, now_text);
  return plan;
}

}  // namespace od::core
