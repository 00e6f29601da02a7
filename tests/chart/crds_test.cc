// The chart's CustomResourceDefinitions (chart/crds/*.yaml): identity, structural-schema
// rules, the validation we add over the reference (enums, minimums, required fields,
// lengths, defaults), printer columns that point at real fields, and a small OpenAPI walk
// that accepts the reference docs' example manifests and rejects bad ones by field path.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using ::testing::UnorderedElementsAreArray;

constexpr const char* kGroup = "opendepot.defdev.io";
constexpr const char* kApiVersion = "opendepot.defdev.io/v1alpha1";

// ---- loading ----

struct Crd {
  fs::path file;
  YAML::Node doc;
  YAML::Node version() const { return doc["spec"]["versions"][0]; }
  YAML::Node schema() const { return version()["schema"]["openAPIV3Schema"]; }
};

const std::map<std::string, Crd>& crds() {
  static const std::map<std::string, Crd> loaded = [] {
    std::map<std::string, Crd> out;
    const fs::path dir = fs::path(OD_CHART_DIR) / "crds";
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".yaml") {
        continue;
      }
      for (const YAML::Node& doc : YAML::LoadAllFromFile(entry.path().string())) {
        if (!doc.IsMap()) {
          continue;
        }
        const std::string kind = doc["spec"]["names"]["kind"].as<std::string>();
        out[kind] = Crd{entry.path(), doc};
      }
    }
    return out;
  }();
  return loaded;
}

const Crd& crd(const std::string& kind) {
  auto it = crds().find(kind);
  if (it == crds().end()) {
    ADD_FAILURE() << "no CRD for kind " << kind;
    static const Crd empty;
    return empty;
  }
  return it->second;
}

const std::vector<std::string> kKinds = {"Depot", "Module", "Provider", "Version", "GroupBinding"};

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string str(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); }

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& item : n) {
      out.push_back(item.Scalar());
    }
  }
  return out;
}

std::vector<std::string> keys(const YAML::Node& map) {
  std::vector<std::string> out;
  if (map && map.IsMap()) {
    for (const auto& kv : map) {
      out.push_back(kv.first.Scalar());
    }
  }
  return out;
}

// Const lookup: a non-const Node's operator[] may insert into the tree.
YAML::Node at(const YAML::Node& n, const std::string& key) { return n[key]; }

// Schema at a dotted path: "spec.versions[]" steps into items, "x{}" into additionalProperties.
YAML::Node schemaAt(const YAML::Node& root, const std::string& path) {
  YAML::Node cur = root;  // rebind with reset(): Node::operator= writes into the tree
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) {
    bool items = false;
    bool values = false;
    if (part.size() > 2 && part.ends_with("[]")) {
      items = true;
      part.resize(part.size() - 2);
    } else if (part.size() > 2 && part.ends_with("{}")) {
      values = true;
      part.resize(part.size() - 2);
    }
    YAML::Node next = at(at(cur, "properties"), part);
    if (!next) {
      return YAML::Node();
    }
    cur.reset(next);
    if (items) {
      cur.reset(at(cur, "items"));
    } else if (values) {
      cur.reset(at(cur, "additionalProperties"));
    }
    if (!cur) {
      return YAML::Node();
    }
  }
  return cur;
}

// ---- a minimal OpenAPI v3 walk (the parts of apiextensions validation our CRDs use) ----

struct Issue {
  std::string path;
  std::string message;
};

std::ostream& operator<<(std::ostream& os, const Issue& i) {
  return os << i.path << ": " << i.message;
}

// The JSON type a YAML node decodes to (YAML 1.2 core schema for plain scalars).
std::string jsonKind(const YAML::Node& n) {
  if (!n || n.IsNull()) {
    return "null";
  }
  if (n.IsMap()) {
    return "object";
  }
  if (n.IsSequence()) {
    return "array";
  }
  if (n.Tag() != "?") {  // quoted, block or explicitly tagged
    return n.Tag() == "tag:yaml.org,2002:int" ? "integer" : "string";
  }
  static const std::regex kNull("^(~|null|Null|NULL)$");
  static const std::regex kBool("^(true|True|TRUE|false|False|FALSE)$");
  static const std::regex kInt("^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$");
  static const std::regex kFloat(
      "^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$");
  const std::string& s = n.Scalar();
  if (std::regex_match(s, kNull)) {
    return "null";
  }
  if (std::regex_match(s, kBool)) {
    return "boolean";
  }
  if (std::regex_match(s, kInt)) {
    return "integer";
  }
  if (std::regex_match(s, kFloat)) {
    return "number";
  }
  return "string";
}

