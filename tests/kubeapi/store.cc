#include "tests/kubeapi/store.h"

#include <algorithm>
#include <random>
#include <regex>
#include <set>

#include "tests/kubeapi/schema.h"

namespace od::testkube {
namespace {

const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

bool IsDnsSubdomain(const std::string& s) {
  static const std::regex kRe(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, kRe);
}
bool IsDnsLabel(const std::string& s) {
  static const std::regex kRe(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
  return !s.empty() && s.size() <= 63 && std::regex_match(s, kRe);
}
bool IsLabelValue(const std::string& s) {
  static const std::regex kRe(R"((([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?)");
  return s.size() <= 63 && std::regex_match(s, kRe);
}
bool IsQualifiedName(const std::string& s) {
  static const std::regex kName(R"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])");
  auto slash = s.find('/');
  std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
  if (slash != std::string::npos && !IsDnsSubdomain(s.substr(0, slash))) {
    return false;
  }
  return !name.empty() && name.size() <= 63 && std::regex_match(name, kName);
}

std::string RandomSuffix(size_t n) {
  static const char* kChars = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kChars[rng() % 27];
  }
  return s;
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : "";
}

[[noreturn]] void Decode(const ResourceType& t, const std::string& what) {
  throw ApiError(400, "BadRequest",
                 t.kind + " in version \"" + t.version + "\" cannot be handled as a " + t.kind +
                     ": " + what);
}

// The part of an object whose change moves metadata.generation.
json GenerationPart(const ResourceType& t, const json& obj) {
  json c = obj;
  c.erase("metadata");
  if (t.status_subresource) {
    c.erase("status");
  }
  return c;
}

bool HasDeletion(const json& obj) {
  return obj["metadata"].contains("deletionTimestamp") &&
         !obj["metadata"]["deletionTimestamp"].is_null();
}

bool HasFinalizers(const json& obj) {
  const json& m = obj["metadata"];
  return m.contains("finalizers") && m["finalizers"].is_array() && !m["finalizers"].empty();
}

bool OwnedBy(const json& obj, const std::string& uid) {
  const json& m = obj["metadata"];
  if (!m.contains("ownerReferences") || !m["ownerReferences"].is_array()) {
    return false;
  }
  for (const auto& ref : m["ownerReferences"]) {
    if (ref.is_object() && Str(ref, "uid") == uid) {
      return true;
    }
  }
  return false;
}

std::string HexEncode(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string HexDecode(const std::string& s) {
  if (s.size() % 2 != 0) {
    throw ApiError(400, "BadRequest", "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 1]))) {
      throw ApiError(400, "BadRequest", "continue key is not valid");
    }
    out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
  }
  return out;
}

void PrepareBuiltin(const ResourceType& t, json& obj) {
  if (t.custom) {
    return;
  }
  if (t.kind == "Secret") {
    if (obj.contains("stringData")) {
      if (!obj["stringData"].is_object()) {
        Decode(t, "json: cannot unmarshal into Go struct field Secret.stringData");
      }
      for (const auto& [k, v] : obj["stringData"].items()) {
        if (!v.is_string()) {
          Decode(t, "json: cannot unmarshal into Go struct field Secret.stringData of type string");
        }
        obj["data"][k] = Base64Encode(v.get<std::string>());
      }
      obj.erase("stringData");
    }
    if (obj.contains("data")) {
      if (!obj["data"].is_object()) {
        Decode(t, "json: cannot unmarshal into Go struct field Secret.data");
      }
      for (const auto& [k, v] : obj["data"].items()) {
        if (!v.is_string() || !IsBase64(v.get<std::string>())) {
          Decode(t, "illegal base64 data in data[" + k + "]");
        }
      }
    }
    if (!obj.contains("type")) {
      obj["type"] = "Opaque";
    }
  }
  if (t.kind == "ConfigMap" && obj.contains("data") && obj["data"].is_object()) {
    for (const auto& [k, v] : obj["data"].items()) {
      if (!v.is_string()) {
        Decode(t, "json: cannot unmarshal into Go struct field ConfigMap.data of type string");
      }
    }
  }
}

void ValidateMeta(const ResourceType& t, const json& meta, std::vector<FieldCause>& causes) {
  std::string name = Str(meta, "name");
  if (t.kind == "Namespace" ? !IsDnsLabel(name) : !IsDnsSubdomain(name)) {
    causes.push_back({"FieldValueInvalid", "metadata.name",
                      "Invalid value: " + Dump(name) + ": " +
                          (t.kind == "Namespace" ? kLabelMsg : kSubdomainMsg)});
  }
  if (meta.contains("labels")) {
    for (const auto& [k, v] : meta["labels"].items()) {
      if (!IsQualifiedName(k)) {
        causes.push_back({"FieldValueInvalid", "metadata.labels",
                          "Invalid value: " + Dump(k) + ": name part must consist of "
                          "alphanumeric characters, '-', '_' or '.', and must start and end with "
                          "an alphanumeric character"});
      }
      if (!IsLabelValue(v.get<std::string>())) {
        causes.push_back({"FieldValueInvalid", "metadata.labels",
                          "Invalid value: " + Dump(v) + ": " + kLabelValueMsg});
      }
    }
  }
  if (meta.contains("annotations")) {
    size_t total = 0;
    for (const auto& [k, v] : meta["annotations"].items()) {
      total += k.size() + v.get<std::string>().size();
      if (!IsQualifiedName(k)) {
        causes.push_back({"FieldValueInvalid", "metadata.annotations",
                          "Invalid value: " + Dump(k) + ": name part must consist of "
                          "alphanumeric characters, '-', '_' or '.'"});
      }
    }
    if (total > 256 * 1024) {
      causes.push_back({"FieldValueTooLong", "metadata.annotations",
                        "Too long: may not be more than 262144 bytes"});
    }
  }
  if (meta.contains("finalizers")) {
    for (size_t i = 0; i < meta["finalizers"].size(); ++i) {
      std::string f = meta["finalizers"][i].get<std::string>();
      if (!IsQualifiedName(f)) {
        causes.push_back({"FieldValueInvalid", "metadata.finalizers[" + std::to_string(i) + "]",
                          "Invalid value: " + Dump(f) + ": name part must consist of "
                          "alphanumeric characters, '-', '_' or '.'"});
      }
    }
  }
  if (meta.contains("ownerReferences")) {
    for (const auto& ref : meta["ownerReferences"]) {
      for (const char* k : {"apiVersion", "kind", "name", "uid"}) {
        if (Str(ref, k).empty()) {
          causes.push_back({"FieldValueInvalid", std::string("metadata.ownerReferences.") + k,
                            "Invalid value: \"\": " + std::string(k) + " must not be empty"});
        }
      }
    }
  }
}

// Type checks the real decoder does on ObjectMeta (wrong types are 400, not 422).
void DecodeMeta(const ResourceType& t, const json& meta) {
  auto string_map = [&](const char* key) {
    if (!meta.contains(key)) return;
    if (!meta[key].is_object()) {
      Decode(t, std::string("json: cannot unmarshal into Go struct field ObjectMeta.metadata.") +
                    key + " of type map[string]string");
    }
    for (const auto& [k, v] : meta[key].items()) {
      (void)k;
      if (!v.is_string()) {
        Decode(t, std::string("json: cannot unmarshal into Go struct field ObjectMeta.metadata.") +
                      key + " of type string");
      }
    }
  };
  string_map("labels");
  string_map("annotations");
  for (const char* key : {"name", "generateName", "namespace", "resourceVersion", "uid"}) {
    if (meta.contains(key) && !meta[key].is_string() && !meta[key].is_null()) {
      Decode(t, std::string("json: cannot unmarshal into Go struct field ObjectMeta.metadata.") +
                    key + " of type string");
    }
  }
  if (meta.contains("finalizers")) {
    if (!meta["finalizers"].is_array()) Decode(t, "metadata.finalizers must be a list of strings");
    for (const auto& f : meta["finalizers"]) {
      if (!f.is_string()) Decode(t, "metadata.finalizers must be a list of strings");
    }
  }
  if (meta.contains("ownerReferences")) {
    if (!meta["ownerReferences"].is_array()) Decode(t, "metadata.ownerReferences must be a list");
    for (const auto& r : meta["ownerReferences"]) {
      if (!r.is_object()) Decode(t, "metadata.ownerReferences must be a list of objects");
    }
  }
}

json& EnsureMeta(const ResourceType& t, json& obj) {
  if (!obj.is_object()) {
    Decode(t, "the body must be a JSON object");
  }
  if (!obj.contains("metadata") || obj["metadata"].is_null()) {
    obj["metadata"] = json::object();
  }
  if (!obj["metadata"].is_object()) {
    Decode(t, "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta");
  }
  DecodeMeta(t, obj["metadata"]);
  for (auto it = obj["metadata"].begin(); it != obj["metadata"].end();) {
    it = it->is_null() ? obj["metadata"].erase(it) : std::next(it);
  }
  return obj["metadata"];
}

void CheckKind(const ResourceType& t, json& obj) {
  std::string kind = Str(obj, "kind");
  std::string api_version = Str(obj, "apiVersion");
  if ((!kind.empty() && kind != t.kind) || (!api_version.empty() && api_version != t.ApiVersion())) {
    throw ApiError(400, "BadRequest",
                   "the API version in the data (" + api_version +
                       ") does not match the expected API version (" + t.ApiVersion() + ")");
  }
  obj["apiVersion"] = t.ApiVersion();
  obj["kind"] = t.kind;
}

json NotFoundDetails(const ResourceType& t, const std::string& name) {
  return {{"name", name}, {"group", t.group}, {"kind", t.plural}};
}

}  // namespace

std::string ObjectKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string NewUid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng();
  uint64_t b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x4000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Store::Store() = default;

const ResourceType& Store::AddType(ResourceType type) {
  std::lock_guard<std::mutex> lock(mu_);
  types_.push_back(std::make_unique<ResourceType>(std::move(type)));
  const ResourceType* t = types_.back().get();
  if (t->group.empty() && t->plural == "namespaces") {
    namespaces_ = t;
  }
  objects_[t];
  return *t;
}

const ResourceType* Store::Find(const std::string& group, const std::string& version,
                                const std::string& plural) const {
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->plural == plural) {
      return t.get();
    }
  }
  return nullptr;
}

