#include "projections/read_model/read_model.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/problems.h"
#include "core/resources/meta.h"
#include "core/resources/module.h"
#include "core/resources/provider.h"
#include "core/resources/version.h"
#include "core/storage_key.h"
#include "core/version.h"
#include "events/codec.h"

namespace od::proj {
namespace {

// Reads a verbatim sub-document (spec or status) of an observation into T with core/'s
// field decoders. Wrong field types read as unset (the registry then finds the Version
// unservable); only malformed JSON is an error.
template <typename T, typename Decode>
std::optional<T> readDocument(simdjson::dom::parser& parser, std::string_view json, Decode decode) {
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  core::Problems problems;
  core::FieldReader reader(root, "", &problems);
  if (!reader.isObject()) {
    return std::nullopt;
  }
  return decode(reader);
}

struct VersionFields {
  core::VersionSpec spec;
  bool synced = false;
  std::string checksum;
  int64_t size = 0;
};

std::optional<VersionFields> readVersion(simdjson::dom::parser& parser,
                                         const events::ResourceObserved& o) {
  auto spec = readDocument<core::VersionSpec>(parser, o.spec, [](const core::FieldReader& r) {
    core::VersionSpec s;
    s.type = r.string("type").value_or("");
    s.version = r.string("version").value_or("");
    s.file_name = r.string("fileName");
    s.module_config_ref = r.object<core::ModuleConfig>("moduleConfigRef", core::decodeModuleConfig);
    s.provider_config_ref =
        r.object<core::ProviderConfig>("providerConfigRef", core::decodeProviderConfig);
    s.operating_system = r.string("operatingSystem").value_or("");
    s.architecture = r.string("architecture").value_or("");
    return s;
  });
  if (!spec) {
    return std::nullopt;
  }
  VersionFields fields;
  fields.spec = std::move(*spec);
  (void)readDocument<bool>(parser, o.status, [&fields](const core::FieldReader& r) {
    fields.synced = r.boolean("synced").value_or(false);
    fields.checksum = r.string("checksum").value_or("");
    fields.size = r.integer("archiveSizeBytes").value_or(0);
    return true;
  });
  return fields;
}

bool isKind(std::string_view key, std::string_view kind) {
  return key.size() > kind.size() && key.substr(0, kind.size()) == kind && key[kind.size()] == '/';
}

// Lowercased OS or architecture; empty unless it is 1-32 ASCII letters and digits (what
// terraform and tofu name platforms with, and safe inside file names and URLs).
std::string platformPart(std::string_view s) {
  if (s.empty() || s.size() > 32) {
    return {};
  }
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else {
      return {};
    }
  }
  return out;
}

bool unservableRecord(bool provider, const std::string& version, const std::string& key,
                      const std::string& os, const std::string& arch) {
  return version.empty() || key.empty() || (provider && (os.empty() || arch.empty()));
}

}  // namespace

std::string_view outcomeName(ReadModel::Outcome outcome) {
  switch (outcome) {
    case ReadModel::Outcome::Changed: return "changed";
    case ReadModel::Outcome::Unchanged: return "unchanged";
    case ReadModel::Outcome::Ignored: return "ignored";
  }
  return "unknown";
}

ReadModel::ReadModel(ReadModelOptions options) : options_(std::move(options)) {}

core::Result<ReadModel::Outcome> ReadModel::apply(const events::Envelope& envelope) {
  if (envelope.type == events::type::kResourceObserved ||
      envelope.type == events::type::kResourceDeleted) {
    // Only the kinds the registry reads are folded.
    if (!isKind(envelope.key, core::kKindModule) && !isKind(envelope.key, core::kKindVersion) &&
        !isKind(envelope.key, core::kKindProvider)) {
      return Outcome::Ignored;
    }
    return applyResource(envelope);
  }
  if (envelope.type == events::type::kVersionSynced) {
    return applySynced(envelope);
  }
  return Outcome::Ignored;
}