size_t codePoints(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool isDateTime(const std::string& s) {
  static const std::regex kRfc3339(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[-+][0-9]{2}:[0-9]{2})$");
  return std::regex_match(s, kRfc3339);
}

void walk(const YAML::Node& v, const YAML::Node& s, const std::string& path,
          std::vector<Issue>* out);

// Issues of `v` against a value-validation clause (no type of its own).
size_t clauseIssues(const YAML::Node& v, const YAML::Node& clause, const std::string& path) {
  std::vector<Issue> issues;
  walk(v, clause, path, &issues);
  return issues.size();
}

void walk(const YAML::Node& v, const YAML::Node& s, const std::string& path,
          std::vector<Issue>* out) {
  const std::string kind = jsonKind(v);
  if (kind == "null") {
    return;  // the API server drops nulls of non-nullable fields; `required` catches absence
  }
  const std::string want = str(s["type"]);
  if (!want.empty()) {
    const bool ok = want == kind || (want == "number" && kind == "integer");
    if (!ok) {
      out->push_back({path, "must be of type " + want + ", got " + kind});
      return;
    }
  }
  if (s["enum"]) {
    const auto allowed = strings(s["enum"]);
    if (std::find(allowed.begin(), allowed.end(), v.Scalar()) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) {
        list += (list.empty() ? "\"" : ", \"") + a + "\"";
      }
      out->push_back({path, "Unsupported value \"" + v.Scalar() + "\": supported values: " + list});
    }
  }
  if (kind == "string") {
    const std::string& text = v.Scalar();
    if (s["maxLength"] && codePoints(text) > s["maxLength"].as<size_t>()) {
      out->push_back({path, "may not be longer than " + str(s["maxLength"])});
    }
    if (s["minLength"] && codePoints(text) < s["minLength"].as<size_t>()) {
      out->push_back({path, "should be at least " + str(s["minLength"]) + " chars long"});
    }
    if (s["pattern"] && !std::regex_search(text, std::regex(str(s["pattern"])))) {
      out->push_back({path, "should match '" + str(s["pattern"]) + "'"});
    }
    if (str(s["format"]) == "date-time" && !isDateTime(text)) {
      out->push_back({path, "must be an RFC 3339 date-time"});
    }
  }
  if (kind == "integer" || kind == "number") {
    const double x = v.as<double>();
    if (s["minimum"] && x < s["minimum"].as<double>()) {
      out->push_back({path, "should be greater than or equal to " + str(s["minimum"])});
    }
    if (s["maximum"] && x > s["maximum"].as<double>()) {
      out->push_back({path, "should be less than or equal to " + str(s["maximum"])});
    }
  }
  if (kind == "array") {
    if (s["maxItems"] && v.size() > s["maxItems"].as<size_t>()) {
      out->push_back({path, "must have at most " + str(s["maxItems"]) + " items"});
    }
    if (s["minItems"] && v.size() < s["minItems"].as<size_t>()) {
      out->push_back({path, "should have at least " + str(s["minItems"]) + " items"});
    }
    std::set<std::string> seen;
    const auto map_keys = strings(s["x-kubernetes-list-map-keys"]);
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      if (s["items"]) {
        walk(v[i], s["items"], item_path, out);
      }
      if (str(s["x-kubernetes-list-type"]) == "map" && v[i].IsMap()) {
        std::string key;
        for (const auto& k : map_keys) {
          key += str(v[i][k]) + "\x1f";
        }
        if (!seen.insert(key).second) {
          out->push_back({item_path, "Duplicate value"});
        }
      }
    }
  }
  if (kind == "object") {
    for (const auto& r : strings(s["required"])) {
      if (!v[r] || v[r].IsNull()) {
        out->push_back({join(path, r), "Required value"});
      }
    }
    const YAML::Node props = s["properties"];
    const YAML::Node extra = s["additionalProperties"];
    const bool structural = !want.empty();
    for (const auto& kv : v) {
      const std::string key = kv.first.Scalar();
      if (props && props[key]) {
        walk(kv.second, props[key], join(path, key), out);
      } else if (extra && extra.IsMap()) {
        walk(kv.second, extra, join(path, key), out);
      } else if (structural && (props || extra) &&
                 !(s["x-kubernetes-preserve-unknown-fields"] &&
                   s["x-kubernetes-preserve-unknown-fields"].as<bool>())) {
        out->push_back({join(path, key), "unknown field \"" + key + "\""});
      }
    }
  }
  if (s["anyOf"]) {
    bool any = false;
    for (const auto& clause : s["anyOf"]) {
      any = any || clauseIssues(v, clause, path) == 0;
    }
    if (!any) {
      out->push_back({path, "must match at least one schema in anyOf"});
    }
  }
  if (s["oneOf"]) {
    size_t matched = 0;
    for (const auto& clause : s["oneOf"]) {
      matched += clauseIssues(v, clause, path) == 0 ? 1 : 0;
    }
    if (matched != 1) {
      out->push_back({path, "must match exactly one schema in oneOf, matched " +
                                std::to_string(matched)});
    }
  }
}

// Validates a whole manifest against the CRD of its kind.
std::vector<Issue> validateManifest(const YAML::Node& manifest) {
  std::vector<Issue> out;
  if (str(manifest["apiVersion"]) != kApiVersion) {
    out.push_back({"apiVersion", "must be " + std::string(kApiVersion)});
  }
  const std::string kind = str(manifest["kind"]);
  auto it = crds().find(kind);
  if (it == crds().end()) {
    out.push_back({"kind", "no CRD for \"" + kind + "\""});
    return out;
  }
  walk(manifest, it->second.schema(), "", &out);
  return out;
}

// ---- structural-schema rules (apiextensions.k8s.io/v1) ----

const std::set<std::string> kTypes = {"object", "array", "string", "integer", "number", "boolean"};
const std::set<std::string> kClauseForbidden = {"type", "description", "default",
                                                "additionalProperties", "nullable"};