std::vector<const ResourceType*> Store::Types() const {
  std::vector<const ResourceType*> out;
  for (const auto& t : types_) {
    out.push_back(t.get());
  }
  return out;
}

json* Store::FindLocked(const ResourceType& t, const std::string& ns, const std::string& name) {
  Objects& b = Bucket(t);
  auto it = b.find(ObjectKey(t.namespaced ? ns : "", name));
  return it == b.end() ? nullptr : &it->second;
}

void Store::CheckNamespaceLocked(const ResourceType& t, const std::string& ns, bool creating) {
  if (!t.namespaced || namespaces_ == nullptr) {
    return;
  }
  json* nsobj = FindLocked(*namespaces_, "", ns);
  if (nsobj == nullptr) {
    throw ApiError(404, "NotFound", "namespaces \"" + ns + "\" not found",
                   {{"name", ns}, {"kind", "namespaces"}});
  }
  if (creating && HasDeletion(*nsobj)) {
    throw ApiError(403, "Forbidden",
                   "unable to create new content in namespace " + ns +
                       " because it is being terminated",
                   {{"name", ns}, {"kind", "namespaces"},
                    {"causes", json::array({{{"reason", "NamespaceTerminating"},
                                             {"message", "namespace " + ns + " is being terminated"},
                                             {"field", "metadata.namespace"}}})}});
  }
}

