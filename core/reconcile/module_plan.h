#pragma once
// The Module reconciler's decision: the Versions a Module should have (one per entry of
// spec.versions), what to create, patch and delete, the forceSync reset and the desired
// status. The rules are those of children.h plus, for modules:
// - names `<moduleConfig.name or metadata.name>-<sanitized version>` (names.h); labels
//   `opendepot.defdev.io/module` (the same base name, which the reference's garbage
//   collection got wrong) and `opendepot.defdev.io/namespace`;
// - spec.moduleConfigRef is the Module's full moduleConfig with `name` defaulted;
// - file names `<uuidv7>.zip`, or `.tar.gz` for fileFormat tar, fixed once;
// - entries that are no version, or whose names are invalid (`+`) or collide, are reported
//   one by one and get no Version; the rest proceed;
// - an empty spec.versions is fine (no latest version, no error);
// - status: latestVersion, moduleVersionRefs keyed by the version as written -> {name,
//   fileName}, synced/syncStatus from the Versions' real statuses, observedGeneration,
//   Ready/Synced conditions.
// A spec that cannot be acted on (no moduleConfig, fileFormat not zip|tar, a base name that
// is no label value) changes no Version and gets an InvalidSpec status.
// Thread affinity: pure function, any thread.

#include <vector>

#include "core/reconcile/children.h"
#include "core/resources/module.h"

namespace od::core {

struct ModulePlan {
  ChildrenPlan children;
  ModuleStatus status;  // desired; children.status_patch is its merge patch
};

// `existing`: the Versions labelled for this Module in its namespace. REQUIRES: `random`
// outlives the call. `now` stamps condition transitions and new file names.
ModulePlan planModule(const Module& module, const std::vector<Version>& existing,
                      Clock::TimePoint now, Random& random);

}  // namespace od::core
