#include "core/resources/meta.h"

#include <algorithm>

#include "core/names.h"

namespace od::core {

void addTypeProblem(Problems* problems, const std::string& path, std::string_view want,
                    simdjson::dom::element got) {
  problems->add(path, "must be " + std::string(want) + ", got " + std::string(jsonTypeName(got)));
}

std::optional<std::string> readString(simdjson::dom::element e, const std::string& path,
                                      Problems* problems) {
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) {
    addTypeProblem(problems, path, "a string", e);
    return std::nullopt;
  }
  return std::string(s);
}

std::string keyPath(const std::string& base, std::string_view key) {
  std::string out = base;
  out.push_back('[');
  out.append(key);
  out.push_back(']');
  return out;
}

FieldReader::FieldReader(simdjson::dom::element element, std::string path, Problems* problems)
    : path_(std::move(path)), problems_(problems) {
  if (element.get(object_) != simdjson::SUCCESS) {
    addTypeProblem(problems_, path_, "an object", element);
    return;
  }
  is_object_ = true;
  checkDuplicateKeys(object_, path_);
}

void FieldReader::checkDuplicateKeys(simdjson::dom::object object, const std::string& path) const {
  std::vector<std::string_view> keys;
  keys.reserve(object.size());
  for (simdjson::dom::key_value_pair member : object) {
    keys.push_back(member.key);
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 1; i < keys.size(); ++i) {
    // Report each duplicated key once, however often it repeats.
    if (keys[i] == keys[i - 1] && (i < 2 || keys[i] != keys[i - 2])) {
      problems_->add(joinPath(path, keys[i]), "duplicate JSON key");
    }
  }
}

std::optional<simdjson::dom::element> FieldReader::get(std::string_view key) const {
  if (!is_object_) {
    return std::nullopt;
  }
  simdjson::dom::element e;
  if (object_.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) {
    return std::nullopt;
  }
  return e;
}

std::optional<std::string> FieldReader::string(std::string_view key) const {
  auto e = get(key);
  if (!e) {
    return std::nullopt;
  }
  return readString(*e, pathOf(key), problems_);
}

std::optional<bool> FieldReader::boolean(std::string_view key) const {
  auto e = get(key);
  if (!e) {
    return std::nullopt;
  }
  bool b = false;
  if (e->get(b) != simdjson::SUCCESS) {
    addTypeProblem(problems_, pathOf(key), "a boolean", *e);
    return std::nullopt;
  }
  return b;
}

std::optional<int64_t> FieldReader::integer(std::string_view key) const {
  auto e = get(key);
  if (!e) {
    return std::nullopt;
  }
  int64_t v = 0;
  if (e->get(v) == simdjson::SUCCESS) {
    return v;
  }
  if (e->is_uint64()) {
    problems_->add(pathOf(key), "must be an integer of at most 9223372036854775807");
  } else if (e->is_double()) {
    problems_->add(pathOf(key), "must be an integer, got a fractional number");
  } else {
    addTypeProblem(problems_, pathOf(key), "an integer", *e);
  }
  return std::nullopt;
}

std::vector<std::string> FieldReader::strings(std::string_view key) const {
  std::vector<std::string> out;
  forEachItem(key, [&](simdjson::dom::element item, const std::string& item_path) {
    if (auto s = readString(item, item_path, problems_)) {
      out.push_back(std::move(*s));
    }
  });
  return out;
}

std::map<std::string, std::string> FieldReader::stringMap(std::string_view key) const {
  std::map<std::string, std::string> out;
  forEachMember(key, [&](std::string_view name, simdjson::dom::element value,
                         const std::string& member_path) {
    if (auto s = readString(value, member_path, problems_)) {
      out.emplace(std::string(name), std::move(*s));
    }
  });
  return out;
}

OwnerReference decodeOwnerReference(const FieldReader& r) {
  OwnerReference o;
  o.api_version = r.string("apiVersion").value_or("");
  o.kind = r.string("kind").value_or("");
  o.name = r.string("name").value_or("");
  o.uid = r.string("uid").value_or("");
  o.controller = r.boolean("controller");
  o.block_owner_deletion = r.boolean("blockOwnerDeletion");
  return o;
}

