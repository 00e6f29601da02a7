#pragma once
// Object rules of the dev store: the small, pure pieces of Kubernetes API-server behaviour
// that LocalResourceStore applies to objects held as nlohmann::json (system metadata, the
// part of an object whose change moves metadata.generation, owner references, timestamps,
// and validation through core/resources).
// Thread affinity: pure functions, any thread.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/ports/resource_store.h"
#include "core/result.h"

namespace od::adapters::devstore {

using Json = nlohmann::json;

// The string member `key` of `obj` ("" when absent or not a string).
std::string stringAt(const Json& obj, std::string_view key);
// metadata.<key> as a string ("" when absent).
std::string metaString(const Json& obj, std::string_view key);
std::map<std::string, std::string> labelsOf(const Json& obj);
// metadata.ownerReferences[].uid.
std::vector<std::string> ownerUids(const Json& obj);
bool hasFinalizers(const Json& obj);

// Everything outside metadata and status: a change here bumps metadata.generation.
Json specPart(const Json& obj);

// "2026-01-02T03:04:05Z".
std::string rfc3339(core::Clock::TimePoint t);
// Parses rfc3339() output (and any "YYYY-MM-DDTHH:MM:SS[.frac]Z"); nullopt otherwise.
std::optional<core::Clock::TimePoint> parseRfc3339(std::string_view text);
// A random RFC 4122 version-4 UUID.
std::string newUid(core::Random& random);

// Validates the object with core/resources (the kind's decoder and validate()).
// Errors: Invalid with every problem, prefixed by `Kind "namespace/name" is invalid: `.
core::Status validateObject(const std::string& kind, const Json& obj);

// Invalid unless `kind` is one of the five opendepot kinds.
core::Status checkKind(const std::string& kind);
// `Kind "namespace/name"`, for messages.
std::string describeRef(const std::string& kind, const std::string& ns, const std::string& name);

// The object a create stores: apiVersion/kind checked and set, name (or generateName plus a
// random suffix) required, namespace from the request, the object or "default" (a mismatch
// is Invalid), a resourceVersion in the body Invalid, status and server-set metadata dropped,
// uid, generation 1 and creationTimestamp set. resourceVersion is left to the caller.
core::Result<Json> prepareCreate(const std::string& kind, const std::string& name_space,
                                 const std::string& object_json, core::Random& random,
                                 core::Clock::TimePoint now);

// `old` after a merge or JSON patch of the object (status and system metadata kept) or, with
// `status`, of its status only (everything else kept). Errors: Invalid (not JSON, does not
// apply, changes name/namespace/kind/apiVersion), Conflict (a metadata.uid or
// metadata.resourceVersion in the result that differs from `old`'s: a precondition).
core::Result<Json> applyPatch(const Json& old, core::PatchType type, const std::string& body,
                              bool status);

}  // namespace od::adapters::devstore
