// Discovery, OpenAPI v3 documents, CRD loading and the built-in types of TestApiServer.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/kubeapi/api_server.h"

namespace od::testkube {
namespace {

const json kVerbs = {"create", "delete", "deletecollection", "get", "list", "patch",
                     "update", "watch"};

json Param(const std::string& name, const std::string& in, const std::string& type,
           bool required = false) {
  json p = {{"name", name}, {"in", in}, {"schema", {{"type", type}}}};
  if (required) p["required"] = true;
  if (name == "fieldValidation") {
    p["description"] =
        "fieldValidation instructs the server on how to handle objects in the request "
        "containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.";
    p["schema"]["uniqueItems"] = true;
  }
  return p;
}

std::string DefName(const ResourceType& t) {
  if (t.group.empty()) return "io.k8s.api.core." + t.version + "." + t.kind;
  std::string rev;
  std::string g = t.group;
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= g.size()) {
    size_t dot = g.find('.', pos);
    if (dot == std::string::npos) dot = g.size();
    parts.push_back(g.substr(pos, dot - pos));
    pos = dot + 1;
  }
  std::reverse(parts.begin(), parts.end());
  for (const auto& p : parts) rev += (rev.empty() ? "" : ".") + p;
  return rev + "." + t.version + "." + t.kind;
}

std::string Capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

json Operation(const ResourceType& t, const std::string& action, const std::string& op_id,
               bool status) {
  std::string ref = "#/components/schemas/" + DefName(t);
  json op = {{"operationId", op_id},
             {"tags", json::array({t.group.empty() ? "core_" + t.version
                                                   : t.group + "_" + t.version})},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind",
              {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
             {"responses",
              {{"200", {{"description", "OK"},
                        {"content", {{"application/json", {{"schema", {{"$ref", ref}}}}}}}}},
               {"401", {{"description", "Unauthorized"}}}}}};
  json params = json::array();
  if (action == "patch" || action == "put" || action == "post") {
    params.push_back(Param("dryRun", "query", "string"));
    params.push_back(Param("fieldManager", "query", "string"));
    params.push_back(Param("fieldValidation", "query", "string"));
  }
  if (action == "patch") {
    params.push_back(Param("force", "query", "boolean"));
    json patch_schema = {{"schema", {{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}}};
    op["requestBody"] = {{"content",
                          {{"application/json-patch+json", patch_schema},
                           {"application/merge-patch+json", patch_schema},
                           {"application/apply-patch+yaml", patch_schema}}},
                         {"required", true}};
  }
  if (action == "put" || action == "post") {
    op["requestBody"] = {{"content", {{"application/json", {{"schema", {{"$ref", ref}}}}}}},
                         {"required", true}};
  }
  if (action == "list" || action == "watch") {
    for (const char* q : {"labelSelector", "fieldSelector", "continue", "resourceVersion"}) {
      params.push_back(Param(q, "query", "string"));
    }
    params.push_back(Param("limit", "query", "integer"));
    params.push_back(Param("watch", "query", "boolean"));
  }
  op["parameters"] = params;
  (void)status;
  return op;
}

}  // namespace

void TestApiServer::RegisterBuiltins() {
  auto core = [](std::string kind, std::string plural, bool namespaced, json schema) {
    ResourceType t;
    t.group = "";
    t.version = "v1";
    t.kind = kind;
    t.list_kind = kind + "List";
    t.plural = plural;
    t.singular = kind;
    std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
    t.namespaced = namespaced;
    t.custom = false;
    t.schema = std::move(schema);
    return t;
  };
  json str_map = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  ResourceType ns = core("Namespace", "namespaces", false,
                         {{"type", "object"},
                          {"properties",
                           {{"spec", {{"type", "object"},
                                      {"properties", {{"finalizers", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}},
                            {"status", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}});
  ns.short_names = {"ns"};
  ns.status_subresource = true;
  ns.field_labels = {"metadata.name", "status.phase"};
  store_.AddType(ns);
  ResourceType cm = core("ConfigMap", "configmaps", true,
                         {{"type", "object"},
                          {"properties", {{"data", str_map}, {"binaryData", str_map},
                                          {"immutable", {{"type", "boolean"}}}}}});
  cm.short_names = {"cm"};
  store_.AddType(cm);
  ResourceType secret = core("Secret", "secrets", true,
                             {{"type", "object"},
                              {"properties", {{"data", str_map}, {"type", {{"type", "string"}}},
                                              {"immutable", {{"type", "boolean"}}}}}});
  secret.field_labels = {"metadata.name", "metadata.namespace", "type"};
  store_.AddType(secret);
  ResourceType crd;
  crd.group = "apiextensions.k8s.io";
  crd.version = "v1";
  crd.kind = "CustomResourceDefinition";
  crd.list_kind = "CustomResourceDefinitionList";
  crd.plural = "customresourcedefinitions";
  crd.singular = "customresourcedefinition";
  crd.short_names = {"crd", "crds"};
  crd.namespaced = false;
  crd.custom = false;
  crd.status_subresource = true;
  crd.schema = {{"type", "object"},
                {"properties",
                 {{"spec", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                  {"status", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}};
  store_.AddType(crd);
  WriteOptions o;
  o.field_validation = "Ignore";
  const ResourceType* nst = store_.Find("", "v1", "namespaces");
  for (const char* n : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    store_.Create(*nst, "", {{"metadata", {{"name", n}}}}, o);
  }
}

void TestApiServer::AddCrd(const json& crd) {
  if (!crd.is_object() || crd.value("kind", "") != "CustomResourceDefinition" ||
      !crd.contains("spec") || !crd["spec"].is_object()) {
    throw std::runtime_error("not a CustomResourceDefinition");
  }
  const json& spec = crd["spec"];
  const json names = spec.value("names", json::object());
  std::string group = spec.value("group", "");
  std::string kind = names.value("kind", "");
  std::string plural = names.value("plural", "");
  if (group.empty() || kind.empty() || plural.empty() || !spec.contains("versions")) {
    throw std::runtime_error("CRD " + plural + "." + group +
                             ": spec.group, spec.names.kind/plural and spec.versions are required");
  }
  for (const auto& v : spec["versions"]) {
    if (!v.value("served", true)) continue;
    ResourceType t;
    t.group = group;
    t.version = v.value("name", "");
    t.kind = kind;
    t.list_kind = names.value("listKind", kind + "List");
    t.plural = plural;
    std::string lower = kind;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    t.singular = names.value("singular", lower);
    for (const auto& s : names.value("shortNames", json::array())) t.short_names.push_back(s);
    for (const auto& s : names.value("categories", json::array())) t.categories.push_back(s);
    t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    t.status_subresource = v.contains("subresources") && v["subresources"].contains("status");
    t.custom = true;
    if (v.contains("schema") && v["schema"].contains("openAPIV3Schema")) {
      t.schema = v["schema"]["openAPIV3Schema"];
    } else {
      t.schema = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    }
    t.printer_columns = v.value("additionalPrinterColumns", json());
    if (store_.Find(t.group, t.version, t.plural) == nullptr) {
      store_.AddType(std::move(t));
    }
  }
}

void TestApiServer::LoadCrdDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    auto ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  const ResourceType* crd_type = store_.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  for (const auto& f : files) {
    std::vector<json> docs;
    try {
      if (f.extension() == ".json") {
        std::ifstream in(f);
        docs.push_back(json::parse(in));
      } else {
        for (const auto& node : YAML::LoadAllFromFile(f.string())) docs.push_back(YamlToJson(node));
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(f.string() + ": " + e.what());
    }
    for (auto& doc : docs) {
      if (!doc.is_object() || doc.value("kind", "") != "CustomResourceDefinition") continue;
      try {
        AddCrd(doc);
        WriteOptions o;
        o.field_validation = "Ignore";
        store_.Create(*crd_type, "", doc, o);
      } catch (const ApiError& e) {
        throw std::runtime_error(f.string() + ": " + e.what());
      } catch (const std::exception& e) {
        throw std::runtime_error(f.string() + ": " + e.what());
      }
    }
  }
}

json TestApiServer::Discovery(const std::string& group, const std::string& version) const {
  json resources = json::array();
  for (const ResourceType* t : const_cast<Store&>(store_).Types()) {
    if (t->group != group || t->version != version) continue;
    json r = {{"name", t->plural},        {"singularName", t->singular},
              {"namespaced", t->namespaced}, {"kind", t->kind},
              {"verbs", kVerbs}};
    if (!t->short_names.empty()) r["shortNames"] = t->short_names;
    if (!t->categories.empty()) r["categories"] = t->categories;
    resources.push_back(r);
    if (t->status_subresource) {
      resources.push_back({{"name", t->plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"kind", t->kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  if (resources.empty()) return nullptr;
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

json TestApiServer::OpenApiRoot() const {
  std::set<std::string> gvs;
  for (const ResourceType* t : const_cast<Store&>(store_).Types()) {
    gvs.insert(t->group.empty() ? "api/" + t->version : "apis/" + t->group + "/" + t->version);
  }
  json paths = json::object();
  for (const auto& gv : gvs) {
    std::string g, v;
    if (gv.rfind("api/", 0) == 0) {
      v = gv.substr(4);
    } else {
      auto slash = gv.find('/', 5);
      g = gv.substr(5, slash - 5);
      v = gv.substr(slash + 1);
    }
    std::string hash = std::to_string(std::hash<std::string>{}(Dump(OpenApiGroupVersion(g, v))));
    paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hash}};
  }
  return {{"paths", paths}};
}

json TestApiServer::OpenApiGroupVersion(const std::string& group,
                                        const std::string& version) const {
  json paths = json::object();
  json schemas = {
      {"io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
       {{"type", "object"}, {"description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."}}},
      {"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", {{"type", "object"}}}};
  bool any = false;
  for (const ResourceType* t : const_cast<Store&>(store_).Types()) {
    if (t->group != group || t->version != version) continue;
    any = true;
    std::string base = (group.empty() ? "/api/" + version : "/apis/" + group + "/" + version);
    std::string coll = base + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural;
    std::string item = coll + "/{name}";
    std::string k = t->kind;
    std::string ns_word = t->namespaced ? "Namespaced" : "";
    json path_params = json::array({Param("name", "path", "string", true)});
    json coll_params = json::array();
    if (t->namespaced) {
      path_params.push_back(Param("namespace", "path", "string", true));
      coll_params.push_back(Param("namespace", "path", "string", true));
    }
    paths[coll] = {{"get", Operation(*t, "list", "list" + ns_word + k, false)},
                   {"post", Operation(*t, "post", "create" + ns_word + k, false)},
                   {"parameters", coll_params}};
    paths[item] = {{"get", Operation(*t, "get", "read" + ns_word + k, false)},
                   {"put", Operation(*t, "put", "replace" + ns_word + k, false)},
                   {"patch", Operation(*t, "patch", "patch" + ns_word + k, false)},
                   {"delete", Operation(*t, "delete", "delete" + ns_word + k, false)},
                   {"parameters", path_params}};
    if (t->status_subresource) {
      paths[item + "/status"] = {
          {"get", Operation(*t, "get", "read" + ns_word + k + "Status", true)},
          {"put", Operation(*t, "put", "replace" + ns_word + k + "Status", true)},
          {"patch", Operation(*t, "patch", "patch" + ns_word + k + "Status", true)},
          {"parameters", path_params}};
    }
    json schema = t->schema.is_null() ? json{{"type", "object"}} : t->schema;
    schema["x-kubernetes-group-version-kind"] =
        json::array({{{"group", t->group}, {"version", t->version}, {"kind", t->kind}}});
    schemas[DefName(*t)] = schema;
    json list_schema = {{"type", "object"},
                        {"properties", {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/" + DefName(*t)}}}}}}},
                        {"x-kubernetes-group-version-kind",
                         json::array({{{"group", t->group}, {"version", t->version}, {"kind", t->list_kind}}})}};
    schemas[DefName(*t) + "List"] = list_schema;
  }
  if (!any) return nullptr;
  (void)Capitalize;
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", options_.git_version}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

std::string TestApiServer::WriteKubeconfig(const std::string& path) const {
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: "
      << url() << "\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
      << "    namespace: default\ncurrent-context: test\nusers:\n- name: test\n  user:\n";
  if (!options_.token.empty()) {
    out << "    token: " << options_.token << "\n";
  } else {
    out << "    {}\n";
  }
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace od::testkube
