#pragma once
// ResourceStore: where desired state lives — the Kubernetes API in a cluster, the folder of
// manifests plus a local store in `opendepot dev`. Objects travel as JSON text (the shape the
// API server returns); core/resources/ parses them. Status writes go only through
// patchStatus(), so that they hit the /status subresource.
//
// Errors: NotFound (404), Conflict (409: resourceVersion precondition or AlreadyExists),
// Permission (401/403, message names verb, resource and namespace), Invalid (422/400),
// Unavailable/Timeout (5xx, 429, network; retryable).
// Thread affinity: loop thread only; callbacks run on the loop thread exactly once unless the
// returned handle is cancelled or destroyed first.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::core {

struct ResourceRef {
  std::string kind;       // "Module", "Version", ... (opendepot.defdev.io/v1alpha1)
  std::string name_space; // "namespace" is a keyword in C++
  std::string name;
};

struct ListOptions {
  std::string label_selector;  // "a=b,c=d"; empty: all
  size_t limit = 500;          // page size
  std::string continue_token;  // from the previous page
};

struct ListPage {
  std::vector<std::string> items;  // each one object's JSON
  std::string resource_version;    // the list's resourceVersion (where a watch resumes)
  std::string continue_token;      // empty on the last page
};

enum class PatchType { Merge, Json };  // application/merge-patch+json, application/json-patch+json

struct DeletePreconditions {
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
};

class ResourceStore {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~ResourceStore() = default;

  virtual CancelablePtr get(ResourceRef ref, Callback<std::string> done) = 0;
  // name_space empty: every namespace the store can see.
  virtual CancelablePtr list(std::string kind, std::string name_space, ListOptions options,
                             Callback<ListPage> done) = 0;
  // Returns the created object as stored (uid, resourceVersion, generation filled in).
  virtual CancelablePtr create(std::string kind, std::string name_space, std::string object_json,
                               Callback<std::string> done) = 0;
  virtual CancelablePtr remove(ResourceRef ref, DeletePreconditions preconditions,
                               std::function<void(Status)> done) = 0;
  virtual CancelablePtr patch(ResourceRef ref, PatchType type, std::string body,
                              Callback<std::string> done) = 0;
  virtual CancelablePtr patchStatus(ResourceRef ref, PatchType type, std::string body,
                                    Callback<std::string> done) = 0;
};

}  // namespace od::core