std::vector<std::string> Store::AdmitLocked(const ResourceType& t, json& obj,
                                            const WriteOptions& o) {
  std::vector<std::string> warnings;
  std::vector<std::string> unknown;
  if (!t.schema.is_null()) {
    unknown = PruneAndDefault(t.schema, obj);
  }
  if (!unknown.empty() && o.field_validation == "Strict") {
    std::string what = "strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) {
      what += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
    }
    Decode(t, what);
  }
  if (o.field_validation != "Ignore") {
    for (const auto& u : unknown) {
      warnings.push_back("unknown field \"" + u + "\"");
    }
  }
  std::vector<FieldCause> causes;
  ValidateMeta(t, obj["metadata"], causes);
  if (!t.schema.is_null()) {
    auto more = ValidateObject(t.schema, obj);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (!causes.empty()) {
    std::string name = Str(obj["metadata"], "name");
    std::string msg = t.GroupKind() + " \"" + name + "\" is invalid: ";
    if (causes.size() == 1) {
      msg += causes[0].Text();
    } else {
      msg += "[";
      for (size_t i = 0; i < causes.size(); ++i) {
        msg += (i ? ", " : "") + causes[i].Text();
      }
      msg += "]";
    }
    json jc = json::array();
    for (const auto& c : causes) {
      jc.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    }
    throw ApiError(422, "Invalid", msg,
                   {{"name", name}, {"group", t.group}, {"kind", t.kind}, {"causes", jc}});
  }
  return warnings;
}

