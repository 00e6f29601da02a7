#include "projections/read_model/provider_view.h"

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

// Releases newest first by SemVer precedence (canonical texts always parse; anything that
// would not sorts last).
std::vector<const ProviderRelease*> newestFirst(const std::vector<ProviderRelease>& releases) {
  std::vector<std::pair<core::SemVer, const ProviderRelease*>> order;
  std::vector<const ProviderRelease*> unparsed;
  for (const ProviderRelease& r : releases) {
    if (auto parsed = core::SemVer::parse(r.version); parsed.ok()) {
      order.emplace_back(std::move(*parsed), &r);
    } else {
      unparsed.push_back(&r);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return b.first < a.first; });
  std::vector<const ProviderRelease*> out;
  out.reserve(releases.size());
  for (const auto& [semver, r] : order) {
    out.push_back(r);
  }
  out.insert(out.end(), unparsed.begin(), unparsed.end());
  return out;
}

}  // namespace

const ProviderPlatform* ProviderRelease::find(std::string_view os, std::string_view arch) const {
  for (const ProviderPlatform& p : platforms) {
    if (p.os == os && p.arch == arch) {
      return &p;
    }
  }
  return nullptr;
}

const ProviderRelease* ProviderView::find(std::string_view canonical) const {
  auto it = std::lower_bound(releases.begin(), releases.end(), canonical,
                             [](const ProviderRelease& r, std::string_view c) { return r.version < c; });
  return it != releases.end() && it->version == canonical ? &*it : nullptr;
}

std::string providerIndexKey(std::string_view name_space, std::string_view type) {
  std::string key;
  key.reserve(name_space.size() + type.size() + 1);
  appendLower(key, name_space);
  key.push_back('\0');
  appendLower(key, type);
  return key;
}

std::string providerFileName(std::string_view type, std::string_view version, std::string_view os,
                             std::string_view arch) {
  std::string name = "terraform-provider-";
  appendLower(name, type);
  name += '_';
  name += version;
  name += '_';
  name += os;
  name += '_';
  name += arch;
  name += ".zip";
  return name;
}

std::string renderShasums(const std::vector<ProviderPlatform>& platforms) {
  std::vector<const ProviderPlatform*> order;
  order.reserve(platforms.size());
  for (const ProviderPlatform& p : platforms) {
    order.push_back(&p);
  }
  std::sort(order.begin(), order.end(),
            [](const ProviderPlatform* a, const ProviderPlatform* b) { return a->filename < b->filename; });
  std::string out;
  for (const ProviderPlatform* p : order) {
    out += p->shasum;
    out += "  ";
    out += p->filename;
    out += '\n';
  }
  return out;
}

void renderProviderBodies(ProviderView& view) {
  const std::vector<const ProviderRelease*> order = newestFirst(view.releases);
  core::JsonWriter w;
  w.beginObject().key("versions").beginArray();
  for (const ProviderRelease* r : order) {
    w.beginObject().member("version", r->version);
    w.key("protocols").beginArray().value(kProviderProtocol).endArray();
    w.key("platforms").beginArray();
    for (const ProviderPlatform& p : r->platforms) {
      w.beginObject().member("os", p.os).member("arch", p.arch).endObject();
    }
    w.endArray().endObject();
  }
  w.endArray().endObject();
  view.versions_body = w.take();

  core::JsonWriter m;
  m.beginObject().key("versions").beginObject();
  for (const ProviderRelease* r : order) {
    m.key(r->version).beginObject().endObject();
  }
  m.endObject().endObject();
  view.mirror_index_body = m.take();
}

}  // namespace od::proj
