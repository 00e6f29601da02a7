#include "tests/kubeapi/schema.h"

#include <cmath>
#include <regex>
#include <set>

namespace od::testkube {
namespace {

bool Flag(const json& schema, const char* name) {
  auto it = schema.find(name);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

std::string IndexPath(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void Prune(const json& schema, json& value, const std::string& path,
           std::vector<std::string>& unknown);

void PruneObject(const json& schema, json& value, const std::string& path,
                 std::vector<std::string>& unknown) {
  const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
  const json* additional = nullptr;
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    additional = &schema["additionalProperties"];
  }
  bool preserve = Flag(schema, "x-kubernetes-preserve-unknown-fields") ||
                  (schema.contains("additionalProperties") &&
                   schema["additionalProperties"].is_boolean() &&
                   schema["additionalProperties"].get<bool>());
  for (auto it = value.begin(); it != value.end();) {
    const json* sub = nullptr;
    if (props != nullptr && props->contains(it.key())) {
      sub = &(*props)[it.key()];
    } else if (additional != nullptr) {
      sub = additional;
    }
    std::string child = JoinPath(path, it.key());
    if (sub == nullptr) {
      if (preserve) {
        ++it;
        continue;
      }
      unknown.push_back(child);
      it = value.erase(it);
      continue;
    }
    if (it->is_null() && !Flag(*sub, "nullable")) {
      it = value.erase(it);
      continue;
    }
    Prune(*sub, *it, child, unknown);
    ++it;
  }
}

void Prune(const json& schema, json& value, const std::string& path,
           std::vector<std::string>& unknown) {
  if (value.is_object()) {
    bool typed_object = schema.value("type", "") == "object" || schema.contains("properties") ||
                        schema.contains("additionalProperties");
    if (typed_object || !Flag(schema, "x-kubernetes-preserve-unknown-fields")) {
      if (typed_object) {
        PruneObject(schema, value, path, unknown);
      }
    }
  } else if (value.is_array() && schema.contains("items") && schema["items"].is_object()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i].is_null() && !Flag(schema["items"], "nullable")) {
        continue;  // validated later as a type error, as the real server does
      }
      Prune(schema["items"], value[i], IndexPath(path, i), unknown);
    }
  }
}

void Default(const json& schema, json& value) {
  if (value.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    for (const auto& [key, sub] : schema["properties"].items()) {
      if (!value.contains(key) && sub.contains("default")) {
        value[key] = sub["default"];
      }
      if (value.contains(key)) {
        Default(sub, value[key]);
      }
    }
  }
  if (value.is_object() && schema.contains("additionalProperties") &&
      schema["additionalProperties"].is_object()) {
    for (auto& [key, child] : value.items()) {
      (void)key;
      Default(schema["additionalProperties"], child);
    }
  }
  if (value.is_array() && schema.contains("items") && schema["items"].is_object()) {
    for (auto& item : value) {
      Default(schema["items"], item);
    }
  }
}

std::string TypeName(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number_float()) {
    double d = v.get<double>();
    return (std::isfinite(d) && std::floor(d) == d) ? "integer" : "number";
  }
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  return "null";
}

bool TypeMatches(const std::string& want, const json& v) {
  std::string have = TypeName(v);
  if (want == have) return true;
  if (want == "number" && have == "integer") return true;
  return false;
}

struct Validator {
  std::vector<FieldCause> errors;

  void Add(const std::string& reason, const std::string& field, const std::string& message) {
    errors.push_back({reason, field, message});
  }
  void Invalid(const std::string& field, const json& v, const std::string& detail) {
    Add("FieldValueInvalid", field, "Invalid value: " + GoValue(v) + ": " + detail);
  }

  void Check(const json& s, const json& v, const std::string& path);
  void CheckNumber(const json& s, const json& v, const std::string& path);
  void CheckString(const json& s, const json& v, const std::string& path);
  void CheckArray(const json& s, const json& v, const std::string& path);
  void CheckObject(const json& s, const json& v, const std::string& path);
  void CheckCombinators(const json& s, const json& v, const std::string& path);
};

void Validator::Check(const json& s, const json& v, const std::string& path) {
  if (!s.is_object()) {
    return;
  }
  if (v.is_null()) {
    if (!Flag(s, "nullable") && s.contains("type")) {
      Invalid(path, "null", path + " in body must be of type " + s["type"].get<std::string>() +
                                ": \"null\"");
    }
    return;
  }
  if (Flag(s, "x-kubernetes-int-or-string")) {
    if (!v.is_string() && TypeName(v) != "integer") {
      Invalid(path, TypeName(v), path + " in body must be of type integer,string: \"" +
                                     TypeName(v) + "\"");
      return;
    }
  } else if (s.contains("type") && s["type"].is_string()) {
    std::string want = s["type"];
    if (!TypeMatches(want, v)) {
      Invalid(path, TypeName(v),
              path + " in body must be of type " + want + ": \"" + TypeName(v) + "\"");
      return;
    }
  }
  if (s.contains("enum") && s["enum"].is_array()) {
    bool found = false;
    for (const auto& e : s["enum"]) {
      found = found || e == v;
    }
    if (!found) {
      std::string values;
      for (const auto& e : s["enum"]) {
        values += (values.empty() ? "" : ", ") + Dump(e);
      }
      Add("FieldValueNotSupported", path,
          "Unsupported value: " + Dump(v) + ": supported values: " + values);
    }
  }
  if (v.is_number()) CheckNumber(s, v, path);
  if (v.is_string()) CheckString(s, v, path);
  if (v.is_array()) CheckArray(s, v, path);
  if (v.is_object()) CheckObject(s, v, path);
  CheckCombinators(s, v, path);
}

