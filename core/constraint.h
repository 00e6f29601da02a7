#pragma once
// Constraints: a version constraint in hashicorp/go-version syntax, as the Depot's
// `versionConstraints` uses it (inventory §1, §8). Thread affinity: plain immutable value;
// any thread.
//
//   Syntax: terms separated by commas, all of which must hold (AND). A term is an operator
//   and a version (SemVer::parse rules, so `v1.2` and `1.2` work and `1.2.3.4` does not),
//   with optional whitespace around both. Operators: `=` or none, `!=`, `>`, `>=`, `<`, `<=`,
//   `~>`. Anything else (`=>`, `~`, `^`, `>>=`) is an unknown operator.
//   Errc::Invalid, with the whole constraint and the bad part in the message, for: an empty
//   or blank string, an empty term (`>= 1.0,`, `1.0,,2.0`), an operator without a version,
//   a malformed version, and — following Terraform's documented rule rather than
//   go-version (reliability doc B73) — an exact term (`=` or none) combined with others.
//
//   Matching, as go-version does it:
//   - `=` and `!=` compare precedence (metadata ignored) and apply to pre-releases as to
//     anything else.
//   - `>`, `>=`, `<`, `<=`, `~>`: a pre-release version matches only a term whose version is
//     itself a pre-release with the same major.minor.patch (prereleaseCheck); a release
//     version is compared normally.
//   - `~>` means "at least this, and the segments before the last one spelled out stay the
//     same": `~> 1.2.3` is >=1.2.3 <1.3.0, `~> 1.2` is >=1.2.0 <2.0.0. `~> 1` has no upper
//     bound (it is >=1.0.0), which is go-version's behaviour (hashicorp/go-version#162,
//     open) and so the reference's. A pre-release term (`~> 2.1.0-a`) matches only
//     pre-releases of that same core.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/version.h"

namespace od::core {

class Constraints {
 public:
  enum class Op { Equal, NotEqual, Greater, GreaterOrEqual, Less, LessOrEqual, Pessimistic };

  struct Term {
    Op op = Op::Equal;
    SemVer version;
  };

  static Result<Constraints> parse(std::string_view text);

  // True when `version` satisfies every term.
  bool check(const SemVer& version) const;

  // The text as given to parse(), unchanged.
  const std::string& str() const { return text_; }
  // In the order written; never empty.
  const std::vector<Term>& terms() const { return terms_; }

  // "=", "!=", ">", ">=", "<", "<=", "~>".
  static std::string_view opText(Op op);

 private:
  Constraints() = default;  // only parse() makes one: an empty Constraints would match all

  std::string text_;
  std::vector<Term> terms_;
};

}  // namespace od::core