WriteResult Store::Create(const ResourceType& t, const std::string& ns, json obj,
                          const WriteOptions& o) {
  std::lock_guard<std::mutex> lock(mu_);
  return CreateLocked(t, ns, std::move(obj), o);
}

WriteResult Store::CreateLocked(const ResourceType& t, const std::string& ns, json obj,
                                const WriteOptions& o) {
  json& meta = EnsureMeta(t, obj);
  CheckKind(t, obj);
  if (t.namespaced) {
    std::string body_ns = Str(meta, "namespace");
    if (!body_ns.empty() && body_ns != ns) {
      throw ApiError(400, "BadRequest",
                     "the namespace of the provided object does not match the namespace sent "
                     "on the request");
    }
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  if (Str(meta, "name").empty() && !Str(meta, "generateName").empty()) {
    meta["name"] = Str(meta, "generateName") + RandomSuffix(5);
  }
  if (Str(meta, "name").empty()) {
    std::vector<FieldCause> c = {{"FieldValueRequired", "metadata.name",
                                  "Required value: name or generateName is required"}};
    throw ApiError(422, "Invalid",
                   t.GroupKind() + " \"\" is invalid: metadata.name: Required value: name or "
                                   "generateName is required",
                   {{"group", t.group}, {"kind", t.kind},
                    {"causes", json::array({{{"reason", c[0].reason}, {"message", c[0].message},
                                             {"field", c[0].field}}})}});
  }
  if (!Str(meta, "resourceVersion").empty()) {
    throw ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created");
  }
  std::string name = Str(meta, "name");
  CheckNamespaceLocked(t, ns, true);
  for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "selfLink",
                        "resourceVersion"}) {
    meta.erase(k);
  }
  if (t.status_subresource) {
    obj.erase("status");
  }
  PrepareBuiltin(t, obj);
  if (t.kind == "Namespace" && !t.custom) {
    obj["spec"]["finalizers"] = json::array({"kubernetes"});
    obj["status"] = {{"phase", "Active"}};
  }
  WriteResult r;
  r.warnings = AdmitLocked(t, obj, o);
  if (FindLocked(t, ns, name) != nullptr) {
    throw ApiError(409, "AlreadyExists", t.GroupResource() + " \"" + name + "\" already exists",
                   NotFoundDetails(t, name));
  }
  json& m = obj["metadata"];
  m["uid"] = NewUid();
  m["creationTimestamp"] = NowRfc3339();
  if (t.custom) {
    m["generation"] = 1;
  }
  r.created = true;
  if (o.dry_run) {
    r.object = obj;
    return r;
  }
  m["resourceVersion"] = std::to_string(++rv_);
  std::string key = ObjectKey(t.namespaced ? ns : "", name);
  Bucket(t)[key] = obj;
  by_uid_[m["uid"].get<std::string>()] = {&t, key};
  RecordLocked(t, "ADDED", obj, nullptr);
  r.object = obj;
  return r;
}

json Store::Get(const ResourceType& t, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  json* cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                   NotFoundDetails(t, name));
  }
  return *cur;
}

