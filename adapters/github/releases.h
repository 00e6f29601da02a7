#pragma once
// One page of GET /repos/{owner}/{repo}/releases: a JSON array of release objects, of which
// tag_name (string), draft and prerelease (booleans) are read. Anything else (HTML, truncated
// or non-array JSON, entries without a string tag_name) is Errc::Corrupt.
// Thread affinity: pure function, any thread.

#include <string_view>
#include <vector>

#include "core/ports/sources.h"
#include "core/result.h"

namespace od::adapters::github {

core::Result<std::vector<core::Release>> parseReleasesPage(std::string_view body, size_t max_bytes);

}  // namespace od::adapters::github