void checkClause(const YAML::Node& clause, const YAML::Node& outer, const std::string& path,
                 std::vector<std::string>* problems) {
  for (const auto& k : keys(clause)) {
    if (kClauseForbidden.count(k)) {
      problems->push_back(path + ": '" + k + "' is not allowed inside anyOf/oneOf/allOf/not");
    }
  }
  for (const auto& p : keys(clause["properties"])) {
    if (!outer["properties"][p]) {
      problems->push_back(path + ": clause names property '" + p + "' missing from the structure");
    }
  }
  for (const auto& r : strings(clause["required"])) {
    if (!outer["properties"][r]) {
      problems->push_back(path + ": clause requires unknown property '" + r + "'");
    }
  }
}

void checkStructural(const YAML::Node& s, const std::string& path,
                     std::vector<std::string>* problems) {
  const std::string where = path.empty() ? "<root>" : path;
  const std::string type = str(s["type"]);
  if (!kTypes.count(type)) {
    problems->push_back(where + ": no valid type ('" + type + "')");
    return;
  }
  if (path != "metadata" && path != "apiVersion" && path != "kind" && !s["description"]) {
    problems->push_back(where + ": no description (kubectl explain shows nothing)");
  }
  for (const char* banned : {"nullable", "x-kubernetes-preserve-unknown-fields",
                             "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"}) {
    if (s[banned]) {
      problems->push_back(where + ": uses " + std::string(banned));
    }
  }
  if (s["default"]) {
    if (!path.starts_with("spec.")) {
      problems->push_back(where + ": default outside spec");
    }
    std::vector<Issue> issues;
    walk(s["default"], s, path, &issues);
    for (const auto& i : issues) {
      problems->push_back(where + ": default is invalid: " + i.message);
    }
  }
  if (s["enum"]) {
    for (const auto& value : s["enum"]) {
      std::vector<Issue> issues;
      YAML::Node bare = YAML::Clone(s);
      bare.remove("enum");
      walk(value, bare, path, &issues);
      if (!issues.empty()) {
        problems->push_back(where + ": enum value '" + value.Scalar() + "' fails its own schema");
      }
    }
  }
  if (s["pattern"]) {
    try {
      std::regex re(str(s["pattern"]));
    } catch (const std::regex_error& e) {
      problems->push_back(where + ": pattern does not compile: " + e.what());
    }
  }
  for (const char* combinator : {"anyOf", "oneOf", "allOf"}) {
    for (const auto& clause : s[combinator]) {
      checkClause(clause, s, where + "." + combinator, problems);
    }
  }
  if (s["not"]) {
    checkClause(s["not"], s, where + ".not", problems);
  }
  if (type == "object") {
    const YAML::Node props = s["properties"];
    const YAML::Node extra = s["additionalProperties"];
    if (props && extra) {
      problems->push_back(where + ": both properties and additionalProperties");
    }
    if (!props && !extra && path != "metadata") {
      problems->push_back(where + ": free-form object (no properties, no additionalProperties)");
    }
    if (path == "metadata" && keys(s) != std::vector<std::string>{"type"}) {
      problems->push_back("metadata: may only say 'type: object'");
    }
    for (const auto& r : strings(s["required"])) {
      if (!props || !props[r]) {
        problems->push_back(where + ": requires unknown property '" + r + "'");
      }
    }
    for (const auto& kv : props) {
      checkStructural(kv.second, join(path, kv.first.Scalar()), problems);
    }
    if (extra) {
      if (!extra.IsMap()) {
        problems->push_back(where + ": additionalProperties must be a schema");
      } else {
        checkStructural(extra, path + "{}", problems);
      }
    }
  } else if (type == "array") {
    if (!s["items"] || !s["items"].IsMap()) {
      problems->push_back(where + ": array without an items schema");
      return;
    }
    if (str(s["x-kubernetes-list-type"]) == "map") {
      const auto required = strings(s["items"]["required"]);
      if (str(s["items"]["type"]) != "object") {
        problems->push_back(where + ": list-type map of non-objects");
      }
      for (const auto& k : strings(s["x-kubernetes-list-map-keys"])) {
        if (std::find(required.begin(), required.end(), k) == required.end()) {
          problems->push_back(where + ": list-map key '" + k + "' is not required");
        }
      }
    }
    checkStructural(s["items"], path + "[]", problems);
  } else {
    for (const char* k : {"properties", "items", "additionalProperties"}) {
      if (s[k]) {
        problems->push_back(where + ": scalar with '" + k + "'");
      }
    }
  }
}

// Every schema node of a CRD with its path, e.g. "spec.versions[].version".
void collect(const YAML::Node& s, const std::string& path,
             std::vector<std::pair<std::string, YAML::Node>>* out) {
  out->emplace_back(path, s);
  for (const auto& kv : s["properties"]) {
    collect(kv.second, join(path, kv.first.Scalar()), out);
  }
  if (s["items"] && s["items"].IsMap()) {
    collect(s["items"], path + "[]", out);
  }
  if (s["additionalProperties"] && s["additionalProperties"].IsMap()) {
    collect(s["additionalProperties"], path + "{}", out);
  }
}

std::vector<std::pair<std::string, YAML::Node>> allNodes(const std::string& kind) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  collect(crd(kind).schema(), "", &out);
  return out;
}

std::string lastSegment(const std::string& path) {
  std::string p = path;
  while (p.ends_with("[]") || p.ends_with("{}")) {
    p.resize(p.size() - 2);
  }
  auto dot = p.rfind('.');
  return dot == std::string::npos ? p : p.substr(dot + 1);
}

// ---- printer-column JSONPaths ----