WriteResult Store::Update(const ResourceType& t, const std::string& ns, const std::string& name,
                          json obj, const WriteOptions& o, bool status) {
  std::lock_guard<std::mutex> lock(mu_);
  return UpdateLocked(t, ns, name, std::move(obj), o, status, false);
}

WriteResult Store::Patch(const ResourceType& t, const std::string& ns, const std::string& name,
                         const std::function<json(const json&)>& mutate, const WriteOptions& o,
                         bool status) {
  std::lock_guard<std::mutex> lock(mu_);
  json* cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                   NotFoundDetails(t, name));
  }
  json next = mutate(*cur);
  return UpdateLocked(t, ns, name, std::move(next), o, status, false);
}

WriteResult Store::UpdateLocked(const ResourceType& t, const std::string& ns,
                                const std::string& name, json obj, const WriteOptions& o,
                                bool status, bool keep_managed_fields) {
  json& meta = EnsureMeta(t, obj);
  CheckKind(t, obj);
  if (Str(meta, "name").empty()) {
    meta["name"] = name;
  }
  if (Str(meta, "name") != name) {
    throw ApiError(400, "BadRequest", "the name of the object (" + Str(meta, "name") +
                                          ") does not match the name on the URL (" + name + ")");
  }
  json* cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                   NotFoundDetails(t, name));
  }
  if (t.namespaced && !Str(meta, "namespace").empty() && Str(meta, "namespace") != ns) {
    throw ApiError(400, "BadRequest",
                   "the namespace of the provided object does not match the namespace sent on "
                   "the request");
  }
  const json old = *cur;
  const json& old_meta = old["metadata"];
  std::string want_rv = Str(meta, "resourceVersion");
  if (!want_rv.empty() && want_rv != Str(old_meta, "resourceVersion")) {
    throw ApiError(409, "Conflict",
                   "Operation cannot be fulfilled on " + t.GroupResource() + " \"" + name +
                       "\": the object has been modified; please apply your changes to the "
                       "latest version and try again",
                   NotFoundDetails(t, name));
  }
  json next;
  if (status) {
    next = old;
    if (obj.contains("status")) {
      next["status"] = obj["status"];
    } else {
      next.erase("status");
    }
    if (keep_managed_fields) {
      next["metadata"]["managedFields"] = meta.value("managedFields", json::array());
    }
  } else {
    next = obj;
    if (t.status_subresource) {
      if (old.contains("status")) {
        next["status"] = old["status"];
      } else {
        next.erase("status");
      }
    }
    json& nm = next["metadata"];
    for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation", "namespace"}) {
      if (old_meta.contains(k)) {
        nm[k] = old_meta[k];
      } else {
        nm.erase(k);
      }
    }
    nm.erase("selfLink");
    if (!keep_managed_fields) {
      if (old_meta.contains("managedFields")) {
        nm["managedFields"] = old_meta["managedFields"];
      } else {
        nm.erase("managedFields");
      }
    }
    if (t.kind == "Namespace" && !t.custom && old.contains("status")) {
      next["status"] = old["status"];  // namespace status is written by the server
    }
  }
  if (next["metadata"].contains("managedFields") && next["metadata"]["managedFields"].empty()) {
    next["metadata"].erase("managedFields");
  }
  PrepareBuiltin(t, next);
  WriteResult r;
  r.warnings = AdmitLocked(t, next, o);
  if (HasDeletion(old) && next["metadata"].contains("finalizers")) {
    std::set<std::string> had;
    if (old_meta.contains("finalizers")) {
      for (const auto& f : old_meta["finalizers"]) had.insert(f.get<std::string>());
    }
    for (const auto& f : next["metadata"]["finalizers"]) {
      if (!had.count(f.get<std::string>())) {
        throw ApiError(422, "Invalid",
                       t.GroupKind() + " \"" + name + "\" is invalid: metadata.finalizers: "
                       "Forbidden: no new finalizers can be added if the object is being deleted, "
                       "found new finalizers []string{" + Dump(f) + "}",
                       {{"name", name}, {"group", t.group}, {"kind", t.kind},
                        {"causes", json::array({{{"reason", "FieldValueForbidden"},
                                                 {"message", "Forbidden: no new finalizers can be "
                                                             "added if the object is being deleted"},
                                                 {"field", "metadata.finalizers"}}})}});
      }
    }
  }
  if (t.custom && GenerationPart(t, next) != GenerationPart(t, old)) {
    next["metadata"]["generation"] = old_meta.value("generation", 0) + 1;
  }
  next["metadata"]["resourceVersion"] = old_meta["resourceVersion"];
  if (next == old) {
    r.object = old;
    return r;
  }
  if (o.dry_run) {
    r.object = next;
    return r;
  }
  std::string key = ObjectKey(t.namespaced ? ns : "", name);
  if (HasDeletion(next) && !HasFinalizers(next)) {
    RemoveLocked(t, key);
    next["metadata"]["resourceVersion"] = std::to_string(rv_);
    r.object = next;
    return r;
  }
  next["metadata"]["resourceVersion"] = std::to_string(++rv_);
  *FindLocked(t, ns, name) = next;
  RecordLocked(t, "MODIFIED", next, old);
  r.object = next;
  return r;
}