void Validator::CheckNumber(const json& s, const json& v, const std::string& path) {
  double d = v.get<double>();
  auto num = [&](const char* k) -> const json* {
    return s.contains(k) && s[k].is_number() ? &s[k] : nullptr;
  };
  if (const json* m = num("minimum")) {
    bool excl = Flag(s, "exclusiveMinimum");
    if (excl ? d <= m->get<double>() : d < m->get<double>()) {
      Invalid(path, v, path + " in body should be greater than " +
                           std::string(excl ? "" : "or equal to ") + Dump(*m));
    }
  }
  if (const json* m = num("maximum")) {
    bool excl = Flag(s, "exclusiveMaximum");
    if (excl ? d >= m->get<double>() : d > m->get<double>()) {
      Invalid(path, v, path + " in body should be less than " +
                           std::string(excl ? "" : "or equal to ") + Dump(*m));
    }
  }
  if (const json* m = num("multipleOf")) {
    double q = d / m->get<double>();
    if (m->get<double>() != 0 && std::fabs(q - std::round(q)) > 1e-9) {
      Invalid(path, v, path + " in body should be a multiple of " + Dump(*m));
    }
  }
  std::string format = s.value("format", "");
  if (format == "int32" && (d < -2147483648.0 || d > 2147483647.0)) {
    Invalid(path, v, path + " in body must be of type int32: " + Dump(v));
  }
}

size_t Utf8Length(const std::string& str) {
  size_t n = 0;
  for (unsigned char c : str) {
    n += (c & 0xC0) != 0x80;
  }
  return n;
}

void Validator::CheckString(const json& s, const json& v, const std::string& path) {
  const std::string& str = v.get_ref<const std::string&>();
  size_t len = Utf8Length(str);
  if (s.contains("minLength") && s["minLength"].is_number() &&
      len < s["minLength"].get<size_t>()) {
    Invalid(path, v, path + " in body should be at least " + Dump(s["minLength"]) +
                         " chars long");
  }
  if (s.contains("maxLength") && s["maxLength"].is_number() &&
      len > s["maxLength"].get<size_t>()) {
    Add("FieldValueTooLong", path,
        "Too long: may not be more than " + Dump(s["maxLength"]) + " bytes");
  }
  if (s.contains("pattern") && s["pattern"].is_string() && str.size() <= 16384) {
    const std::string& pattern = s["pattern"].get_ref<const std::string&>();
    try {
      if (!std::regex_search(str, std::regex(pattern, std::regex::ECMAScript))) {
        Invalid(path, v, path + " in body should match '" + pattern + "'");
      }
    } catch (const std::regex_error&) {
      // A pattern std::regex cannot compile is not checked (RE2-only syntax).
    }
  }
  std::string format = s.value("format", "");
  if (format == "date-time") {
    static const std::regex kDateTime(
        R"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))");
    if (str.size() > 64 || !std::regex_match(str, kDateTime)) {
      Invalid(path, v, path + " in body must be of type date-time: " + Dump(v));
    }
  }
}

void Validator::CheckArray(const json& s, const json& v, const std::string& path) {
  if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) {
    Invalid(path, static_cast<int64_t>(v.size()),
            path + " in body should have at least " + Dump(s["minItems"]) + " items");
  }
  if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) {
    Add("FieldValueTooMany", path,
        "Too many: " + std::to_string(v.size()) + ": must have at most " +
            Dump(s["maxItems"]) + " items");
  }
  std::string list_type = s.value("x-kubernetes-list-type", "");
  if (list_type == "set" || Flag(s, "uniqueItems")) {
    for (size_t i = 0; i < v.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (v[i] == v[j]) {
          Add("FieldValueDuplicate", IndexPath(path, i), "Duplicate value: " + Dump(v[i]));
          break;
        }
      }
    }
  } else if (list_type == "map" && s.contains("x-kubernetes-list-map-keys")) {
    std::set<std::string> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_object()) {
        continue;
      }
      json key = json::object();
      for (const auto& k : s["x-kubernetes-list-map-keys"]) {
        std::string name = k.get<std::string>();
        if (v[i].contains(name)) {
          key[name] = v[i][name];
        }
      }
      if (!seen.insert(Dump(key)).second) {
        Add("FieldValueDuplicate", IndexPath(path, i), "Duplicate value: " + Dump(key));
      }
    }
  }
  if (s.contains("items") && s["items"].is_object()) {
    for (size_t i = 0; i < v.size(); ++i) {
      Check(s["items"], v[i], IndexPath(path, i));
    }
  }
}