// events::ResourceState decides ordering, duplicates and tombstones from uid and resourceVersion
// alone; it is handed the observation without spec, status, labels and annotations (which
// may hold large scan reports and last-applied configurations), so that 100k Versions stay
// small. The full observation is read once, here, into the compact record.
core::Result<ReadModel::Outcome> ReadModel::applyResource(const events::Envelope& envelope) {
  std::optional<events::ResourceObserved> full;
  events::ResourceState::Outcome outcome;
  if (envelope.type == events::type::kResourceObserved) {
    OD_TRY(events::ResourceObserved observed, events::decodeAs<events::ResourceObserved>(envelope));
    events::ResourceObserved slim;
    slim.uid = observed.uid;
    slim.resource_version = observed.resource_version;
    slim.generation = observed.generation;
    slim.deletion_timestamp = observed.deletion_timestamp;
    full = std::move(observed);
    OD_TRY(outcome, resources_.apply(events::makeEnvelope(
                        slim, events::EnvelopeMeta{envelope.id, envelope.key, envelope.corr,
                                                   envelope.cause, envelope.ts})));
  } else {
    OD_TRY(outcome, resources_.apply(envelope));
  }
  if (outcome != events::ResourceState::Outcome::Changed && outcome != events::ResourceState::Outcome::Deleted) {
    return Outcome::Unchanged;
  }
  const events::ResourceEntry* entry = resources_.find(envelope.key);
  const events::ResourceObserved* object = entry != nullptr && full ? &*full : nullptr;
  if (isKind(envelope.key, core::kKindVersion)) {
    refreshVersion(envelope.key, entry, object);
  } else {
    refreshParent(envelope.key, entry, object);
  }
  return Outcome::Changed;
}

core::Result<ReadModel::Outcome> ReadModel::applySynced(const events::Envelope& envelope) {
  OD_TRY(events::ResourceKey key, events::parseResourceKey(envelope.key));
  if (key.kind != core::kKindVersion) {
    return core::makeError(core::Errc::Corrupt, "VersionSynced " + envelope.id +
                                                    " is about '" + envelope.key +
                                                    "', not a Version");
  }
  OD_TRY(events::VersionSynced synced, events::decodeAs<events::VersionSynced>(envelope));
  auto [it, inserted] = facts_.try_emplace(envelope.key);
  SyncedFact& fact = it->second;
  if (!inserted && fact.generation > synced.generation) {
    return Outcome::Unchanged;  // a replayed fact about an older generation
  }
  const std::string h1 = synced.h1.value_or("");
  if (!inserted && fact.generation == synced.generation && fact.file_name == synced.file_name &&
      fact.checksum == synced.checksum && fact.size == synced.size && fact.h1 == h1) {
    return Outcome::Unchanged;
  }
  fact = SyncedFact{synced.generation, std::move(synced.file_name), std::move(synced.checksum),
                    synced.size, h1};
  if (auto v = versions_.find(envelope.key); v != versions_.end()) {
    touch(v->second.provider, v->second.index);
  }
  return Outcome::Changed;
}

std::optional<ReadModel::VersionRecord> ReadModel::recordOf(const events::ResourceEntry& entry,
                                                            const events::ResourceObserved& object) {
  auto fields = readVersion(parser_, object);
  if (!fields) {
    return std::nullopt;  // undecodable documents are no registry versions
  }
  VersionRecord r;
  r.name_space = entry.key.name_space;
  if (fields->spec.type == core::kVersionTypeModule) {
    const auto& cfg = fields->spec.module_config_ref;
    if (!cfg || !cfg->name || cfg->name->empty()) {
      return std::nullopt;
    }
    r.config_name = *cfg->name;
    r.system = cfg->provider;
    r.index = moduleIndexKey(r.name_space, r.config_name, r.system);
  } else if (fields->spec.type == core::kVersionTypeProvider) {
    const auto& cfg = fields->spec.provider_config_ref;
    if (!cfg || !cfg->name || cfg->name->empty()) {
      return std::nullopt;
    }
    r.provider = true;
    r.config_name = *cfg->name;
    r.os = platformPart(fields->spec.operating_system);
    r.arch = platformPart(fields->spec.architecture);
    r.index = providerIndexKey(r.name_space, r.config_name);
  } else {
    return std::nullopt;
  }
  if (auto semver = core::SemVer::parse(fields->spec.version); semver.ok()) {
    r.version = semver->canonical();
  }
  if (auto storage_key = core::artifactKey(fields->spec, options_.storage_root); storage_key.ok()) {
    r.key = std::move(*storage_key);
  }
  r.file_name = fields->spec.file_name.value_or("");
  r.generation = entry.object.generation;
  r.deleting = entry.object.deletion_timestamp.has_value();
  r.status_synced = fields->synced;
  r.status_checksum = std::move(fields->checksum);
  r.status_size = static_cast<uint64_t>(std::max<int64_t>(0, fields->size));
  return r;
}

