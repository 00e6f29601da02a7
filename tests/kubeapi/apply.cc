// Server-side apply, simplified (see store.h DESIGN).
#include <set>

#include "tests/kubeapi/store.h"

namespace od::testkube {
namespace {

using Path = std::vector<std::string>;

void LeafPaths(const json& v, Path& prefix, std::set<Path>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [k, child] : v.items()) {
      prefix.push_back(k);
      LeafPaths(child, prefix, out);
      prefix.pop_back();
    }
    return;
  }
  out.insert(prefix);
}

// The fields an applied configuration sets. Identity and server-managed fields are not
// owned; main-resource applies never own status, status applies own only status.
std::set<Path> AppliedFields(const json& applied, bool status) {
  std::set<Path> out;
  Path prefix;
  for (const auto& [k, v] : applied.items()) {
    if (k == "apiVersion" || k == "kind") continue;
    if (status != (k == "status")) continue;
    if (k == "metadata") {
      for (const char* mk : {"labels", "annotations"}) {
        if (v.contains(mk) && v[mk].is_object()) {
          for (const auto& [lk, lv] : v[mk].items()) {
            (void)lv;
            out.insert({"metadata", mk, lk});
          }
        }
      }
      for (const char* mk : {"finalizers", "ownerReferences"}) {
        if (v.contains(mk)) out.insert({"metadata", mk});
      }
      continue;
    }
    prefix = {k};
    LeafPaths(v, prefix, out);
  }
  return out;
}

json ToFieldsV1(const std::set<Path>& fields) {
  json root = json::object();
  for (const Path& p : fields) {
    json* node = &root;
    for (const auto& seg : p) {
      node = &(*node)["f:" + seg];
      if (node->is_null()) *node = json::object();
    }
  }
  return root;
}

void FromFieldsV1(const json& node, Path& prefix, std::set<Path>& out) {
  if (!node.is_object()) return;
  bool leaf = true;
  for (const auto& [k, child] : node.items()) {
    if (k.rfind("f:", 0) != 0) continue;
    leaf = false;
    prefix.push_back(k.substr(2));
    FromFieldsV1(child, prefix, out);
    prefix.pop_back();
  }
  if (leaf && !prefix.empty()) out.insert(prefix);
}

std::set<Path> FieldsOf(const json& entry) {
  std::set<Path> out;
  Path prefix;
  if (entry.contains("fieldsV1")) FromFieldsV1(entry["fieldsV1"], prefix, out);
  return out;
}

const json* ValueAt(const json& obj, const Path& p) {
  const json* node = &obj;
  for (const auto& seg : p) {
    if (!node->is_object() || !node->contains(seg)) return nullptr;
    node = &(*node)[seg];
  }
  return node;
}

void RemoveAt(json& obj, const Path& p) {
  json* node = &obj;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (!node->is_object() || !node->contains(p[i])) return;
    node = &(*node)[p[i]];
  }
  if (node->is_object()) node->erase(p.back());
}

void MergeInto(json& dst, const json& src) {
  for (const auto& [k, v] : src.items()) {
    if (v.is_null()) continue;
    if (v.is_object() && dst.contains(k) && dst[k].is_object()) {
      MergeInto(dst[k], v);
    } else {
      dst[k] = v;
    }
  }
}

std::string DotPath(const Path& p) {
  std::string s;
  for (const auto& seg : p) s += "." + seg;
  return s;
}

}  // namespace

