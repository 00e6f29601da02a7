#pragma once
// Reading a core/v1 Secret through the Kubernetes client (the GitHub App credentials the
// reference keeps in a Secret). Only `get` on secrets in the resource's namespace is
// needed (the chart's RBAC grants exactly that).
// Thread affinity: loop thread only (as KubeClient).

#include <functional>
#include <map>
#include <string>

#include "adapters/kube/kube_client.h"
#include "core/result.h"

namespace od::adapters::kube {

using SecretValues = std::map<std::string, std::string>;

// `.data` of a Secret object, base64-decoded. Errors: Corrupt when the object is not a
// Secret's JSON or a value is not base64.
core::Result<SecretValues> decodeSecretData(std::string_view secret_json);

// GET /api/v1/namespaces/<ns>/secrets/<name>, decoded. NotFound, Permission (the message
// names the verb, resource and namespace) and the client's retry policy as for any call.
core::CancelablePtr readSecret(KubeClient& client, std::string name_space, std::string name,
                               std::function<void(core::Result<SecretValues>)> done);

// readSecret() bound to `client`, in the shape adapters/github's SecretReader has.
inline auto secretReader(KubeClient& client) {
  return [&client](std::string name_space, std::string name,
                   std::function<void(core::Result<SecretValues>)> done) {
    return readSecret(client, std::move(name_space), std::move(name), std::move(done));
  };
}

}  // namespace od::adapters::kube