// Resolves a simple JSONPath (".a.b", ".a[0].b", ".a[?(@.k==\"v\")].b") against the schema.
// Returns an empty string when it resolves, else why not.
std::string resolveColumnPath(const YAML::Node& schema, const std::string& json_path) {
  static const std::set<std::string> kMetadata = {"name", "namespace", "creationTimestamp",
                                                  "labels", "annotations", "generation",
                                                  "uid", "deletionTimestamp"};
  if (json_path.empty() || json_path[0] != '.') {
    return "does not start with '.'";
  }
  static const std::regex kSegment("^\\.([A-Za-z0-9_]+)(\\[([^\\]]*)\\])?");
  std::string rest = json_path;
  YAML::Node cur = schema;
  bool first = true;
  while (!rest.empty()) {
    std::smatch m;
    if (!std::regex_search(rest, m, kSegment)) {
      return "cannot parse '" + rest + "'";
    }
    const std::string name = m[1];
    if (first && name == "metadata") {
      std::smatch field;
      const std::string tail = m.suffix();
      if (std::regex_match(tail, field, std::regex("^\\.([A-Za-z]+)$")) && kMetadata.count(field[1])) {
        return "";
      }
      return "unknown metadata field '" + tail + "'";
    }
    first = false;
    YAML::Node next = at(at(cur, "properties"), name);
    if (!next) {
      return "no field '" + name + "'";
    }
    cur.reset(next);
    if (m[2].matched) {
      if (str(at(cur, "type")) != "array") {
        return "'" + name + "' is indexed but is no array";
      }
      cur.reset(at(cur, "items"));
      std::smatch filter;
      const std::string selector = m[3];
      if (std::regex_match(selector, filter, std::regex("^\\?\\(@\\.([A-Za-z0-9_]+)==\"[^\"]*\"\\)$"))) {
        if (!at(at(cur, "properties"), filter[1].str())) {
          return "filter on unknown field '" + filter[1].str() + "'";
        }
      } else if (!std::regex_match(selector, std::regex("^[0-9]+|\\*$"))) {
        return "unsupported selector '" + selector + "'";
      }
    }
    rest = m.suffix();
  }
  return "";
}

// ---- manifests ----

std::vector<fs::path> yamlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kManifests = fs::path(OD_TEST_DATA_DIR) / "manifests";

// ======================= tests =======================

TEST(CrdsTest, EveryKindHasOneCrdThatParses) {
  ASSERT_EQ(crds().size(), kKinds.size());
  for (const auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    const Crd& c = crd(kind);
    ASSERT_TRUE(c.doc.IsMap());
    EXPECT_EQ(str(c.doc["apiVersion"]), "apiextensions.k8s.io/v1");
    EXPECT_EQ(str(c.doc["kind"]), "CustomResourceDefinition");
  }
}

TEST(CrdsTest, NamesScopeVersionsAndSubresources) {
  const std::map<std::string, std::string> plurals = {{"Depot", "depots"},
                                                      {"Module", "modules"},
                                                      {"Provider", "providers"},
                                                      {"Version", "versions"},
                                                      {"GroupBinding", "groupbindings"}};
  for (const auto& [kind, plural] : plurals) {
    SCOPED_TRACE(kind);
    const Crd& c = crd(kind);
    const YAML::Node spec = c.doc["spec"];
    EXPECT_EQ(str(c.doc["metadata"]["name"]), plural + "." + kGroup);
    EXPECT_EQ(str(spec["group"]), kGroup);
    EXPECT_EQ(str(spec["scope"]), "Namespaced");
    EXPECT_EQ(str(spec["names"]["plural"]), plural);
    EXPECT_EQ(str(spec["names"]["singular"]), plural.substr(0, plural.size() - 1));
    EXPECT_EQ(str(spec["names"]["listKind"]), kind + "List");
    EXPECT_FALSE(spec["names"]["shortNames"]) << "the reference has no shortNames";
    EXPECT_FALSE(spec["names"]["categories"]) << "the reference has no categories";
    ASSERT_EQ(spec["versions"].size(), 1u);
    const YAML::Node v = c.version();
    EXPECT_EQ(str(v["name"]), "v1alpha1");
    EXPECT_TRUE(v["served"].as<bool>());
    EXPECT_TRUE(v["storage"].as<bool>());
    ASSERT_TRUE(v["subresources"]["status"].IsMap());
    EXPECT_EQ(v["subresources"]["status"].size(), 0u);
    EXPECT_FALSE(v["subresources"]["scale"]);
    EXPECT_EQ(c.file.filename().string(), std::string(kGroup) + "_" + plural + ".yaml");
  }
}

TEST(CrdsTest, SchemasAreStructural) {
  for (const auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    std::vector<std::string> problems;
    checkStructural(crd(kind).schema(), "", &problems);
    EXPECT_THAT(problems, ::testing::IsEmpty());
    EXPECT_EQ(keys(crd(kind).schema()["properties"]),
              (std::vector<std::string>{"apiVersion", "kind", "metadata", "spec", "status"}));
  }
}

TEST(CrdsTest, TheStructuralCheckCatchesMistakes) {
  const YAML::Node bad = YAML::Load(R"(
type: object
description: x
properties:
  metadata: {type: object}
  spec:
    description: s
    type: object
    nullable: true
    required: [missing]
    properties:
      untyped: {description: u}
      free: {type: object, description: f}
      list: {type: array, description: l}
      n:
        type: integer
        description: n
        minimum: 0
        default: -1
)");
  std::vector<std::string> problems;
  checkStructural(bad, "", &problems);
  auto has = [&](const std::string& needle) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(has("spec: uses nullable"));
  EXPECT_TRUE(has("spec: requires unknown property 'missing'"));
  EXPECT_TRUE(has("spec.untyped: no valid type"));
  EXPECT_TRUE(has("spec.free: free-form object"));
  EXPECT_TRUE(has("spec.list: array without an items schema"));
  EXPECT_TRUE(has("spec.n: default is invalid"));
}

