#include "adapters/devstore/object_rules.h"

#include <cstdio>
#include <ctime>

#include "core/resources/any_resource.h"
#include "core/resources/meta.h"

namespace od::adapters::devstore {
namespace {

using core::Errc;
using core::makeError;

std::string randomSuffix(core::Random& random, size_t n) {
  static constexpr std::string_view kChars = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kChars[random.next() % kChars.size()];
  }
  return s;
}

// Metadata fields only the store sets; a patch of the object cannot change them.
constexpr const char* kSystemMeta[] = {"uid", "resourceVersion", "generation",
                                       "creationTimestamp", "deletionTimestamp"};

}  // namespace

std::string stringAt(const Json& obj, std::string_view key) {
  if (!obj.is_object()) {
    return "";
  }
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : "";
}

std::string metaString(const Json& obj, std::string_view key) {
  if (!obj.is_object()) {
    return "";
  }
  auto meta = obj.find("metadata");
  return meta == obj.end() ? "" : stringAt(*meta, key);
}

std::map<std::string, std::string> labelsOf(const Json& obj) {
  std::map<std::string, std::string> out;
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return out;
  }
  const Json& meta = obj["metadata"];
  auto it = meta.find("labels");
  if (it == meta.end() || !it->is_object()) {
    return out;
  }
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) {
      out.emplace(k, v.get<std::string>());
    }
  }
  return out;
}

std::vector<std::string> ownerUids(const Json& obj) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return out;
  }
  const Json& meta = obj["metadata"];
  auto it = meta.find("ownerReferences");
  if (it == meta.end() || !it->is_array()) {
    return out;
  }
  for (const auto& ref : *it) {
    std::string uid = stringAt(ref, "uid");
    if (!uid.empty()) {
      out.push_back(uid);
    }
  }
  return out;
}

bool hasFinalizers(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return false;
  }
  auto it = obj["metadata"].find("finalizers");
  return it != obj["metadata"].end() && it->is_array() && !it->empty();
}

Json specPart(const Json& obj) {
  Json part = obj;
  if (part.is_object()) {
    part.erase("metadata");
    part.erase("status");
  }
  return part;
}

