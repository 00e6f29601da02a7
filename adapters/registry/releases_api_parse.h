#pragma once
// One page of the HashiCorp releases API's list of a product's releases:
//   GET {base}/v1/releases/{product}?limit=N[&after=<timestamp_created>]
//   → [{"name","version","timestamp_created","is_prerelease","builds":[{"os","arch","url"}],
//       "url_shasums","url_shasums_signatures",...}, ...], newest first; an empty array ends.
// Parsed with bounded simdjson and checked field by field (Errc::Corrupt naming the field):
// every entry an object of the asked product whose version passes checkVersion and whose
// timestamp_created is an RFC 3339 UTC time ("2024-01-02T03:04:05.678Z"); is_prerelease a
// boolean and builds[] objects with platform-name os/arch when present.
// Thread affinity: none (pure).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::adapters::registry {

struct ReleasesApiEntry {
  std::string version;
  std::string timestamp_created;  // verbatim: the next page's `after`
  int64_t created_ns = 0;         // the same time, nanoseconds since the Unix epoch
  bool prerelease = false;
};

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" → nanoseconds since the epoch; Errc::Corrupt otherwise.
core::Result<int64_t> parseRfc3339Utc(std::string_view text);

core::Result<std::vector<ReleasesApiEntry>> parseReleasesApiPage(std::string_view body,
                                                                 std::string_view product,
                                                                 size_t max_bytes);

}  // namespace od::adapters::registry
