#pragma once
// The Provider reconciler's decision: one Version per version x OS x architecture, what to
// create, patch and delete, the forceSync reset and the desired status. The rules are those
// of children.h plus, for providers:
// - names lowercase(`<providerConfig.name or metadata.name>-<version without v>-<os>-<arch>`)
//   as the reference names them (names.h); labels `opendepot.defdev.io/provider`,
//   `…/namespace`, `…/provider-os`, `…/provider-arch`;
// - spec.version is the version trimmed and without its leading `v` (the reference's
//   SanitizeVersion); spec.operatingSystem/architecture are the Version's platform;
//   spec.providerConfigRef is the providerConfig with `name` defaulted and `namespace`
//   trimmed, defaulting to `hashicorp`, WITHOUT the parent-only fields (operatingSystems,
//   architectures, versionHistoryLimit, versionConstraints), so that editing those changes
//   no remaining Version's spec and re-syncs nothing (the reference copies the whole
//   providerConfig; its Version controller reads only name and namespace of it);
// - file names `<uuidv7>.zip`, fixed once;
// - the history limit counts versions, not platforms, and runs after naming, so a limit
//   above the count creates everything (the reference created nothing);
// - status: latestVersion, providerVersionRefs keyed `<ver>-<os>-<arch>` -> {name, version,
//   operatingSystem, architecture}, synced from the Versions' real statuses, conditions.
// An empty OS or architecture list (or no providerConfig) changes no Version and gets an
// InvalidSpec status.
// Thread affinity: pure function, any thread.

#include <string>
#include <vector>

#include "core/reconcile/children.h"
#include "core/resources/provider.h"

namespace od::core {

inline constexpr std::string_view kDefaultProviderNamespace = "hashicorp";

struct ProviderPlan {
  ChildrenPlan children;
  ProviderStatus status;  // desired; children.status_patch is its merge patch
};

// `existing`: the Versions labelled for this Provider in its namespace. REQUIRES: `random`
// outlives the call.
ProviderPlan planProvider(const Provider& provider, const std::vector<Version>& existing,
                          Clock::TimePoint now, Random& random);

// providerConfig.namespace trimmed of ASCII spaces, or "hashicorp" when that is empty.
std::string providerRegistryNamespace(const ProviderConfig& config);

}  // namespace od::core
