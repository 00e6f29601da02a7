#pragma once
// Typed views of what the resources stream observed (events::ResourceEntry), and the small
// JSON helpers the reconcile and status roles share.
// Decoding is lenient: field and validation problems are the pure decisions' business
// (planModule reports an unusable spec, planVersion turns a bad Version into a terminal
// status), so only input that is no such resource at all is an Error.
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/resources/module.h"
#include "core/resources/version.h"
#include "core/result.h"
#include "events/resource_state.h"

namespace od::events {

// The whole object as the API server would return it: apiVersion, kind, metadata (name,
// namespace, uid, resourceVersion, generation, labels, annotations, ownerReferences,
// deletionTimestamp), spec and status.
std::string observedObjectJson(const events::ResourceEntry& entry);

core::Result<core::Version> observedVersion(const events::ResourceEntry& entry);
core::Result<core::Module> observedModule(const events::ResourceEntry& entry);

// The keys "<kind>/<namespace>/<name>" of the controller owner references of `kind`.
std::vector<std::string> controllerOwnerKeys(const events::ResourceEntry& entry,
                                             std::string_view kind);

// `patch` (a JSON merge patch object) with metadata.resourceVersion set to `rv`, so the
// store refuses it (Conflict) when the object changed since it was observed.
// Errors: Invalid when `patch` is not a JSON object.
core::Result<std::string> withResourceVersion(std::string_view patch, std::string_view rv);

}  // namespace od::events
