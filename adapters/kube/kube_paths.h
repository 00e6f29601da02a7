#pragma once
// Where each kind lives in the Kubernetes API: the five opendepot kinds
// (opendepot.defdev.io/v1alpha1) and core v1 Secret/ConfigMap, plus URL helpers.
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::adapters::kube {

struct KindInfo {
  std::string_view kind;         // "Module"
  std::string_view api_version;  // "opendepot.defdev.io/v1alpha1" or "v1"
  std::string_view plural;       // "modules"
  std::string_view prefix;       // "/apis/opendepot.defdev.io/v1alpha1" or "/api/v1"
};

// Errors: Invalid for a kind the client does not know.
core::Result<KindInfo> kindInfo(std::string_view kind);
// The five opendepot kinds, in ARCHITECTURE order.
const std::vector<std::string>& opendepotKinds();

// "/apis/<g>/<v>[/namespaces/<ns>]/<plural>[/<name>][/status]"
std::string collectionPath(const KindInfo& info, std::string_view name_space);
std::string objectPath(const KindInfo& info, std::string_view name_space, std::string_view name);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string urlEncode(std::string_view value);

}  // namespace od::adapters::kube