// The reference's field names, so its manifests and docs apply unchanged; ours are additive.
TEST(CrdsTest, FieldNamesMatchTheReference) {
  const std::vector<std::string> storage = {"s3", "azureStorage", "gcs", "fileSystem", "presign"};
  const std::vector<std::string> module_config = {
      "name",          "provider",           "repoOwner",          "repoUrl",
      "fileFormat",    "immutable",          "githubClientConfig", "storageConfig",
      "versionConstraints", "versionHistoryLimit"};
  const std::vector<std::string> provider_config = {
      "name",          "namespace",     "operatingSystems",   "architectures",
      "githubClientConfig", "sourceRepository", "storageConfig", "versionConstraints",
      "versionHistoryLimit"};
  const std::vector<std::string> finding = {"vulnerabilityID", "pkgName", "installedVersion",
                                            "fixedVersion",    "severity", "title"};
  const std::vector<std::string> ours = {"observedGeneration", "conditions"};
  auto with_ours = [&](std::vector<std::string> v) {
    v.insert(v.end(), ours.begin(), ours.end());
    return v;
  };
  struct Case {
    std::string kind;
    std::string path;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"Depot", "spec", {"global", "moduleConfigs", "providerConfigs", "pollingIntervalMinutes"}},
      {"Depot", "spec.global", {"githubClientConfig", "moduleConfig", "storageConfig"}},
      {"Depot", "spec.global.moduleConfig", module_config},
      {"Depot", "spec.global.storageConfig", storage},
      {"Depot", "spec.moduleConfigs[]", module_config},
      {"Depot", "spec.providerConfigs[]", provider_config},
      {"Depot", "status", with_ours({"modules", "providers"})},
      {"Module", "spec", {"forceSync", "moduleConfig", "versions"}},
      {"Module", "spec.moduleConfig", module_config},
      {"Module", "spec.moduleConfig.storageConfig", storage},
      {"Module", "spec.moduleConfig.storageConfig.s3", {"bucket", "key", "region"}},
      {"Module", "spec.moduleConfig.storageConfig.azureStorage",
       {"accountName", "accountUrl", "subscriptionID", "resourceGroup"}},
      {"Module", "spec.moduleConfig.storageConfig.gcs", {"bucket"}},
      {"Module", "spec.moduleConfig.storageConfig.fileSystem", {"directoryPath"}},
      {"Module", "spec.moduleConfig.storageConfig.presign", {"enabled", "ttl", "fallbackToProxy"}},
      {"Module", "spec.moduleConfig.githubClientConfig", {"useAuthenticatedClient"}},
      {"Module", "spec.versions[]", {"version", "name", "fileName", "synced"}},
      {"Module", "status",
       with_ours({"latestVersion", "fileName", "synced", "syncStatus", "moduleVersionRefs"})},
      {"Module", "status.moduleVersionRefs{}", {"version", "name", "fileName", "synced"}},
      {"Provider", "spec", {"forceSync", "providerConfig", "versions"}},
      {"Provider", "spec.providerConfig", provider_config},
      {"Provider", "spec.versions[]",
       {"version", "name", "operatingSystem", "architecture", "synced"}},
      {"Provider", "status",
       with_ours({"latestVersion", "fileName", "synced", "syncStatus", "providerVersionRefs",
                  "sourceScan", "resolvedSourceRepository"})},
      {"Provider", "status.providerVersionRefs{}",
       {"version", "name", "operatingSystem", "architecture", "synced"}},
      {"Provider", "status.sourceScan", {"scannedAt", "version", "findings"}},
      {"Provider", "status.sourceScan.findings[]", finding},
      {"Version", "spec",
       {"type", "version", "fileName", "forceSync", "moduleConfigRef", "providerConfigRef",
        "operatingSystem", "architecture"}},
      {"Version", "spec.moduleConfigRef", module_config},
      {"Version", "spec.providerConfigRef", provider_config},
      {"Version", "status",
       with_ours({"checksum", "synced", "syncStatus", "archiveSizeBytes", "binaryScan",
                  "sourceScan", "readmeConfigMapRef"})},
      {"Version", "status.binaryScan.findings[]", finding},
      {"Version", "status.sourceScan.findings[]", finding},
      {"Version", "status.readmeConfigMapRef", {"name", "key"}},
      {"GroupBinding", "spec", {"expression", "moduleResources", "providerResources"}},
      {"GroupBinding", "status", ours},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kind + " " + c.path);
    const YAML::Node node = schemaAt(crd(c.kind).schema(), c.path);
    ASSERT_TRUE(node.IsDefined() && node.IsMap());
    EXPECT_THAT(keys(node["properties"]), UnorderedElementsAreArray(c.fields));
  }
}