void ReadModel::refreshVersion(const std::string& key, const events::ResourceEntry* entry,
                               const events::ResourceObserved* object) {
  std::optional<VersionRecord> record;
  if (entry != nullptr && object != nullptr) {
    record = recordOf(*entry, *object);
  } else {
    facts_.erase(key);  // the object is gone; a re-created one starts over
  }
  if (auto old = versions_.find(key); old != versions_.end()) {
    const VersionRecord& o = old->second;
    unservable_ -= unservableRecord(o.provider, o.version, o.key, o.os, o.arch) ? 1 : 0;
    if (!record || o.index != record->index || o.provider != record->provider) {
      aggsOf(o.provider)[o.index].versions.erase(key);
    }
    touch(o.provider, o.index);
    versions_.erase(old);
  }
  if (record) {
    const VersionRecord& r = *record;
    unservable_ += unservableRecord(r.provider, r.version, r.key, r.os, r.arch) ? 1 : 0;
    aggsOf(r.provider)[r.index].versions.insert(key);
    touch(r.provider, r.index);
    versions_.emplace(key, std::move(*record));
  }
}

std::optional<ReadModel::ParentRecord> ReadModel::parentOf(const events::ResourceEntry& entry,
                                                           const events::ResourceObserved& object) {
  ParentRecord r;
  r.name_space = entry.key.name_space;
  if (entry.key.kind == core::kKindProvider) {
    auto cfg = readDocument<std::optional<core::ProviderConfig>>(
                   parser_, object.spec, [](const core::FieldReader& reader) {
                     return reader.object<core::ProviderConfig>("providerConfig",
                                                                core::decodeProviderConfig);
                   }).value_or(std::nullopt);
    if (!cfg) {
      return std::nullopt;
    }
    r.config_name = cfg->name && !cfg->name->empty() ? *cfg->name : entry.key.name;
    r.index = providerIndexKey(r.name_space, r.config_name);
    return r;
  }
  core::Module m;
  m.metadata.name = entry.key.name;
  m.spec.module_config = readDocument<std::optional<core::ModuleConfig>>(
      parser_, object.spec, [](const core::FieldReader& reader) {
        return reader.object<core::ModuleConfig>("moduleConfig", core::decodeModuleConfig);
      }).value_or(std::nullopt);
  if (!m.spec.module_config) {
    return std::nullopt;
  }
  r.config_name = core::moduleBaseName(m);
  r.system = m.spec.module_config->provider;
  r.index = moduleIndexKey(r.name_space, r.config_name, r.system);
  return r;
}

void ReadModel::refreshParent(const std::string& key, const events::ResourceEntry* entry,
                              const events::ResourceObserved* object) {
  const bool provider = isKind(key, core::kKindProvider);
  std::optional<ParentRecord> record;
  if (entry != nullptr && object != nullptr) {
    record = parentOf(*entry, *object);
  }
  if (auto old = parents_.find(key); old != parents_.end()) {
    if (!record || old->second.index != record->index) {
      aggsOf(provider)[old->second.index].parents.erase(key);
      touch(provider, old->second.index);
    }
    parents_.erase(old);
  }
  if (record) {
    aggsOf(provider)[record->index].parents.insert(key);
    touch(provider, record->index);
    parents_.emplace(key, std::move(*record));
  }
}

