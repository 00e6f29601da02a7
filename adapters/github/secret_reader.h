#pragma once
// A SecretReader over any core::ResourceStore whose get() of kind "Secret" answers the
// Kubernetes Secret object's JSON (KubeClient; a dev store that keeps Secrets the same way).
// `.data` values are base64-decoded; `.stringData` (as written in manifests, before the API
// server folds it into data) is taken as is. Thread affinity: loop thread only.
// *store must outlive the reader and every call it starts.

#include <string_view>

#include "adapters/github/github_http.h"
#include "core/ports/resource_store.h"

namespace od::adapters::github {

// Errc::Corrupt when `json` is not a Secret object or a data value is not base64.
core::Result<SecretData> secretDataFromJson(std::string_view json);

SecretReader secretReaderFor(core::ResourceStore& store);

}  // namespace od::adapters::github
