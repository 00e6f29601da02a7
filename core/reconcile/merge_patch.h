#pragma once
// DESIGN (core/reconcile): the pure decisions of the `reconcile` and `status` roles. Each
// function takes the resources as observed (and the time and randomness as values or
// ports passed in) and returns what should change: objects to create, JSON merge patches
// (RFC 7386) to apply, names to delete, sync requests to emit, and the desired status. The
// roles only apply them. Nothing here does I/O, throws or reads a clock.
//
// This header: the minimal JSON merge patch between two documents, condition
// lastTransitionTime carrying, RFC 3339 formatting, and the status patch builders.
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/ports/clock.h"
#include "core/resources/meta.h"
#include "core/resources/module.h"
#include "core/resources/provider.h"
#include "core/resources/version.h"
#include "core/result.h"

namespace od::core {

// The minimal merge patch that turns `from` into `to` (both JSON objects): members that
// differ carry their new value, members gone from `to` are null, nested objects recurse,
// arrays and scalars are replaced whole. "" when the documents are equal.
// Errc::Invalid when either text is not a JSON object.
Result<std::string> jsonMergePatch(std::string_view from, std::string_view to);

// "2026-11-22T04:20:12Z" (metav1.Time: UTC, whole seconds).
std::string formatRfc3339(Clock::TimePoint t);

// `desired` with each condition's lastTransitionTime taken from the `current` condition of
// the same type when its status is unchanged, else set to `now`.
std::vector<Condition> carryTransitionTimes(const std::vector<Condition>& current,
                                            std::vector<Condition> desired,
                                            std::string_view now);

// Merge patches for the /status subresource, `{"status":{...}}` holding only what differs
// between the object's current status and `desired`; "" when nothing changes. Conditions in
// `desired` get their lastTransitionTime from carryTransitionTimes(…, now) first.
std::string moduleStatusPatch(const Module& current, ModuleStatus desired, std::string_view now);
std::string providerStatusPatch(const Provider& current, ProviderStatus desired,
                                std::string_view now);
std::string versionStatusPatch(const Version& current, VersionStatus desired,
                               std::string_view now);

// The merge patch that turns `current` into `desired` (whole Version objects); "" when equal.
std::string versionPatch(const Version& current, const Version& desired);

// `{"spec":{"forceSync":false}}`: resets a parent's forceSync flag.
std::string forceSyncResetPatch();

}  // namespace od::core
