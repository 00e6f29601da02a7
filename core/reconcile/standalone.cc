#include "core/reconcile/standalone.h"

#include <utility>

#include "core/reconcile/merge_patch.h"
#include "core/uuid.h"

namespace od::core {
namespace {

struct Guard {
  std::string reason;
  std::string message;
};

std::optional<Guard> firstGuard(const Version& v) {
  if (v.metadata.name.find('.') != std::string::npos) {
    return Guard{"InvalidName", dotNameMessage(v.metadata.name)};
  }
  const bool is_module = v.spec.type == kVersionTypeModule;
  if (!is_module && v.spec.type != kVersionTypeProvider) {
    return Guard{"InvalidSpec", "no usable type provided: spec.type must be 'Module' or "
                                "'Provider', got '" + v.spec.type + "'"};
  }
  if (v.spec.module_config_ref && v.spec.provider_config_ref) {
    return Guard{"InvalidSpec", std::string(kDualConfigMessage)};
  }
  if (is_module && !v.spec.module_config_ref) {
    return Guard{"InvalidSpec", "moduleConfigRef is required for a Version of type 'Module'"};
  }
  if (!is_module && !v.spec.provider_config_ref) {
    return Guard{"InvalidSpec",
                 "providerConfigRef is required for a Version of type 'Provider'"};
  }
  return std::nullopt;
}

Condition falseCondition(std::string type, const Guard& guard, int64_t generation) {
  Condition c;
  c.type = std::move(type);
  c.status = "False";
  c.reason = guard.reason;
  c.message = guard.message;
  c.observed_generation = generation;
  return c;
}

std::string extensionFor(const VersionSpec& spec) {
  if (spec.type == kVersionTypeModule && spec.module_config_ref &&
      spec.module_config_ref->file_format != "zip") {
    return "tar.gz";
  }
  return "zip";
}

}  // namespace

std::string dotNameMessage(std::string_view name) {
  return "Version name '" + std::string(name) +
         "' is invalid: name must not contain '.' characters: rename the resource and reapply";
}

VersionDecision planVersion(const Version& version, const SyncHistory& history,
                            Clock::TimePoint now, Random& random) {
  VersionDecision d;
  d.status = version.status;
  d.file_name = version.spec.file_name;
  if (version.metadata.deletion_timestamp) {
    return d;
  }
  const int64_t generation = version.metadata.generation;
  if (auto guard = firstGuard(version)) {
    d.terminal_message = guard->message;
    d.status.synced = false;
    d.status.sync_status = guard->message;
    d.status.observed_generation = generation;
    d.status.conditions = {falseCondition("Ready", *guard, generation),
                           falseCondition("Synced", *guard, generation)};
    d.status_patch = versionStatusPatch(version, d.status, formatRfc3339(now));
    return d;
  }
  if (!version.spec.file_name) {
    Version desired = version;
    const uint64_t hi = random.next();
    const uint64_t lo = random.next();
    desired.spec.file_name =
        artifactFileName(Uuid::v7At(unixMillis(now), hi, lo), extensionFor(version.spec));
    d.file_name = desired.spec.file_name;
    d.spec_patch = versionPatch(version, desired);
    return d;
  }
  d.sync = needsSync(version, history, unixMillis(now));
  return d;
}

}  // namespace od::core
