#include "adapters/github/releases.h"

#include <string>

#include "core/json.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

namespace {

// draft/prerelease: GitHub always sends booleans; absent or null counts as false.
core::Result<bool> flag(simdjson::dom::object release, std::string_view name, size_t index) {
  simdjson::dom::element e;
  if (release[name].get(e) != simdjson::SUCCESS || e.is_null()) {
    return false;
  }
  bool value = false;
  if (e.get(value) != simdjson::SUCCESS) {
    return makeError(Errc::Corrupt, "releases[" + std::to_string(index) + "]." + std::string(name) +
                                        ": want a boolean, got " +
                                        std::string(core::jsonTypeName(e)));
  }
  return value;
}

}  // namespace

core::Result<std::vector<core::Release>> parseReleasesPage(std::string_view body, size_t max_bytes) {
  core::JsonLimits limits;
  limits.max_bytes = max_bytes;
  auto doc = core::JsonDocument::parse(body, limits);
  if (!doc) {
    return makeError(Errc::Corrupt, "releases page is not JSON: " + doc.error().message);
  }
  simdjson::dom::array array;
  if (doc->root().get(array) != simdjson::SUCCESS) {
    return makeError(Errc::Corrupt, "releases page: want a JSON array, got " +
                                        std::string(core::jsonTypeName(doc->root())));
  }
  std::vector<core::Release> out;
  size_t index = 0;
  for (simdjson::dom::element item : array) {
    simdjson::dom::object release;
    if (item.get(release) != simdjson::SUCCESS) {
      return makeError(Errc::Corrupt, "releases[" + std::to_string(index) + "]: want an object, got " +
                                          std::string(core::jsonTypeName(item)));
    }
    std::string_view tag;
    if (release["tag_name"].get(tag) != simdjson::SUCCESS || tag.empty()) {
      return makeError(Errc::Corrupt,
                       "releases[" + std::to_string(index) + "].tag_name: want a non-empty string");
    }
    core::Release r;
    r.tag = std::string(tag);
    OD_TRY(r.draft, flag(release, "draft", index));
    OD_TRY(r.prerelease, flag(release, "prerelease", index));
    out.push_back(std::move(r));
    ++index;
  }
  return out;
}

}  // namespace od::adapters::github