ObjectMeta decodeObjectMeta(const FieldReader& r) {
  ObjectMeta m;
  m.name = r.string("name").value_or("");
  m.namespace_ = r.string("namespace").value_or("");
  m.uid = r.string("uid").value_or("");
  m.resource_version = r.string("resourceVersion").value_or("");
  m.generation = r.integer("generation").value_or(0);
  m.labels = r.stringMap("labels");
  m.annotations = r.stringMap("annotations");
  m.owner_references = r.objects<OwnerReference>("ownerReferences", decodeOwnerReference);
  m.finalizers = r.strings("finalizers");
  m.creation_timestamp = r.string("creationTimestamp").value_or("");
  m.deletion_timestamp = r.string("deletionTimestamp");
  return m;
}

Condition decodeCondition(const FieldReader& r) {
  Condition c;
  c.type = r.string("type").value_or("");
  c.status = r.string("status").value_or("");
  c.reason = r.string("reason").value_or("");
  c.message = r.string("message").value_or("");
  c.last_transition_time = r.string("lastTransitionTime").value_or("");
  c.observed_generation = r.integer("observedGeneration");
  return c;
}

StatusCommon decodeStatusCommon(const FieldReader& r) {
  StatusCommon c;
  c.observed_generation = r.integer("observedGeneration");
  c.conditions = r.objects<Condition>("conditions", decodeCondition);
  return c;
}

void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v) {
    w.member(key, *v);
  }
}
void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<bool>& v) {
  if (v) {
    w.member(key, *v);
  }
}
void writeIfSet(JsonWriter& w, std::string_view key, const std::optional<int64_t>& v) {
  if (v) {
    w.member(key, *v);
  }
}
void writeIfNotEmpty(JsonWriter& w, std::string_view key, const std::string& v) {
  if (!v.empty()) {
    w.member(key, v);
  }
}
void writeIfNotEmpty(JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  if (v.empty()) {
    return;
  }
  w.key(key).beginArray();
  for (const auto& s : v) {
    w.value(s);
  }
  w.endArray();
}
void writeIfNotEmpty(JsonWriter& w, std::string_view key,
                     const std::map<std::string, std::string>& v) {
  if (v.empty()) {
    return;
  }
  w.key(key).beginObject();
  for (const auto& [k, s] : v) {
    w.member(k, s);
  }
  w.endObject();
}

namespace {

void writeOwnerReference(JsonWriter& w, const OwnerReference& o) {
  w.beginObject();
  w.member("apiVersion", o.api_version).member("kind", o.kind);
  w.member("name", o.name).member("uid", o.uid);
  writeIfSet(w, "controller", o.controller);
  writeIfSet(w, "blockOwnerDeletion", o.block_owner_deletion);
  w.endObject();
}

}  // namespace

void writeObjectMeta(JsonWriter& w, const ObjectMeta& m) {
  w.key("metadata").beginObject();
  writeIfNotEmpty(w, "name", m.name);
  writeIfNotEmpty(w, "namespace", m.namespace_);
  writeIfNotEmpty(w, "uid", m.uid);
  writeIfNotEmpty(w, "resourceVersion", m.resource_version);
  if (m.generation != 0) {
    w.member("generation", m.generation);
  }
  writeIfNotEmpty(w, "creationTimestamp", m.creation_timestamp);
  writeIfSet(w, "deletionTimestamp", m.deletion_timestamp);
  writeIfNotEmpty(w, "labels", m.labels);
  writeIfNotEmpty(w, "annotations", m.annotations);
  if (!m.owner_references.empty()) {
    w.key("ownerReferences").beginArray();
    for (const auto& o : m.owner_references) {
      writeOwnerReference(w, o);
    }
    w.endArray();
  }
  writeIfNotEmpty(w, "finalizers", m.finalizers);
  w.endObject();
}

void writeCondition(JsonWriter& w, const Condition& c) {
  w.beginObject();
  w.member("type", c.type).member("status", c.status);
  writeIfSet(w, "observedGeneration", c.observed_generation);
  w.member("lastTransitionTime", c.last_transition_time);
  w.member("reason", c.reason).member("message", c.message);
  w.endObject();
}