std::string rfc3339(core::Clock::TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<core::Clock::TimePoint> parseRfc3339(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed < 19) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  if (secs == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(secs);
}

std::string newUid(core::Random& random) {
  uint64_t a = random.next();
  uint64_t b = random.next();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

core::Status validateObject(const std::string& kind, const Json& obj) {
  std::string who = kind + " \"" + metaString(obj, "namespace") + "/" + metaString(obj, "name") +
                    "\" is invalid: ";
  auto decoded = core::decodeAnyResource(obj.dump());
  if (!decoded) {
    return core::makeError(core::Errc::Invalid, who + decoded.error().message);
  }
  if (!decoded->problems.empty()) {
    return core::makeError(core::Errc::Invalid, who + decoded->problems.describe());
  }
  return core::okStatus();
}

core::Status checkKind(const std::string& kind) {
  if (!core::kindFromName(kind)) {
    return makeError(Errc::Invalid, "unknown kind \"" + kind + "\" (want one of Depot, Module, "
                                    "Provider, Version, GroupBinding)");
  }
  return core::okStatus();
}

std::string describeRef(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + " \"" + ns + "/" + name + "\"";
}

core::Result<Json> prepareCreate(const std::string& kind, const std::string& name_space,
                                 const std::string& object_json, core::Random& random,
                                 core::Clock::TimePoint now) {
  if (auto k = checkKind(kind); !k) {
    return k.error();
  }
  Json obj = Json::parse(object_json, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) {
    return makeError(Errc::Invalid, kind + ": the body is not a JSON object");
  }
  std::string api_version = stringAt(obj, "apiVersion");
  std::string obj_kind = stringAt(obj, "kind");
  if ((!api_version.empty() && api_version != core::kApiVersion) ||
      (!obj_kind.empty() && obj_kind != kind)) {
    return makeError(Errc::Invalid, "the body is a " + api_version + " " + obj_kind + ", not a " +
                                        std::string(core::kApiVersion) + " " + kind);
  }
  obj["apiVersion"] = core::kApiVersion;
  obj["kind"] = kind;
  if (!obj.contains("metadata") || obj["metadata"].is_null()) {
    obj["metadata"] = Json::object();
  }
  Json& meta = obj["metadata"];
  if (!meta.is_object()) {
    return makeError(Errc::Invalid, kind + ": metadata must be an object");
  }
  std::string name = stringAt(meta, "name");
  if (name.empty() && !stringAt(meta, "generateName").empty()) {
    name = stringAt(meta, "generateName") + randomSuffix(random, 5);
  }
  if (name.empty()) {
    return makeError(Errc::Invalid, kind + ": metadata.name: name or generateName is required");
  }
  std::string ns = stringAt(meta, "namespace");
  if (!name_space.empty() && !ns.empty() && ns != name_space) {
    return makeError(Errc::Invalid, describeRef(kind, name_space, name) +
                                        ": the namespace of the object (" + ns +
                                        ") does not match the namespace of the request");
  }
  ns = !name_space.empty() ? name_space : (!ns.empty() ? ns : "default");
  if (!stringAt(meta, "resourceVersion").empty()) {
    return makeError(Errc::Invalid, describeRef(kind, ns, name) +
                                        ": metadata.resourceVersion must not be set on create");
  }
  for (const char* drop : {"uid", "resourceVersion", "generation", "creationTimestamp",
                           "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
                           "selfLink"}) {
    meta.erase(drop);
  }
  obj.erase("status");
  meta["name"] = name;
  meta["namespace"] = ns;
  meta["uid"] = newUid(random);
  meta["generation"] = 1;
  meta["creationTimestamp"] = rfc3339(now);
  return obj;
}

core::Result<Json> applyPatch(const Json& old, core::PatchType type, const std::string& body,
                              bool status) {
  const std::string kind = stringAt(old, "kind");
  const std::string who = describeRef(kind, metaString(old, "namespace"), metaString(old, "name"));
  Json patch = Json::parse(body, nullptr, false);
  if (patch.is_discarded()) {
    return makeError(Errc::Invalid, who + ": the patch is not JSON");
  }
  Json result;
  if (type == core::PatchType::Merge) {
    if (!patch.is_object()) {
      return makeError(Errc::Invalid, who + ": a merge patch must be a JSON object");
    }
    result = old;
    result.merge_patch(patch);
  } else {
    if (!patch.is_array()) {
      return makeError(Errc::Invalid, who + ": a JSON patch must be an array of operations");
    }
    try {
      result = old.patch(patch);
    } catch (const Json::exception& e) {
      return makeError(Errc::Invalid, who + ": the JSON patch does not apply: " + e.what());
    }
  }
  if (!result.is_object() || !result.contains("metadata") || !result["metadata"].is_object()) {
    return makeError(Errc::Invalid, who + ": the patch removes metadata");
  }
  for (const char* key : {"uid", "resourceVersion"}) {
    const Json& m = result["metadata"];
    if (m.contains(key) && !m[key].is_null() && metaString(result, key) != metaString(old, key)) {
      return makeError(Errc::Conflict, who + ": precondition failed: metadata." + key + " is " +
                                           metaString(old, key) + ", the patch expects " +
                                           (m[key].is_string() ? m[key].get<std::string>()
                                                               : m[key].dump()));
    }
  }
  for (const char* key : {"name", "namespace"}) {
    if (metaString(result, key) != metaString(old, key)) {
      return makeError(Errc::Invalid, who + ": metadata." + key + " cannot change");
    }
  }
  if (stringAt(result, "kind") != kind || stringAt(result, "apiVersion") != core::kApiVersion) {
    return makeError(Errc::Invalid, who + ": kind and apiVersion cannot change");
  }
  Json next = status ? old : result;
  const Json& status_from = status ? result : old;
  if (status_from.contains("status")) {
    next["status"] = status_from["status"];
  } else {
    next.erase("status");
  }
  if (!status) {
    for (const char* key : kSystemMeta) {
      if (old["metadata"].contains(key)) {
        next["metadata"][key] = old["metadata"][key];
      } else {
        next["metadata"].erase(key);
      }
    }
  }
  return next;
}

}  // namespace od::adapters::devstore