WriteResult Store::Apply(const ResourceType& t, const std::string& ns, const std::string& name,
                         json applied, const WriteOptions& o, bool status, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!applied.is_object()) {
    throw ApiError(400, "BadRequest", "error decoding YAML: the apply configuration must be an object");
  }
  if (o.field_manager.empty()) {
    throw ApiError(422, "Invalid",
                   "PATCH " + t.GroupResource() + " \"" + name +
                       "\": fieldManager: Required value: is required for apply patch");
  }
  if (!applied.contains("apiVersion") || !applied.contains("kind")) {
    throw ApiError(400, "BadRequest",
                   "invalid object type: apply configurations need apiVersion and kind");
  }
  if (!applied.contains("metadata") || !applied["metadata"].is_object()) {
    applied["metadata"] = json::object();
  }
  std::string body_name = applied["metadata"].value("name", "");
  if (!body_name.empty() && body_name != name) {
    throw ApiError(400, "BadRequest", "the name of the object (" + body_name +
                                          ") does not match the name on the URL (" + name + ")");
  }
  std::set<Path> mine = AppliedFields(applied, status);
  json entry = {{"manager", o.field_manager}, {"operation", "Apply"},
                {"apiVersion", t.ApiVersion()}, {"time", NowRfc3339()},
                {"fieldsType", "FieldsV1"}, {"fieldsV1", ToFieldsV1(mine)}};
  if (status) entry["subresource"] = "status";
  json* cur = FindLocked(t, ns, name);
  if (cur == nullptr) {
    if (status) {
      throw ApiError(404, "NotFound", t.GroupResource() + " \"" + name + "\" not found",
                     {{"name", name}, {"group", t.group}, {"kind", t.plural}});
    }
    json obj = applied;
    obj["metadata"]["name"] = name;
    obj["metadata"]["managedFields"] = json::array({entry});
    WriteResult r = CreateLocked(t, ns, obj, o);
    return r;
  }
  const std::string sub = status ? "status" : "";
  json managed = (*cur)["metadata"].value("managedFields", json::array());
  std::map<std::string, std::vector<Path>> conflicts;
  for (auto& e : managed) {
    if (e.value("operation", "") != "Apply" || e.value("manager", "") == o.field_manager ||
        e.value("subresource", "") != sub) {
      continue;
    }
    std::set<Path> theirs = FieldsOf(e);
    std::set<Path> kept;
    for (const Path& p : theirs) {
      const json* live = ValueAt(*cur, p);
      const json* want = ValueAt(applied, p);
      bool clash = mine.count(p) && want != nullptr && (live == nullptr || *live != *want);
      if (clash) {
        conflicts[e.value("manager", "")].push_back(p);
        if (!force) kept.insert(p);
      } else {
        kept.insert(p);
      }
    }
    e["fieldsV1"] = ToFieldsV1(kept);
  }
  if (!conflicts.empty() && !force) {
    size_t n = 0;
    json causes = json::array();
    std::string detail;
    for (const auto& [mgr, paths] : conflicts) {
      for (const Path& p : paths) {
        ++n;
        causes.push_back({{"reason", "FieldManagerConflict"},
                          {"message", "conflict with \"" + mgr + "\""},
                          {"field", DotPath(p)}});
        detail += (detail.empty() ? "" : "\n") + std::string("conflict with \"") + mgr + "\": " +
                  DotPath(p);
      }
    }
    std::string msg = "Apply failed with " + std::to_string(n) + " conflict" +
                      (n == 1 ? "" : "s") + ": " + detail;
    throw ApiError(409, "Conflict", msg,
                   {{"name", name}, {"group", t.group}, {"kind", t.plural}, {"causes", causes}});
  }
  std::set<Path> others;
  std::set<Path> previously_mine;
  json next_managed = json::array();
  for (const auto& e : managed) {
    bool is_mine = e.value("manager", "") == o.field_manager &&
                   e.value("operation", "") == "Apply" && e.value("subresource", "") == sub;
    std::set<Path> f = FieldsOf(e);
    if (is_mine) {
      previously_mine = f;
      continue;
    }
    if (e.value("subresource", "") == sub) others.insert(f.begin(), f.end());
    if (!f.empty()) next_managed.push_back(e);
  }
  json next = *cur;
  for (const Path& p : previously_mine) {
    if (!mine.count(p) && !others.count(p)) RemoveAt(next, p);
  }
  json body = applied;
  body.erase("apiVersion");
  body.erase("kind");
  json body_meta = body["metadata"];
  body.erase("metadata");
  if (status) {
    json s = body.contains("status") ? body["status"] : json::object();
    body = {{"status", s}};
  } else {
    body.erase("status");
  }
  MergeInto(next, body);
  for (const char* mk : {"labels", "annotations"}) {
    if (body_meta.contains(mk) && body_meta[mk].is_object()) {
      MergeInto(next["metadata"][mk], body_meta[mk]);
    }
  }
  for (const char* mk : {"finalizers", "ownerReferences"}) {
    if (body_meta.contains(mk)) next["metadata"][mk] = body_meta[mk];
  }
  if (body_meta.contains("resourceVersion")) {
    next["metadata"]["resourceVersion"] = body_meta["resourceVersion"];
  }
  // Keep the earlier time when this manager's fields did not change.
  for (const auto& e : managed) {
    if (e.value("manager", "") == o.field_manager && e.value("operation", "") == "Apply" &&
        e.value("subresource", "") == sub && FieldsOf(e) == mine) {
      entry["time"] = e["time"];
    }
  }
  if (!mine.empty()) next_managed.push_back(entry);
  next["metadata"]["managedFields"] = next_managed;
  return UpdateLocked(t, ns, name, std::move(next), o, status, true);
}

}  // namespace od::testkube