TEST(CrdsTest, FieldTypes) {
  struct Case {
    std::string kind;
    std::string path;
    std::string type;
    std::string format;
  };
  const std::vector<Case> cases = {
      {"Depot", "spec.pollingIntervalMinutes", "integer", ""},
      {"Depot", "status.modules[]", "string", ""},
      {"Module", "spec.forceSync", "boolean", ""},
      {"Module", "spec.moduleConfig.immutable", "boolean", ""},
      {"Module", "spec.moduleConfig.versionHistoryLimit", "integer", ""},
      {"Module", "spec.moduleConfig.storageConfig.presign.enabled", "boolean", ""},
      {"Module", "spec.moduleConfig.storageConfig.presign.ttl", "string", ""},
      {"Module", "status.synced", "boolean", ""},
      {"Module", "status.moduleVersionRefs", "object", ""},
      {"Provider", "spec.providerConfig.operatingSystems", "array", ""},
      {"Provider", "status.providerVersionRefs", "object", ""},
      {"Version", "status.archiveSizeBytes", "integer", "int64"},
      {"Version", "status.sourceScan.scannedAt", "string", "date-time"},
      {"Version", "status.observedGeneration", "integer", "int64"},
      {"Version", "status.conditions[].lastTransitionTime", "string", "date-time"},
      {"Version", "status.conditions[].observedGeneration", "integer", "int64"},
      {"GroupBinding", "spec.moduleResources[]", "string", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kind + " " + c.path);
    const YAML::Node node = schemaAt(crd(c.kind).schema(), c.path);
    ASSERT_TRUE(node.IsDefined());
    EXPECT_EQ(str(node["type"]), c.type);
    EXPECT_EQ(str(node["format"]), c.format);
  }
}

TEST(CrdsTest, EnumsEverywhereTheFieldAppears) {
  const std::map<std::string, std::vector<std::string>> enums = {
      {"fileFormat", {"zip", "tar"}},
      {"severity", {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}},
  };
  std::map<std::string, int> seen;
  for (const auto& kind : kKinds) {
    for (const auto& [path, node] : allNodes(kind)) {
      auto it = enums.find(lastSegment(path));
      if (it == enums.end()) {
        continue;
      }
      SCOPED_TRACE(kind + " " + path);
      ++seen[it->first];
      EXPECT_THAT(strings(node["enum"]), UnorderedElementsAreArray(it->second));
    }
  }
  EXPECT_EQ(seen["fileFormat"], 4);  // Depot global and entries, Module, Version ref
  EXPECT_EQ(seen["severity"], 3);    // Provider source, Version binary and source scans
  EXPECT_THAT(strings(schemaAt(crd("Version").schema(), "spec.type")["enum"]),
              UnorderedElementsAreArray({"Module", "Provider"}));
  EXPECT_THAT(strings(schemaAt(crd("Version").schema(), "status.conditions[].status")["enum"]),
              UnorderedElementsAreArray({"True", "False", "Unknown"}));
}

TEST(CrdsTest, MinimumsOnCounts) {
  int seen = 0;
  for (const auto& kind : kKinds) {
    for (const auto& [path, node] : allNodes(kind)) {
      const std::string field = lastSegment(path);
      if (field == "versionHistoryLimit" || field == "pollingIntervalMinutes" ||
          field == "archiveSizeBytes" || field == "observedGeneration") {
        SCOPED_TRACE(kind + " " + path);
        ++seen;
        ASSERT_TRUE(node["minimum"]);
        EXPECT_EQ(node["minimum"].as<int>(), 0);
      }
    }
  }
  EXPECT_GE(seen, 15);
}

