#include "events/resource_state.h"

#include <charconv>

namespace od::events {
namespace {

std::optional<uint64_t> parseNumber(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

core::Result<ResourceKey> parseResourceKey(std::string_view key) {
  const size_t first = key.find('/');
  const size_t second = first == std::string_view::npos ? first : key.find('/', first + 1);
  if (second == std::string_view::npos || key.find('/', second + 1) != std::string_view::npos ||
      first == 0 || second == first + 1 || second + 1 == key.size()) {
    return core::makeError(core::Errc::Corrupt,
                           "event key '" + std::string(key.substr(0, 300)) +
                               "' is not Kind/namespace/name");
  }
  return ResourceKey{std::string(key.substr(0, first)),
                     std::string(key.substr(first + 1, second - first - 1)),
                     std::string(key.substr(second + 1))};
}

std::optional<int> compareResourceVersions(std::string_view a, std::string_view b) {
  auto x = parseNumber(a);
  auto y = parseNumber(b);
  if (!x || !y) {
    return std::nullopt;
  }
  return *x < *y ? -1 : (*x > *y ? 1 : 0);
}

core::Result<ResourceState::Outcome> ResourceState::apply(const events::Envelope& envelope) {
  const bool observed = envelope.type == events::type::kResourceObserved;
  const bool deleted = envelope.type == events::type::kResourceDeleted;
  if (!observed && !deleted) {
    return Outcome::Ignored;
  }
  OD_TRY(ResourceKey key, parseResourceKey(envelope.key));
  if (observed) {
    OD_TRY(events::ResourceObserved object, events::decodeAs<events::ResourceObserved>(envelope));
    return observe(std::move(key), std::move(object), envelope.id);
  }
  OD_TRY(events::ResourceDeleted gone, events::decodeAs<events::ResourceDeleted>(envelope));
  return remove(key, gone);
}

ResourceState::Outcome ResourceState::observe(ResourceKey key, events::ResourceObserved object,
                                              std::string event_id) {
  const std::string k = key.str();
  if (auto t = tombstones_.find(k); t != tombstones_.end() && t->second.uid == object.uid) {
    auto order = compareResourceVersions(object.resource_version, t->second.resource_version);
    if (!order || *order <= 0) {
      return Outcome::Stale;  // a late observation of an object already deleted
    }
  }
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.object.uid == object.uid) {
    const auto& current = it->second.object.resource_version;
    if (current == object.resource_version) {
      return Outcome::Duplicate;
    }
    if (auto order = compareResourceVersions(object.resource_version, current); order && *order < 0) {
      return Outcome::Stale;
    }
  }
  tombstones_.erase(k);
  ResourceEntry entry{std::move(key), std::move(object), std::move(event_id)};
  entries_.insert_or_assign(k, std::move(entry));
  return Outcome::Changed;
}

ResourceState::Outcome ResourceState::remove(const ResourceKey& key,
                                             const events::ResourceDeleted& deleted) {
  const std::string k = key.str();
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.object.uid != deleted.uid && !deleted.uid.empty()) {
    return Outcome::Stale;  // the deletion of an older object of the same name
  }
  tombstones_.insert_or_assign(k, Tombstone{deleted.uid, deleted.resource_version});
  if (it == entries_.end()) {
    return Outcome::Duplicate;
  }
  entries_.erase(it);
  return Outcome::Deleted;
}

const ResourceEntry* ResourceState::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<const ResourceEntry*> ResourceState::list(std::string_view kind,
                                                      std::string_view name_space) const {
  std::vector<const ResourceEntry*> out;
  for (const auto& [k, entry] : entries_) {
    if (entry.key.kind == kind && (name_space.empty() || entry.key.name_space == name_space)) {
      out.push_back(&entry);
    }
  }
  return out;
}

std::string_view outcomeName(ResourceState::Outcome outcome) {
  switch (outcome) {
    case ResourceState::Outcome::Changed: return "changed";
    case ResourceState::Outcome::Deleted: return "deleted";
    case ResourceState::Outcome::Duplicate: return "duplicate";
    case ResourceState::Outcome::Stale: return "stale";
    case ResourceState::Outcome::Ignored: return "ignored";
  }
  return "unknown";
}

}  // namespace od::events
