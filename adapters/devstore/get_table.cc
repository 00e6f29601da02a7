#include "adapters/devstore/get_table.h"

#include <algorithm>
#include <cctype>

#include "adapters/devstore/object_rules.h"

namespace od::adapters::devstore {
namespace {

using nlohmann::json;
using Row = std::vector<std::string>;

const json& at(const json& obj, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &obj;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) {
      return kNull;
    }
    cur = &(*cur)[key];
  }
  return *cur;
}

std::string text(const json& v) {
  if (v.is_null()) {
    return "";
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  return v.dump();
}

std::string orNone(std::string s) { return s.empty() ? "<none>" : s; }

std::string condition(const json& obj, const char* type) {
  const json& conditions = at(obj, {"status", "conditions"});
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (text(at(c, {"type"})) == type) {
        return text(at(c, {"status"}));
      }
    }
  }
  return "";
}

std::string synced(const json& obj) {
  const json& v = at(obj, {"status", "synced"});
  return v.is_boolean() ? (v.get<bool>() ? "true" : "false") : "false";
}

std::string count(const json& v) { return v.is_array() ? std::to_string(v.size()) : "0"; }

std::string parentOf(const json& obj) {
  const json& refs = at(obj, {"metadata", "ownerReferences"});
  if (refs.is_array() && !refs.empty()) {
    return text(at(refs[0], {"kind"})) + "/" + text(at(refs[0], {"name"}));
  }
  return "";
}

struct Table {
  std::string kind;
  Row header;
  Row (*row)(const json& obj);
};

Row moduleRow(const json& o) {
  return {text(at(o, {"spec", "moduleConfig", "provider"})),
          orNone(text(at(o, {"status", "latestVersion"}))), count(at(o, {"spec", "versions"})),
          synced(o), orNone(condition(o, "Ready"))};
}

Row providerRow(const json& o) {
  std::string type = text(at(o, {"spec", "providerConfig", "name"}));
  return {type.empty() ? metaString(o, "name") : type,
          orNone(text(at(o, {"status", "latestVersion"}))), count(at(o, {"spec", "versions"})),
          synced(o), orNone(condition(o, "Ready"))};
}

Row versionRow(const json& o) {
  std::string os = text(at(o, {"spec", "operatingSystem"}));
  std::string arch = text(at(o, {"spec", "architecture"}));
  return {text(at(o, {"spec", "type"})),
          orNone(parentOf(o)),
          text(at(o, {"spec", "version"})),
          os.empty() && arch.empty() ? "-" : os + "/" + arch,
          synced(o),
          orNone(text(at(o, {"status", "syncStatus"}))),
          orNone(text(at(o, {"status", "checksum"})))};
}

Row depotRow(const json& o) {
  const json& interval = at(o, {"spec", "pollingIntervalMinutes"});
  return {count(at(o, {"status", "modules"})), count(at(o, {"status", "providers"})),
          interval.is_number() ? text(interval) + "m" : "<none>", orNone(condition(o, "Ready"))};
}

Row bindingRow(const json& o) { return {text(at(o, {"spec", "expression"}))}; }

std::optional<Table> tableFor(std::string_view what) {
  std::string w;
  for (char c : what) {
    w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto is = [&](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return w == n; });
  };
  if (is({"modules", "module", "mod", "mods"})) {
    return Table{"Module", {"PROVIDER", "LATEST", "VERSIONS", "SYNCED", "READY"}, moduleRow};
  }
  if (is({"providers", "provider", "prov"})) {
    return Table{"Provider", {"TYPE", "LATEST", "VERSIONS", "SYNCED", "READY"}, providerRow};
  }
  if (is({"versions", "version", "ver", "vers"})) {
    return Table{"Version",
                 {"TYPE", "PARENT", "VERSION", "PLATFORM", "SYNCED", "STATUS", "CHECKSUM"},
                 versionRow};
  }
  if (is({"depots", "depot"})) {
    return Table{"Depot", {"MODULES", "PROVIDERS", "INTERVAL", "READY"}, depotRow};
  }
  if (is({"groupbindings", "groupbinding", "gb"})) {
    return Table{"GroupBinding", {"EXPRESSION"}, bindingRow};
  }
  return std::nullopt;
}