TEST(CrdsTest, RequiredFields) {
  struct Case {
    std::string kind;
    std::string path;  // "" is the root
    std::vector<std::string> required;
  };
  const std::vector<Case> cases = {
      {"Module", "spec", {"moduleConfig", "versions"}},
      {"Module", "spec.versions[]", {"version"}},
      {"Module", "spec.moduleConfig", {"fileFormat"}},
      {"Module", "status", {"synced", "syncStatus"}},
      {"Provider", "spec", {"providerConfig", "versions"}},
      {"Provider", "spec.versions[]", {"version"}},
      {"Version", "spec", {"type", "version"}},
      {"Version", "status.sourceScan", {"scannedAt"}},
      {"Version", "status.binaryScan.findings[]",
       {"vulnerabilityID", "pkgName", "installedVersion", "severity"}},
      {"GroupBinding", "spec", {"expression"}},
      {"Depot", "spec.global", {"storageConfig"}},
      {"Depot", "spec.moduleConfigs[]", {"name", "repoOwner", "versionConstraints"}},
      {"Module", "spec.moduleConfig.storageConfig.s3", {"bucket", "region"}},
      {"Module", "spec.moduleConfig.storageConfig.gcs", {"bucket"}},
      {"Module", "spec.moduleConfig.storageConfig.azureStorage",
       {"accountName", "accountUrl", "subscriptionID", "resourceGroup"}},
      {"Version", "status.conditions[]", {"type", "status"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kind + " " + c.path);
    const YAML::Node node = schemaAt(crd(c.kind).schema(), c.path);
    ASSERT_TRUE(node.IsDefined());
    EXPECT_THAT(strings(node["required"]), UnorderedElementsAreArray(c.required));
  }
  for (const auto& kind : kKinds) {
    EXPECT_THAT(strings(crd(kind).schema()["required"]), UnorderedElementsAreArray({"spec"}));
  }
  EXPECT_EQ(schemaAt(crd("GroupBinding").schema(), "spec.expression")["minLength"].as<int>(), 1);
  EXPECT_EQ(schemaAt(crd("Version").schema(), "spec.version")["minLength"].as<int>(), 1);
}

TEST(CrdsTest, LengthLimitsOnNamesAndKeys) {
  int versions = 0;
  for (const auto& kind : kKinds) {
    for (const auto& [path, node] : allNodes(kind)) {
      if (str(node["type"]) != "string" || path == "apiVersion" || path == "kind") {
        continue;
      }
      SCOPED_TRACE(kind + " " + path);
      ASSERT_TRUE(node["maxLength"]) << "every string is bounded";
      const int max = node["maxLength"].as<int>();
      const std::string field = lastSegment(path);
      if (field == "version" || field == "latestVersion") {
        ++versions;
        EXPECT_LE(max, 128);
      }
      if (field == "name" || path.ends_with("modules[]") || path.ends_with("providers[]")) {
        EXPECT_LE(max, 253);
      }
    }
  }
  EXPECT_GE(versions, 8);
}

TEST(CrdsTest, PresignDefaultsAndDurationPattern) {
  int seen = 0;
  for (const auto& kind : kKinds) {
    for (const auto& [path, node] : allNodes(kind)) {
      if (lastSegment(path) != "presign") {
        continue;
      }
      SCOPED_TRACE(kind + " " + path);
      ++seen;
      const YAML::Node ttl = node["properties"]["ttl"];
      EXPECT_EQ(str(ttl["default"]), "15m");
      EXPECT_TRUE(node["properties"]["fallbackToProxy"]["default"].as<bool>());
      EXPECT_FALSE(node["properties"]["enabled"]["default"]) << "unset means false";
      const std::regex re(str(ttl["pattern"]));
      for (const char* ok : {"15m", "1h", "1h30m", "90s", "1.5h", "250ms", "10us", "2h45m30.5s"}) {
        EXPECT_TRUE(std::regex_search(std::string(ok), re)) << ok;
      }
      for (const char* bad : {"", "15", "15 m", "-5m", "15min", "1d", "m", "1h 30m", "P1D"}) {
        EXPECT_FALSE(std::regex_search(std::string(bad), re)) << bad;
      }
    }
  }
  EXPECT_EQ(seen, 8);  // every StorageConfig: Depot 4, Module 1, Provider 1, Version 2
}

TEST(CrdsTest, ConditionsAreAListMapOnEveryStatus) {
  for (const auto& kind : kKinds) {
    SCOPED_TRACE(kind);
    const YAML::Node c = schemaAt(crd(kind).schema(), "status.conditions");
    ASSERT_TRUE(c.IsDefined());
    EXPECT_EQ(str(c["type"]), "array");
    EXPECT_EQ(str(c["x-kubernetes-list-type"]), "map");
    EXPECT_EQ(strings(c["x-kubernetes-list-map-keys"]), std::vector<std::string>{"type"});
    EXPECT_THAT(keys(c["items"]["properties"]),
                UnorderedElementsAreArray({"type", "status", "reason", "message",
                                           "lastTransitionTime", "observedGeneration"}));
  }
}

TEST(CrdsTest, PrinterColumnsPointAtFieldsThatExist) {
  static const std::set<std::string> kColumnTypes = {"integer", "number", "string", "boolean",
                                                     "date"};
  for (const auto& kind : kKinds) {
    std::set<std::string> names;
    for (const auto& column : crd(kind).version()["additionalPrinterColumns"]) {
      const std::string name = str(column["name"]);
      SCOPED_TRACE(kind + " column " + name);
      EXPECT_TRUE(names.insert(name).second) << "duplicate column";
      EXPECT_TRUE(kColumnTypes.count(str(column["type"])));
      EXPECT_EQ(resolveColumnPath(crd(kind).schema(), str(column["jsonPath"])), "");
    }
  }
  // The check catches the reference's Depot column, whose path names no field.
  EXPECT_EQ(resolveColumnPath(crd("Depot").schema(), ".spec.globalConfig"),
            "no field 'globalConfig'");
  EXPECT_EQ(resolveColumnPath(crd("Module").schema(), ".status.conditions[?(@.kind==\"Ready\")].status"),
            "filter on unknown field 'kind'");
  EXPECT_NE(resolveColumnPath(crd("Module").schema(), ".metadata.colour"), "");
}

TEST(CrdsTest, PrinterColumnsKeepTheReferenceOnesAndAddReady) {
  const std::map<std::string, std::vector<std::pair<std::string, std::string>>> reference = {
      {"Depot", {{"GlobalConfig", ".spec.global"}}},  // the reference's .spec.globalConfig, fixed
      {"Module",
       {{"LatestVersion", ".status.latestVersion"},
        {"Provider", ".spec.moduleConfig.provider"},
        {"Source", ".spec.moduleConfig.repoUrl"},
        {"StorageConfig", ".spec.moduleConfig.storageConfig"},
        {"Synced", ".status.synced"}}},
      {"Provider",
       {{"LatestVersion", ".status.latestVersion"},
        {"Name", ".spec.providerConfig.name"},
        {"Synced", ".status.synced"}}},
      {"Version", {{"Type", ".spec.type"}, {"Synced", ".status.synced"}, {"Checksum", ".status.checksum"}}},
      {"GroupBinding", {{"Expression", ".spec.expression"}}},
  };
  for (const auto& [kind, columns] : reference) {
    SCOPED_TRACE(kind);
    std::map<std::string, std::string> actual;
    for (const auto& column : crd(kind).version()["additionalPrinterColumns"]) {
      actual[str(column["name"])] = str(column["jsonPath"]);
    }
    for (const auto& [name, path] : columns) {
      EXPECT_EQ(actual[name], path) << name;
    }
    if (kind != "GroupBinding") {  // nothing reports a GroupBinding's readiness
      EXPECT_EQ(actual["Ready"], ".status.conditions[?(@.type==\"Ready\")].status");
    }
    EXPECT_EQ(actual["Age"], ".metadata.creationTimestamp");
  }
}

TEST(CrdsTest, NoUnknownFieldsArePreserved) {
  for (const auto& kind : kKinds) {
    for (const auto& [path, node] : allNodes(kind)) {
      EXPECT_FALSE(node["x-kubernetes-preserve-unknown-fields"]) << kind << " " << path;
    }
  }
}

// ---- the validator itself ----

TEST(CrdsValidatorTest, ScalarKinds) {
  const YAML::Node n = YAML::Load(R"(
a: 1.2
b: "1.2"
c: 12
d: true
e: "true"
f: ~
g: x
h: -3
i: |
  text
)");
  EXPECT_EQ(jsonKind(n["a"]), "number");
  EXPECT_EQ(jsonKind(n["b"]), "string");
  EXPECT_EQ(jsonKind(n["c"]), "integer");
  EXPECT_EQ(jsonKind(n["d"]), "boolean");
  EXPECT_EQ(jsonKind(n["e"]), "string");
  EXPECT_EQ(jsonKind(n["f"]), "null");
  EXPECT_EQ(jsonKind(n["g"]), "string");
  EXPECT_EQ(jsonKind(n["h"]), "integer");
  EXPECT_EQ(jsonKind(n["i"]), "string");
}

TEST(CrdsValidatorTest, ReportsByPath) {
  const YAML::Node schema = YAML::Load(R"(
type: object
required: [a]
properties:
  a: {type: string, maxLength: 3, enum: [x, yyyy]}
  b: {type: array, items: {type: integer, minimum: 0}}
  c: {type: object, additionalProperties: {type: boolean}}
)");
  std::vector<Issue> issues;
  walk(YAML::Load("{a: yyyy, b: [1, -1, x], c: {k: true, j: 1}, z: 1}"), schema, "spec", &issues);
  std::vector<std::string> paths;
  for (const auto& i : issues) {
    paths.push_back(i.path);
  }
  EXPECT_THAT(paths, UnorderedElementsAreArray({"spec.a", "spec.b[1]", "spec.b[2]", "spec.c.j",
                                                "spec.z"}));
  issues.clear();
  walk(YAML::Load("{b: []}"), schema, "spec", &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "spec.a");
  EXPECT_EQ(issues[0].message, "Required value");
}

// ---- manifests: the reference docs' examples pass, bad ones fail by field path ----

TEST(CrdsManifestTest, ReferenceDocExamplesValidate) {
  const auto files = yamlFiles(kManifests);
  ASSERT_GE(files.size(), 5u);
  std::set<std::string> kinds;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const YAML::Node manifest = YAML::LoadFile(file.string());
    kinds.insert(str(manifest["kind"]));
    EXPECT_THAT(validateManifest(manifest), ::testing::IsEmpty());
  }
  EXPECT_THAT(kinds, UnorderedElementsAreArray(kKinds));
}