std::pair<json, bool> Store::Delete(const ResourceType& t, const std::string& ns,
                                    const std::string& name, const DeleteOptions& o) {
  std::lock_guard<std::mutex> lock(mu_);
  return DeleteLocked(t, ns, name, o);
}

std::pair<json, bool> Store::DeleteLocked(const ResourceType& t, const std::string& ns,
                                          const std::string& name, const DeleteOptions& o) {
  json* cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                   NotFoundDetails(t, name));
  }
  const json& meta = (*cur)["metadata"];
  auto conflict = [&](const std::string& what, const std::string& want, const std::string& have) {
    throw ApiError(409, "Conflict",
                   "Operation cannot be fulfilled on " + t.GroupResource() + " \"" + name +
                       "\": Precondition failed: " + what + " in precondition: " + want + ", " +
                       what + " in object meta: " + have,
                   NotFoundDetails(t, name));
  };
  if (!o.precondition_uid.empty() && o.precondition_uid != Str(meta, "uid")) {
    conflict("UID", o.precondition_uid, Str(meta, "uid"));
  }
  if (!o.precondition_rv.empty() && o.precondition_rv != Str(meta, "resourceVersion")) {
    conflict("ResourceVersion", o.precondition_rv, Str(meta, "resourceVersion"));
  }
  if (o.dry_run) {
    return {*cur, false};
  }
  std::string uid = Str(meta, "uid");
  std::string key = ObjectKey(t.namespaced ? ns : "", name);
  if (&t == namespaces_) {
    if (!HasDeletion(*cur)) {
      json old = *cur;
      (*cur)["metadata"]["deletionTimestamp"] = NowRfc3339();
      (*cur)["status"]["phase"] = "Terminating";
      (*cur)["metadata"]["resourceVersion"] = std::to_string(++rv_);
      RecordLocked(t, "MODIFIED", *cur, old);
    }
    json snapshot = *cur;
    for (auto& [type, bucket] : objects_) {
      if (!type->namespaced) continue;
      std::vector<std::string> names;
      for (const auto& [k, obj] : bucket) {
        if (k.rfind(name + "/", 0) == 0) names.push_back(Str(obj["metadata"], "name"));
      }
      for (const auto& n : names) {
        if (FindLocked(*type, name, n) != nullptr) DeleteLocked(*type, name, n, DeleteOptions{});
      }
    }
    FinishNamespaceLocked(name);
    json* still = FindLocked(t, "", name);
    return {still ? *still : snapshot, still == nullptr};
  }
  if (o.propagation == "Orphan") {
    OrphanDependentsLocked(uid);
  } else if (o.propagation == "Foreground") {
    CollectGarbageLocked(uid, ns, t.namespaced);
  }
  cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                   NotFoundDetails(t, name));
  }
  if (HasFinalizers(*cur)) {
    if (!HasDeletion(*cur)) {
      json old = *cur;
      (*cur)["metadata"]["deletionTimestamp"] = NowRfc3339();
      (*cur)["metadata"]["deletionGracePeriodSeconds"] = 0;
      (*cur)["metadata"]["resourceVersion"] = std::to_string(++rv_);
      RecordLocked(t, "MODIFIED", *cur, old);
    }
    return {*cur, false};
  }
  json last = *cur;
  RemoveLocked(t, key);
  last["metadata"]["resourceVersion"] = std::to_string(rv_);
  return {last, true};
}