void Validator::CheckObject(const json& s, const json& v, const std::string& path) {
  if (s.contains("required") && s["required"].is_array()) {
    for (const auto& r : s["required"]) {
      if (r.is_string() && !v.contains(r.get<std::string>())) {
        Add("FieldValueRequired", JoinPath(path, r.get<std::string>()), "Required value");
      }
    }
  }
  if (s.contains("minProperties") && v.size() < s["minProperties"].get<size_t>()) {
    Invalid(path, static_cast<int64_t>(v.size()),
            path + " in body should have at least " + Dump(s["minProperties"]) + " properties");
  }
  if (s.contains("maxProperties") && v.size() > s["maxProperties"].get<size_t>()) {
    Add("FieldValueTooMany", path,
        "Too many: " + std::to_string(v.size()) + ": must have at most " +
            Dump(s["maxProperties"]) + " items");
  }
  for (const auto& [key, child] : v.items()) {
    if (s.contains("properties") && s["properties"].contains(key)) {
      Check(s["properties"][key], child, JoinPath(path, key));
    } else if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
      Check(s["additionalProperties"], child, JoinPath(path, key));
    }
  }
}

void Validator::CheckCombinators(const json& s, const json& v, const std::string& path) {
  auto passes = [&](const json& sub) {
    Validator inner;
    inner.Check(sub, v, path);
    return inner.errors.empty();
  };
  if (s.contains("allOf") && s["allOf"].is_array()) {
    for (const auto& sub : s["allOf"]) {
      Check(sub, v, path);
    }
  }
  if (s.contains("anyOf") && s["anyOf"].is_array()) {
    bool any = false;
    for (const auto& sub : s["anyOf"]) {
      any = any || passes(sub);
    }
    if (!any) {
      Invalid(path, TypeName(v), path + " in body must validate at least one schema (anyOf)");
    }
  }
  if (s.contains("oneOf") && s["oneOf"].is_array()) {
    int n = 0;
    for (const auto& sub : s["oneOf"]) {
      n += passes(sub) ? 1 : 0;
    }
    if (n != 1) {
      Invalid(path, TypeName(v),
              path + " in body must validate one and only one schema (oneOf)");
    }
  }
  if (s.contains("not") && s["not"].is_object() && passes(s["not"])) {
    Invalid(path, TypeName(v), path + " in body must not validate the schema (not)");
  }
}

}  // namespace

bool IsObjectMetaField(const std::string& name) {
  static const std::set<std::string> kFields = {
      "name",           "generateName",      "namespace",       "selfLink",
      "uid",            "resourceVersion",   "generation",      "creationTimestamp",
      "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
      "ownerReferences", "finalizers",       "managedFields"};
  return kFields.count(name) > 0;
}

std::string GoValue(const json& v) {
  if (v.is_object()) return "\"object\"";
  if (v.is_array()) return "\"array\"";
  return Dump(v);
}

std::vector<std::string> PruneAndDefault(const json& schema, json& obj) {
  std::vector<std::string> unknown;
  if (!obj.is_object()) {
    return unknown;
  }
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    json& meta = obj["metadata"];
    for (auto it = meta.begin(); it != meta.end();) {
      if (!IsObjectMetaField(it.key())) {
        unknown.push_back("metadata." + it.key());
        it = meta.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto it = obj.begin(); it != obj.end();) {
    const std::string key = it.key();
    if (key == "apiVersion" || key == "kind" || key == "metadata") {
      ++it;
      continue;
    }
    const json* sub = nullptr;
    if (schema.contains("properties") && schema["properties"].contains(key)) {
      sub = &schema["properties"][key];
    }
    if (sub == nullptr) {
      if (Flag(schema, "x-kubernetes-preserve-unknown-fields")) {
        ++it;
        continue;
      }
      unknown.push_back(key);
      it = obj.erase(it);
      continue;
    }
    if (it->is_null() && !Flag(*sub, "nullable")) {
      it = obj.erase(it);
      continue;
    }
    Prune(*sub, *it, key, unknown);
    ++it;
  }
  json copy = schema;
  if (copy.contains("properties")) {
    copy["properties"].erase("metadata");
  }
  Default(copy, obj);
  return unknown;
}

std::vector<FieldCause> ValidateObject(const json& schema, const json& obj) {
  Validator v;
  json copy = schema;
  if (copy.contains("properties")) {
    copy["properties"].erase("metadata");
    copy["properties"].erase("apiVersion");
    copy["properties"].erase("kind");
  }
  if (copy.contains("required") && copy["required"].is_array()) {
    json req = json::array();
    for (const auto& r : copy["required"]) {
      if (r != "metadata" && r != "apiVersion" && r != "kind") {
        req.push_back(r);
      }
    }
    copy["required"] = req;
  }
  json body = obj;
  body.erase("metadata");
  body.erase("apiVersion");
  body.erase("kind");
  v.Check(copy, body, "");
  return v.errors;
}

}  // namespace od::testkube

