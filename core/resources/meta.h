#pragma once
// DESIGN (core/resources): the five OpenDepot custom resources (Depot, Module, Provider,
// Version, GroupBinding in opendepot.defdev.io/v1alpha1) as plain value types, decoded from
// the JSON the Kubernetes API server returns and written back with JsonWriter.
// - Go `*T` fields are std::optional<T>, so "unset" and "false/empty" differ; Go plain fields
//   with `omitempty` are plain values omitted when empty. write(decode(x)) round-trips.
// - Decoding never stops at the first fault: every wrong JSON type is recorded in Problems
//   with its field path; unknown fields are ignored; JSON null reads as unset.
// - Validation (validate(const X&)) is separate and also collects every problem.
//
// This header: ObjectMeta, OwnerReference, Condition, and FieldReader, the typed member
// reader the per-kind decoders share. Thread affinity: plain values, any thread.

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/json_writer.h"
#include "core/problems.h"

namespace od::core {

inline constexpr std::string_view kApiVersion = "opendepot.defdev.io/v1alpha1";

// Limits for one resource document: the API server refuses objects over 3 MiB (B42), and
// nesting deeper than 64 is refused (B43).
inline constexpr JsonLimits kResourceJsonLimits{3 * 1024 * 1024, 64};

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  bool operator==(const OwnerReference&) const = default;
};

// metav1.ObjectMeta, the parts OpenDepot uses. Timestamps stay RFC 3339 strings.
struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;  // 0 when absent (manifests)
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  std::string creation_timestamp;
  std::optional<std::string> deletion_timestamp;
  bool operator==(const ObjectMeta&) const = default;
};

// metav1.Condition; our statuses carry `Ready`, `Synced`, `Blocked`.
struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;
  std::optional<int64_t> observed_generation;
  bool operator==(const Condition&) const = default;
};

// A decoded resource and every problem found in it (wrong JSON types, then validation).
template <typename T>
struct Decoded {
  T resource;
  Problems problems;
};

// Reads an element as a string, reporting a wrong type at `path`.
std::optional<std::string> readString(simdjson::dom::element e, const std::string& path,
                                      Problems* problems);
void addTypeProblem(Problems* problems, const std::string& path, std::string_view want,
                    simdjson::dom::element got);
// "metadata.labels" + "app" -> "metadata.labels[app]" (map keys may hold dots).
std::string keyPath(const std::string& base, std::string_view key);

// Reads members of one JSON object by name. A member that is missing or null reads as
// unset; one of the wrong type reads as unset and adds "path: must be a T, got U" to
// *problems. Duplicate keys in the object are reported once, at construction (B45).
// Lifetime: *problems and the document behind `element` must outlive the reader.
class FieldReader {
 public:
  // A non-object `element` is reported ("must be an object") and reads as empty.
  FieldReader(simdjson::dom::element element, std::string path, Problems* problems);

  bool isObject() const { return is_object_; }
  const std::string& path() const { return path_; }
  Problems* problems() const { return problems_; }
  std::string pathOf(std::string_view key) const { return joinPath(path_, key); }