void Store::RemoveLocked(const ResourceType& t, const std::string& key) {
  Objects& b = Bucket(t);
  auto it = b.find(key);
  if (it == b.end()) {
    return;
  }
  json obj = std::move(it->second);
  b.erase(it);
  json previous = obj;
  std::string uid = Str(obj["metadata"], "uid");
  std::string ns = Str(obj["metadata"], "namespace");
  by_uid_.erase(uid);
  obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
  RecordLocked(t, "DELETED", obj, previous);
  CollectGarbageLocked(uid, ns, t.namespaced);
  if (t.namespaced) {
    FinishNamespaceLocked(ns);
  }
}

void Store::CollectGarbageLocked(const std::string& owner_uid, const std::string& owner_ns,
                                 bool owner_namespaced) {
  std::vector<std::pair<const ResourceType*, std::string>> dependents;
  for (auto& [type, bucket] : objects_) {
    for (const auto& [key, obj] : bucket) {
      if (owner_namespaced && Str(obj["metadata"], "namespace") != owner_ns) continue;
      if (OwnedBy(obj, owner_uid)) dependents.emplace_back(type, key);
    }
  }
  for (const auto& [type, key] : dependents) {
    auto it = Bucket(*type).find(key);
    if (it == Bucket(*type).end()) continue;
    json& obj = it->second;
    json live_refs = json::array();
    json kept_refs = json::array();
    for (const auto& ref : obj["metadata"]["ownerReferences"]) {
      std::string ref_uid = Str(ref, "uid");
      if (ref_uid == owner_uid) continue;
      kept_refs.push_back(ref);
      if (by_uid_.count(ref_uid)) live_refs.push_back(ref);
    }
    if (!live_refs.empty()) {
      json old = obj;
      obj["metadata"]["ownerReferences"] = kept_refs;
      obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
      RecordLocked(*type, "MODIFIED", obj, old);
      continue;
    }
    std::string ns = Str(obj["metadata"], "namespace");
    std::string name = Str(obj["metadata"], "name");
    DeleteLocked(*type, ns, name, DeleteOptions{});
  }
}

void Store::OrphanDependentsLocked(const std::string& owner_uid) {
  for (auto& [type, bucket] : objects_) {
    for (auto& [key, obj] : bucket) {
      (void)key;
      if (!OwnedBy(obj, owner_uid)) continue;
      json old = obj;
      json refs = json::array();
      for (const auto& ref : obj["metadata"]["ownerReferences"]) {
        if (Str(ref, "uid") != owner_uid) refs.push_back(ref);
      }
      if (refs.empty()) {
        obj["metadata"].erase("ownerReferences");
      } else {
        obj["metadata"]["ownerReferences"] = refs;
      }
      obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
      RecordLocked(*type, "MODIFIED", obj, old);
    }
  }
}

void Store::FinishNamespaceLocked(const std::string& ns) {
  if (namespaces_ == nullptr) return;
  json* nsobj = FindLocked(*namespaces_, "", ns);
  if (nsobj == nullptr || !HasDeletion(*nsobj)) return;
  for (auto& [type, bucket] : objects_) {
    if (!type->namespaced) continue;
    auto it = bucket.lower_bound(ns + "/");
    if (it != bucket.end() && it->first.rfind(ns + "/", 0) == 0) return;
  }
  RemoveLocked(*namespaces_, ObjectKey("", ns));
}

void Store::RecordLocked(const ResourceType& t, const std::string& kind, const json& obj,
                         const json& previous) {
  log_.push_back({rv_, &t, kind, obj, previous});
  if (log_.size() > 200000) {
    floor_ = log_.front().rv;
    log_.pop_front();
  }
  cv_.notify_all();
}