std::string layout(const std::vector<Row>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) {
      widths[i] = std::max(widths[i], r[i].size());
    }
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) {
        line += std::string(widths[i] - r[i].size() + 3, ' ');
      }
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string shortAge(std::chrono::seconds age) {
  int64_t s = std::max<int64_t>(0, age.count());
  if (s < 120) {
    return std::to_string(s) + "s";
  }
  if (s < 120 * 60) {
    return std::to_string(s / 60) + "m";
  }
  if (s < 48 * 3600) {
    return std::to_string(s / 3600) + "h";
  }
  return std::to_string(s / 86400) + "d";
}

core::Result<std::string> renderGet(std::string_view what, const std::vector<StoredObject>& objects,
                                    const GetOptions& options) {
  auto table = tableFor(what);
  if (!table) {
    return core::makeError(core::Errc::Invalid,
                           "unknown resource type \"" + std::string(what) +
                               "\" (want modules, versions, providers, depots or groupbindings)");
  }
  if (options.output != "" && options.output != "table" && options.output != "json" &&
      options.output != "wide") {
    return core::makeError(core::Errc::Invalid,
                           "unknown output format \"" + options.output + "\" (want json or wide)");
  }
  std::vector<const json*> selected;
  for (const auto& o : objects) {
    if (o.kind() == table->kind &&
        (options.name_space.empty() || metaString(o.object, "namespace") == options.name_space) &&
        (options.name.empty() || metaString(o.object, "name") == options.name)) {
      selected.push_back(&o.object);
    }
  }
  std::sort(selected.begin(), selected.end(), [](const json* a, const json* b) {
    return std::make_pair(metaString(*a, "namespace"), metaString(*a, "name")) <
           std::make_pair(metaString(*b, "namespace"), metaString(*b, "name"));
  });
  if (!options.name.empty() && selected.empty()) {
    return core::makeError(core::Errc::NotFound, table->kind + " \"" + options.name +
                                                     "\" not found");
  }
  if (options.output == "json") {
    json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array()},
                 {"metadata", {{"resourceVersion", ""}}}};
    for (const json* o : selected) {
      list["items"].push_back(*o);
    }
    return list.dump(4) + "\n";
  }
  if (selected.empty()) {
    return options.name_space.empty()
               ? std::string("No resources found.\n")
               : "No resources found in " + options.name_space + " namespace.\n";
  }
  auto now = options.now.value_or(std::chrono::system_clock::now());
  std::vector<Row> rows;
  Row header = {"NAMESPACE", "NAME"};
  header.insert(header.end(), table->header.begin(), table->header.end());
  header.push_back("AGE");
  rows.push_back(header);
  for (const json* o : selected) {
    Row r = {metaString(*o, "namespace"), metaString(*o, "name")};
    Row cols = table->row(*o);
    r.insert(r.end(), cols.begin(), cols.end());
    auto created = parseRfc3339(metaString(*o, "creationTimestamp"));
    r.push_back(created ? shortAge(std::chrono::duration_cast<std::chrono::seconds>(now - *created))
                        : "<unknown>");
    rows.push_back(std::move(r));
  }
  return layout(rows);
}

core::Result<std::string> renderGet(std::string_view what, const std::string& state_file,
                                    const GetOptions& options) {
  auto state = readStateFile(state_file);
  if (!state && state.error().code == core::Errc::NotFound) {
    return core::makeError(core::Errc::NotFound, "no dev state file at " + state_file +
                                                     " (is `opendepot dev` running?)");
  }
  if (!state) {
    return state.error();
  }
  return renderGet(what, state->objects, options);
}

}  // namespace od::adapters::devstore