void writeStatusCommon(JsonWriter& w, const StatusCommon& c) {
  writeIfSet(w, "observedGeneration", c.observed_generation);
  if (!c.conditions.empty()) {
    w.key("conditions").beginArray();
    for (const auto& condition : c.conditions) {
      writeCondition(w, condition);
    }
    w.endArray();
  }
}

void writeTypeMeta(JsonWriter& w, std::string_view kind) {
  w.member("apiVersion", kApiVersion).member("kind", kind);
}

namespace {

void validateMetaMaps(const ObjectMeta& m, Problems* problems) {
  for (const auto& [key, value] : m.labels) {
    const std::string path = keyPath("metadata.labels", key);
    if (auto why = labelKeyProblem(key)) {
      problems->add(path, "invalid label key: " + *why);
    }
    if (auto why = labelValueProblem(value)) {
      problems->add(path, "invalid label value: " + *why);
    }
  }
  for (const auto& [key, value] : m.annotations) {
    if (auto why = labelKeyProblem(key)) {
      problems->add(keyPath("metadata.annotations", key), "invalid annotation key: " + *why);
    }
  }
}

}  // namespace

void validateObjectMeta(const ObjectMeta& m, Problems* problems) {
  if (m.name.empty()) {
    problems->add("metadata.name", "is required");
  } else if (auto why = dns1123SubdomainProblem(m.name)) {
    problems->add("metadata.name", *why);
  }
  if (!m.namespace_.empty()) {
    if (auto why = dns1123LabelProblem(m.namespace_)) {
      problems->add("metadata.namespace", *why);
    }
  }
  validateMetaMaps(m, problems);
  for (size_t i = 0; i < m.owner_references.size(); ++i) {
    const auto& o = m.owner_references[i];
    const std::string path = indexPath("metadata.ownerReferences", i);
    for (auto [field, value] : {std::pair<std::string_view, const std::string*>{"apiVersion", &o.api_version},
                                {"kind", &o.kind}, {"name", &o.name}, {"uid", &o.uid}}) {
      if (value->empty()) {
        problems->add(joinPath(path, field), "is required");
      }
    }
  }
}

Status checkTypeMeta(simdjson::dom::element root, std::string_view kind) {
  Problems problems;
  FieldReader r(root, "", &problems);
  auto api_version = r.string("apiVersion");
  auto actual_kind = r.string("kind");
  if (!problems.empty()) {
    return problems.toError();
  }
  if (api_version && *api_version != kApiVersion) {
    return makeError(Errc::Invalid, "apiVersion: must be " + std::string(kApiVersion) +
                                        ", got \"" + *api_version + "\"");
  }
  if (actual_kind && *actual_kind != kind) {
    return makeError(Errc::Invalid, "kind: expected " + std::string(kind) + ", got \"" +
                                        *actual_kind + "\"");
  }
  return okStatus();
}

Result<JsonDocument> parseResourceDocument(std::string_view json, JsonLimits limits,
                                           std::string_view kind) {
  OD_TRY(JsonDocument doc, JsonDocument::parse(json, limits));
  if (!doc.root().is_object()) {
    return makeError(Errc::Invalid, "a " + std::string(kind) + " must be a JSON object, got " +
                                        std::string(jsonTypeName(doc.root())));
  }
  auto status = checkTypeMeta(doc.root(), kind);
  if (!status.ok()) {
    return std::move(status).takeError();
  }
  return doc;
}

namespace {

// True when `path` equals `prefix` or lies under it ("a.b" under "a", "a[1]" under "a").
bool isUnder(const std::string& path, const std::string& prefix) {
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  return path.size() == prefix.size() || path[prefix.size()] == '.' ||
         path[prefix.size()] == '[';
}

}  // namespace

void mergeValidation(Problems* decoded, const Problems& validation) {
  const std::vector<Problem> type_problems = decoded->list();
  for (const auto& p : validation.list()) {
    const bool shadowed = std::any_of(type_problems.begin(), type_problems.end(),
                                      [&](const Problem& t) { return isUnder(p.path, t.path); });
    if (!shadowed) {
      decoded->add(p.path, p.message);
    }
  }
}

}  // namespace od::core
