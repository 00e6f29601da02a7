#include "projections/read_model/snapshot.h"

#include <algorithm>
#include <utility>

#include "core/json_writer.h"
#include "core/version.h"

namespace od::proj {
namespace {

void appendLower(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
}

}  // namespace

std::string_view ServableVersion::fileName() const {
  std::string_view k = key;
  const size_t slash = k.rfind('/');
  return slash == std::string_view::npos ? k : k.substr(slash + 1);
}

const ServableVersion* ModuleView::find(std::string_view canonical) const {
  auto it = std::lower_bound(versions.begin(), versions.end(), canonical,
                             [](const ServableVersion& v, std::string_view c) { return v.version < c; });
  return it != versions.end() && it->version == canonical ? &*it : nullptr;
}

std::string moduleIndexKey(std::string_view name_space, std::string_view name,
                           std::string_view system) {
  std::string key;
  key.reserve(name_space.size() + name.size() + system.size() + 2);
  appendLower(key, name_space);
  key.push_back('\0');
  appendLower(key, name);
  key.push_back('\0');
  appendLower(key, system);
  return key;
}

std::string renderVersionsBody(const std::vector<ServableVersion>& versions) {
  // Canonical texts always parse (the read model only keeps parsed versions); anything that
  // would not sorts last rather than being dropped.
  std::vector<std::pair<core::SemVer, const std::string*>> order;
  order.reserve(versions.size());
  std::vector<const std::string*> unparsed;
  for (const ServableVersion& v : versions) {
    auto parsed = core::SemVer::parse(v.version);
    if (parsed.ok()) {
      order.emplace_back(std::move(*parsed), &v.version);
    } else {
      unparsed.push_back(&v.version);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return b.first < a.first; });
  core::JsonWriter w;
  w.beginObject().key("modules").beginArray().beginObject().key("versions").beginArray();
  for (const auto& [semver, text] : order) {
    w.beginObject().member("version", *text).endObject();
  }
  for (const std::string* text : unparsed) {
    w.beginObject().member("version", *text).endObject();
  }
  w.endArray().endObject().endArray().endObject();
  return w.take();
}

Snapshot::Snapshot(Index modules, uint64_t sequence, ProviderIndex providers)
    : modules_(std::move(modules)), providers_(std::move(providers)), sequence_(sequence) {
  for (const auto& [key, view] : modules_) {
    version_count_ += view->versions.size();
  }
}

const ModuleView* Snapshot::findModule(std::string_view name_space, std::string_view name,
                                       std::string_view system) const {
  auto it = modules_.find(moduleIndexKey(name_space, name, system));
  if (it == modules_.end()) {
    it = modules_.find(moduleIndexKey(name_space, name, ""));
  }
  return it == modules_.end() ? nullptr : it->second.get();
}

const ProviderView* Snapshot::findProvider(std::string_view name_space,
                                           std::string_view type) const {
  auto it = providers_.find(providerIndexKey(name_space, type));
  return it == providers_.end() ? nullptr : it->second.get();
}

}  // namespace od::proj
