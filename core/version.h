#pragma once
// SemVer: a module or provider version, parsed with hashicorp/go-version's rules as the
// reference uses them, with the deviations our spec requires (reliability doc B68, B70).
//
//   Accepted: at most one leading `v`; 1 to 3 numeric segments, short forms padded
//   (`1.2` -> 1.2.0, `v5` -> 5.0.0; leading zeros are read as numbers, `01.2.3` -> 1.2.3);
//   a pre-release after `-` (`1.2.3-rc.1`) or, as go-version allows, glued on when it starts
//   with a letter or `~` (`1.7rc2` -> 1.7.0-rc2); build metadata after `+`. Pre-release and
//   metadata are dot-separated, non-empty identifiers of [0-9A-Za-z-~].
//   Rejected (Errc::Invalid, the message names the input): empty text, more than 3 numeric
//   segments (`1.2.3.4`, go-version accepts it), `latest`, `v`, `vv1.0.0`, any whitespace or
//   other junk before or after, an empty pre-release (`1.2.3-`, go-version reads it as the
//   pre-release "-"), a segment above UINT64_MAX, text longer than kMaxLength bytes.
//
// Ordering (compare, operator<=>) is precedence: numeric segments, then a pre-release sorts
// before its release; pre-release identifiers compare numerically when both are numeric,
// numeric before alphanumeric, bytewise otherwise, and a shorter list sorts first when it
// is a prefix of the longer one. Build metadata never affects precedence. The last rule
// follows SemVer rather than go-version, whose "5.4-alpha" > "5.4-alpha.beta" but
// "5.4-alpha" < "5.4-alpha.1" makes its ordering cyclic (not usable with std::sort).
//
// Equality (operator==) is *identity*: same canonical() text, so 1.0.0+a != 1.0.0+b even
// though neither sorts before the other (std::weak_ordering::equivalent). Use
// samePrecedence() for go-version's Equal, which ignores metadata.
//
// Thread affinity: plain immutable value; any thread.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace od::core {

class SemVer {
 public:
  static constexpr size_t kMaxLength = 128;

  // 0.0.0, so that structs holding a SemVer can be default-constructed.
  SemVer() = default;

  // Parses `text` (see the rules above). Errc::Invalid with a message naming the input.
  static Result<SemVer> parse(std::string_view text);

  uint64_t major() const { return major_; }
  uint64_t minor() const { return minor_; }
  uint64_t patch() const { return patch_; }
  // Without the leading `-` / `+`; empty when absent.
  const std::string& prerelease() const { return prerelease_; }
  const std::string& metadata() const { return metadata_; }
  bool isPrerelease() const { return !prerelease_.empty(); }
  // How many numeric segments the text spelled out (1..3): `~> 1.2` differs from `~> 1.2.0`.
  int specifiedSegments() const { return specified_segments_; }

  // go-version's String(): "1.2.0-beta.1+meta" (no `v`, padded, metadata kept). The Depot
  // de-duplicates on this.
  std::string canonical() const;
  // golang.org/x/mod/semver Canonical("v" + text): "v1.2.0-beta.1", metadata dropped. The
  // Module/Provider status.latestVersion uses it. Pre-release identifiers are kept as parsed
  // (x/mod would reject `~` and numeric identifiers with leading zeros; we do not re-check).
  std::string semverCanonical() const;

  // <0, 0 or >0 by precedence; metadata ignored.
  int compare(const SemVer& other) const;
  bool samePrecedence(const SemVer& other) const { return compare(other) == 0; }

  friend std::weak_ordering operator<=>(const SemVer& a, const SemVer& b) {
    const int c = a.compare(b);
    if (c < 0) {
      return std::weak_ordering::less;
    }
    return c > 0 ? std::weak_ordering::greater : std::weak_ordering::equivalent;
  }
  friend bool operator==(const SemVer& a, const SemVer& b) {
    return a.major_ == b.major_ && a.minor_ == b.minor_ && a.patch_ == b.patch_ &&
           a.prerelease_ == b.prerelease_ && a.metadata_ == b.metadata_;
  }

 private:
  uint64_t major_ = 0;
  uint64_t minor_ = 0;
  uint64_t patch_ = 0;
  std::string prerelease_;
  std::string metadata_;
  int specified_segments_ = 3;
};

// Renders user text for an error message: in double quotes, bytes outside printable ASCII
// as \xNN, cut after 64 bytes with "...". Keeps statuses and logs readable and safe.
std::string quoteVersionText(std::string_view text);

}  // namespace od::core