  // The member's element when present and not null.
  std::optional<simdjson::dom::element> get(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  std::map<std::string, std::string> stringMap(std::string_view key) const;

  // decode(FieldReader&) -> T for a nested object.
  template <typename T, typename Decode>
  std::optional<T> object(std::string_view key, Decode decode) const {
    auto e = get(key);
    if (!e) {
      return std::nullopt;
    }
    FieldReader child(*e, pathOf(key), problems_);
    if (!child.isObject()) {
      return std::nullopt;
    }
    return decode(child);
  }
  template <typename T, typename Decode>
  std::vector<T> objects(std::string_view key, Decode decode) const {
    std::vector<T> out;
    forEachItem(key, [&](simdjson::dom::element item, const std::string& item_path) {
      FieldReader child(item, item_path, problems_);
      if (child.isObject()) {
        out.push_back(decode(child));
      }
    });
    return out;
  }
  template <typename T, typename Decode>
  std::map<std::string, T> objectMap(std::string_view key, Decode decode) const {
    std::map<std::string, T> out;
    forEachMember(key, [&](std::string_view name, simdjson::dom::element value,
                           const std::string& member_path) {
      FieldReader child(value, member_path, problems_);
      if (child.isObject()) {
        out.emplace(std::string(name), decode(child));
      }
    });
    return out;
  }

 private:
  template <typename F>
  void forEachItem(std::string_view key, F f) const;
  template <typename F>
  void forEachMember(std::string_view key, F f) const;
  void checkDuplicateKeys(simdjson::dom::object object, const std::string& path) const;

  simdjson::dom::object object_;
  bool is_object_ = false;
  std::string path_;
  Problems* problems_;
};

template <typename F>
void FieldReader::forEachItem(std::string_view key, F f) const {
  auto e = get(key);
  if (!e) {
    return;
  }
  const std::string path = pathOf(key);
  simdjson::dom::array array;
  if (e->get(array) != simdjson::SUCCESS) {
    addTypeProblem(problems_, path, "an array", *e);
    return;
  }
  size_t index = 0;
  for (simdjson::dom::element item : array) {
    f(item, indexPath(path, index++));
  }
}

template <typename F>
void FieldReader::forEachMember(std::string_view key, F f) const {
  auto e = get(key);
  if (!e) {
    return;
  }
  const std::string path = pathOf(key);
  simdjson::dom::object object;
  if (e->get(object) != simdjson::SUCCESS) {
    addTypeProblem(problems_, path, "an object", *e);
    return;
  }
  checkDuplicateKeys(object, path);
  for (simdjson::dom::key_value_pair member : object) {
    if (!member.value.is_null()) {
      f(member.key, member.value, keyPath(path, member.key));
    }
  }
}


ObjectMeta decodeObjectMeta(const FieldReader& reader);
OwnerReference decodeOwnerReference(const FieldReader& reader);
Condition decodeCondition(const FieldReader& reader);

void writeObjectMeta(JsonWriter& w, const ObjectMeta& meta);
void writeCondition(JsonWriter& w, const Condition& condition);

// Member writers that omit unset or empty values.
void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<std::string>& v);
void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<bool>& v);
void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<int64_t>& v);
void writeIfNotEmpty(JsonWriter& w, std::string_view key, const std::string& v);
void writeIfNotEmpty(JsonWriter& w, std::string_view key, const std::vector<std::string>& v);
void writeIfNotEmpty(JsonWriter& w, std::string_view key,
                     const std::map<std::string, std::string>& v);

// Metadata rules: name a DNS-1123 subdomain, namespace (when set) a DNS-1123 label, label
// keys/values and annotation keys well-formed, owner references complete.
void validateObjectMeta(const ObjectMeta& meta, Problems* problems);

// Status members every kind gains: observedGeneration and conditions[]. Each kind's status
// derives from it.
struct StatusCommon {
  std::optional<int64_t> observed_generation;
  std::vector<Condition> conditions;
  bool operator==(const StatusCommon&) const = default;
};
StatusCommon decodeStatusCommon(const FieldReader& reader);
void writeStatusCommon(JsonWriter& w, const StatusCommon& common);

// Decoding steps shared by every kind: parse with limits, require a JSON object, check
// apiVersion/kind when present (an Error when they name another type), read metadata.
// REQUIRES: `kind` is one of the five kinds.
Result<JsonDocument> parseResourceDocument(std::string_view json, JsonLimits limits,
                                           std::string_view kind);
Status checkTypeMeta(simdjson::dom::element root, std::string_view kind);
// Moves validation problems into `decoded` except those under a path that already has a
// type problem (a field of the wrong type would otherwise also be reported as missing).
void mergeValidation(Problems* decoded, const Problems& validation);
void writeTypeMeta(JsonWriter& w, std::string_view kind);

}  // namespace od::core