// The JSON resources the core decoders are tested with (reference samples and API-server
// shaped objects) are valid for the CRDs too.
TEST(CrdsManifestTest, CoreTestResourcesValidate) {
  const fs::path dir = fs::path(OD_TEST_DATA_DIR) / "resources";
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    SCOPED_TRACE(entry.path().filename().string());
    ++n;
    EXPECT_THAT(validateManifest(YAML::LoadFile(entry.path().string())), ::testing::IsEmpty());
  }
  EXPECT_GE(n, 5u);
}

TEST(CrdsManifestTest, BadManifestsAreRejectedNamingTheField) {
  const auto files = yamlFiles(kManifests / "bad");
  ASSERT_GE(files.size(), 3u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::vector<std::string> expected;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line) && line.starts_with("# expect-error: ")) {
      expected.push_back(line.substr(std::string("# expect-error: ").size()));
    }
    ASSERT_FALSE(expected.empty()) << "no '# expect-error: <path>' header";
    const auto issues = validateManifest(YAML::LoadFile(file.string()));
    std::vector<std::string> paths;
    for (const auto& i : issues) {
      paths.push_back(i.path);
      EXPECT_FALSE(i.message.empty());
    }
    EXPECT_THAT(paths, UnorderedElementsAreArray(expected)) << ::testing::PrintToString(issues);
  }
}

TEST(CrdsManifestTest, RequiredBackendAndVersionRefRules) {
  const char* kModule = R"(
apiVersion: opendepot.defdev.io/v1alpha1
kind: Module
metadata: {name: m}
spec:
  moduleConfig:
    fileFormat: tar
    storageConfig: {presign: {enabled: true}}
  versions: [{version: "1.0.0"}]
)";
  auto issues = validateManifest(YAML::Load(kModule));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "spec.moduleConfig.storageConfig");

  const char* kVersion = R"(
apiVersion: opendepot.defdev.io/v1alpha1
kind: Version
metadata: {name: v}
spec:
  type: Module
  version: "1.0.0"
  moduleConfigRef: {name: m, fileFormat: zip}
status:
  synced: false
  syncStatus: pending
  conditions:
  - {type: Ready, status: "False"}
  - {type: Ready, status: "True"}
)";
  issues = validateManifest(YAML::Load(kVersion));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "status.conditions[1]");
}

}  // namespace