std::optional<ReadModel::SyncedFact> ReadModel::servedFact(const std::string& key,
                                                           const VersionRecord& r) const {
  if (unservableRecord(r.provider, r.version, r.key, r.os, r.arch) || r.deleting) {
    return std::nullopt;
  }
  if (auto f = facts_.find(key); f != facts_.end()) {
    const SyncedFact& fact = f->second;
    if (fact.generation == r.generation && fact.file_name == r.file_name &&
        !fact.checksum.empty()) {
      return fact;
    }
  }
  if (r.status_synced && !r.status_checksum.empty()) {
    return SyncedFact{r.generation, r.file_name, r.status_checksum, r.status_size, ""};
  }
  return std::nullopt;
}

std::optional<ServableVersion> ReadModel::servable(const std::string& key,
                                                   const VersionRecord& r) const {
  auto fact = servedFact(key, r);
  if (!fact) {
    return std::nullopt;
  }
  return ServableVersion{r.version, std::move(fact->checksum), r.key, fact->size};
}

ModuleViewPtr ReadModel::buildView(const Agg& agg) const {
  auto view = std::make_shared<ModuleView>();
  if (!agg.parents.empty()) {
    const ParentRecord& m = parents_.at(*agg.parents.begin());
    view->name_space = m.name_space;
    view->name = m.config_name;
    view->system = m.system;
  } else if (!agg.versions.empty()) {
    const VersionRecord& v = versions_.at(*agg.versions.begin());
    view->name_space = v.name_space;
    view->name = v.config_name;
    view->system = v.system;
  }
  // Versions in resource-key order, so that of two Versions spelling the same canonical
  // version ("1.2" and "1.2.0") the same one wins on every build.
  for (const std::string& key : agg.versions) {
    if (auto sv = servable(key, versions_.at(key))) {
      view->versions.push_back(std::move(*sv));
    }
  }
  std::stable_sort(view->versions.begin(), view->versions.end(),
                   [](const ServableVersion& a, const ServableVersion& b) { return a.version < b.version; });
  view->versions.erase(std::unique(view->versions.begin(), view->versions.end(),
                                   [](const ServableVersion& a, const ServableVersion& b) {
                                     return a.version == b.version;
                                   }),
                       view->versions.end());
  view->versions.shrink_to_fit();
  view->versions_body = renderVersionsBody(view->versions);
  return view;
}

void ReadModel::rebuild(AggMap& aggs, std::set<std::string>& dirty, bool provider) {
  for (const std::string& index : dirty) {
    auto it = aggs.find(index);
    if (it == aggs.end()) {
      continue;
    }
    if (it->second.parents.empty() && it->second.versions.empty()) {
      aggs.erase(it);
      continue;
    }
    if (provider) {
      it->second.provider_view = buildProviderView(index, it->second);
    } else {
      it->second.view = buildView(it->second);
    }
  }
  dirty.clear();
}

SnapshotPtr ReadModel::build() {
  rebuild(aggs_, dirty_, false);
  const bool providers_changed = !dirty_providers_.empty();
  rebuild(provider_aggs_, dirty_providers_, true);
  Snapshot::Index index;
  index.reserve(aggs_.size());
  for (const auto& [module, agg] : aggs_) {
    if (agg.view && (!agg.parents.empty() || !agg.view->versions.empty())) {
      index.emplace(module, agg.view);
    }
  }
  Snapshot::ProviderIndex providers;
  providers.reserve(provider_aggs_.size());
  for (const auto& [key, agg] : provider_aggs_) {
    if (agg.provider_view && (!agg.parents.empty() || !agg.provider_view->releases.empty())) {
      providers.emplace(key, agg.provider_view);
    }
  }
  if (providers_changed) {
    collectSignatures(providers);
  }
  return std::make_shared<const Snapshot>(std::move(index), ++sequence_, std::move(providers));
}

}  // namespace od::proj
