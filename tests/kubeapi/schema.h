#pragma once
// DESIGN: structural-schema handling of custom resources, as the real API server does it
// for `openAPIV3Schema`: (1) prune fields the schema does not declare (and nulls of
// non-nullable fields), recording each unknown field path for fieldValidation; (2) apply
// `default`s; (3) validate (type, nullable, enum, required, minimum/maximum and their
// exclusive forms, multipleOf, minLength/maxLength, pattern, format date-time/int32/int64,
// minItems/maxItems, uniqueItems, minProperties/maxProperties, x-kubernetes-list-type
// set/map uniqueness, x-kubernetes-int-or-string, allOf/anyOf/oneOf/not).
// Not modelled: CEL rules (x-kubernetes-validations), ratcheting, embedded resources.
// Patterns use std::regex (ECMAScript), close to RE2 for the patterns CRDs use; strings
// longer than 16 KiB skip the pattern check (std::regex recursion depth).
// Any thread; pure functions.

#include <string>
#include <vector>

#include "tests/kubeapi/util.h"

namespace od::testkube {

// One field error, as in a Status `details.causes` entry.
struct FieldCause {
  std::string reason;   // FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, ...
  std::string field;    // spec.moduleConfig.fileFormat
  std::string message;  // Unsupported value: "rar": supported values: "zip", "tar"
  std::string Text() const { return field + ": " + message; }
};

// Prunes and defaults `obj` (a whole object: apiVersion, kind, metadata, spec, ...) in
// place against `schema` (the openAPIV3Schema). Returns the unknown field paths.
std::vector<std::string> PruneAndDefault(const json& schema, json& obj);

// Validates a whole object (metadata is skipped; the caller validates it).
std::vector<FieldCause> ValidateObject(const json& schema, const json& obj);

// ObjectMeta field names; other metadata fields are unknown.
bool IsObjectMetaField(const std::string& name);

// Go-like rendering of a value inside an "Invalid value: X" message.
std::string GoValue(const json& v);

}  // namespace od::testkube
