#pragma once
// GroupBinding (opendepot.defdev.io/v1alpha1): grants OIDC groups matching `expression`
// access to modules (path.Match globs on names) and providers (exact names or "*").
// Thread affinity: plain values, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/resources/meta.h"

namespace od::core {

inline constexpr std::string_view kKindGroupBinding = "GroupBinding";

struct GroupBindingSpec {
  std::string expression;  // expr-lang boolean over `groups`; required, non-empty
  std::vector<std::string> module_resources;
  std::vector<std::string> provider_resources;
  bool operator==(const GroupBindingSpec&) const = default;
};

// The reference's status is conditions[] only; observedGeneration is ours.
struct GroupBindingStatus : StatusCommon {
  bool operator==(const GroupBindingStatus&) const = default;
};

struct GroupBinding {
  ObjectMeta metadata;
  GroupBindingSpec spec;
  GroupBindingStatus status;
  bool operator==(const GroupBinding&) const = default;
};

// As for Module (see module.h): Error only for input that is no GroupBinding at all.
Decoded<GroupBinding> decodeGroupBinding(simdjson::dom::element root);
Result<Decoded<GroupBinding>> decodeGroupBinding(std::string_view json,
                                                 JsonLimits limits = kResourceJsonLimits);
Result<GroupBinding> parseGroupBinding(std::string_view json,
                                       JsonLimits limits = kResourceJsonLimits);

// Metadata names, spec.expression non-empty, no empty resource patterns.
Problems validate(const GroupBinding& binding);

void writeJson(JsonWriter& w, const GroupBinding& binding);
std::string toJson(const GroupBinding& binding);

}  // namespace od::core