ListResult Store::List(const ResourceType& t, const std::string& ns, const ListOptions& o) {
  std::lock_guard<std::mutex> lock(mu_);
  ListResult r;
  r.resource_version = rv_;
  std::string start;
  if (!o.continue_token.empty()) {
    std::string raw = HexDecode(o.continue_token);
    auto colon = raw.find(':');
    if (colon == std::string::npos) {
      throw ApiError(400, "BadRequest", "continue key is not valid");
    }
    uint64_t token_rv = std::stoull(raw.substr(0, colon));
    start = raw.substr(colon + 1);
    if (token_rv < floor_) {
      throw ApiError(410, "Expired",
                     "The provided continue parameter is too old to display a consistent list "
                     "result. You can start a new list without the continue parameter, or use "
                     "the continue token in this response to retrieve the remainder of the "
                     "results. Continuing with the provided token results in an inconsistent "
                     "list - objects that were created, modified, or deleted between the time "
                     "the first chunk was returned and now may show up in the list.");
    }
    r.resource_version = token_rv;
  } else if (!o.resource_version.empty() && o.resource_version != "0") {
    uint64_t want = 0;
    try {
      want = std::stoull(o.resource_version);
    } catch (const std::exception&) {
      throw ApiError(400, "BadRequest", "invalid resource version: " + o.resource_version);
    }
    if (want > rv_) {
      throw ApiError(504, "Timeout",
                     "Too large resource version: " + o.resource_version + ", current: " +
                         std::to_string(rv_),
                     {{"causes", json::array({{{"reason", "ResourceVersionTooLarge"},
                                               {"message", "Too large resource version"}}})},
                      {"retryAfterSeconds", 1}});
    }
    if (o.resource_version_match == "Exact" && want != rv_) {
      throw ApiError(410, "Expired", "too old resource version: " + o.resource_version + " (" +
                                         std::to_string(rv_) + ")");
    }
  }
  Objects& b = Bucket(t);
  std::string prefix = (t.namespaced && !ns.empty()) ? ns + "/" : "";
  auto it = start.empty() ? b.lower_bound(prefix) : b.upper_bound(start);
  int64_t remaining = 0;
  std::string last_key;
  for (; it != b.end(); ++it) {
    if (!prefix.empty() && it->first.rfind(prefix, 0) != 0) break;
    if (!o.labels.Matches(it->second) || !o.fields.Matches(it->second)) continue;
    if (o.limit > 0 && static_cast<int64_t>(r.items.size()) >= o.limit) {
      ++remaining;
      continue;
    }
    r.items.push_back(it->second);
    last_key = it->first;
  }
  if (remaining > 0) {
    r.continue_token = HexEncode(std::to_string(r.resource_version) + ":" + last_key);
    if (o.labels.empty() && o.fields.empty()) r.remaining = remaining;
  }
  return r;
}

WatchWait Store::WaitEvents(const ResourceType& t, uint64_t* cursor,
                            std::vector<WatchEvent>* out,
                            std::chrono::steady_clock::time_point deadline, uint64_t drop_gen) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (closed_) return WatchWait::kClosed;
    if (drop_gen != drop_gen_) return WatchWait::kDropped;
    if (*cursor < floor_) return WatchWait::kExpired;
    auto it = std::upper_bound(log_.begin(), log_.end(), *cursor,
                               [](uint64_t rv, const WatchEvent& e) { return rv < e.rv; });
    for (; it != log_.end(); ++it) {
      if (it->type == &t) out->push_back(*it);
    }
    *cursor = std::max(*cursor, rv_);
    if (!out->empty()) return WatchWait::kEvents;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      if (closed_) return WatchWait::kClosed;
      if (drop_gen != drop_gen_) return WatchWait::kDropped;
      return WatchWait::kTimeout;
    }
  }
}

uint64_t Store::CurrentRv() {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

uint64_t Store::DropGeneration() {
  std::lock_guard<std::mutex> lock(mu_);
  return drop_gen_;
}

void Store::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  floor_ = rv_;
  log_.clear();
  cv_.notify_all();
}

void Store::DropWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++drop_gen_;
  cv_.notify_all();
}

void Store::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

}  // namespace od::testkube
