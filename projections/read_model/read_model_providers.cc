// ReadModel: the provider half of build() (releases, platforms, SHA256SUMS, signatures).
#include <algorithm>
#include <map>
#include <unordered_set>
#include <utility>

#include "core/base64.h"
#include "projections/read_model/read_model.h"

namespace od::proj {

ProviderViewPtr ReadModel::buildProviderView(const std::string& index, const Agg& agg) {
  (void)index;
  auto view = std::make_shared<ProviderView>();
  if (!agg.parents.empty()) {
    const ParentRecord& p = parents_.at(*agg.parents.begin());
    view->name_space = p.name_space;
    view->name = p.config_name;
  } else if (!agg.versions.empty()) {
    const VersionRecord& v = versions_.at(*agg.versions.begin());
    view->name_space = v.name_space;
    view->name = v.config_name;
  }
  // Versions in resource-key order, so that of two Versions naming the same platform of the
  // same release the same one wins on every build.
  std::map<std::string, ProviderRelease> releases;
  for (const std::string& key : agg.versions) {
    const VersionRecord& r = versions_.at(key);
    auto fact = servedFact(key, r);
    if (!fact) {
      continue;
    }
    auto digest = core::base64Decode(fact->checksum);
    if (!digest.ok() || digest->size() != 32) {
      continue;  // no SHA-256: clients could not verify it
    }
    ProviderRelease& release = releases[r.version];
    release.version = r.version;
    if (release.find(r.os, r.arch) != nullptr) {
      continue;
    }
    ProviderPlatform p;
    p.os = r.os;
    p.arch = r.arch;
    p.checksum = std::move(fact->checksum);
    p.shasum = core::hexEncode(*digest);
    p.key = r.key;
    p.size = fact->size;
    p.h1 = std::move(fact->h1);
    p.filename = providerFileName(view->name, r.version, r.os, r.arch);
    release.platforms.push_back(std::move(p));
  }
  view->releases.reserve(releases.size());
  for (auto& [version, release] : releases) {
    std::sort(release.platforms.begin(), release.platforms.end(),
              [](const ProviderPlatform& a, const ProviderPlatform& b) {
                return std::tie(a.os, a.arch) < std::tie(b.os, b.arch);
              });
    release.shasums = renderShasums(release.platforms);
    if (auto s = signatures_.find(release.shasums); s != signatures_.end()) {
      release.signature = s->second;
    }
    view->releases.push_back(std::move(release));
  }
  renderProviderBodies(*view);
  return view;
}

void ReadModel::collectSignatures(const Snapshot::ProviderIndex& providers) {
  unsigned_.clear();
  std::unordered_set<std::string_view> served;
  for (const auto& [index, view] : providers) {
    for (const ProviderRelease& r : view->releases) {
      if (r.signature.empty()) {
        unsigned_[r.shasums].insert(index);
      } else {
        served.insert(r.shasums);
      }
    }
  }
  for (auto it = signatures_.begin(); it != signatures_.end();) {
    it = served.count(it->first) != 0 || unsigned_.count(it->first) != 0 ? std::next(it)
                                                                          : signatures_.erase(it);
  }
}

std::vector<std::string> ReadModel::unsignedShasums() const {
  std::vector<std::string> out;
  out.reserve(unsigned_.size());
  for (const auto& [doc, providers] : unsigned_) {
    out.push_back(doc);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool ReadModel::addSignature(const std::string& shasums, std::string signature) {
  auto it = unsigned_.find(shasums);
  if (it == unsigned_.end() || signature.empty()) {
    return false;
  }
  signatures_[shasums] = std::move(signature);
  for (const std::string& index : it->second) {
    touch(true, index);
  }
  unsigned_.erase(it);
  return true;
}

}  // namespace od::proj
