#include "core/constraint.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace od::core {
namespace {

// Go's regexp \s, which go-version's constraint pattern allows around operator and version.
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Characters that make up operators, ours or not: a run of them is read as one operator so
// that `=>` or `>>=` is reported as an unknown operator, not as a bad version.
bool isOperatorChar(char c) {
  return c == '=' || c == '!' || c == '<' || c == '>' || c == '~' || c == '^';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<Constraints::Op> opFromText(std::string_view text) {
  using Op = Constraints::Op;
  if (text.empty() || text == "=") {
    return Op::Equal;
  }
  static constexpr std::array<std::pair<std::string_view, Op>, 6> kOps = {{
      {"!=", Op::NotEqual},
      {">", Op::Greater},
      {">=", Op::GreaterOrEqual},
      {"<", Op::Less},
      {"<=", Op::LessOrEqual},
      {"~>", Op::Pessimistic},
  }};
  for (const auto& [spelling, op] : kOps) {
    if (spelling == text) {
      return op;
    }
  }
  return std::nullopt;
}

Error malformed(std::string_view whole, const std::string& why) {
  return makeError(Errc::Invalid, "malformed constraint " + quoteVersionText(whole) + ": " + why);
}

// `element` is the text between two commas; `number` counts from 1 for messages.
Result<Constraints::Term> parseTerm(std::string_view whole, std::string_view element,
                                    size_t number) {
  const std::string_view rest = trim(element);
  if (rest.empty()) {
    return malformed(whole, "term " + std::to_string(number) + " is empty");
  }
  size_t op_length = 0;
  while (op_length < rest.size() && isOperatorChar(rest[op_length])) {
    ++op_length;
  }
  const std::string_view op_text = rest.substr(0, op_length);
  const std::optional<Constraints::Op> op = opFromText(op_text);
  if (!op.has_value()) {
    return malformed(whole, "unknown operator " + quoteVersionText(op_text));
  }
  const std::string_view version_text = trim(rest.substr(op_length));
  if (version_text.empty()) {
    return malformed(whole, "operator " + quoteVersionText(op_text) + " has no version");
  }
  Result<SemVer> version = SemVer::parse(version_text);
  if (!version.ok()) {
    return malformed(whole, version.error().message);
  }
  return Constraints::Term{*op, std::move(version).value()};
}

// go-version's prereleaseCheck: a pre-release only ever matches a term that names a
// pre-release of the same major.minor.patch.
bool prereleaseAllowed(const SemVer& v, const SemVer& c) {
  if (!v.isPrerelease()) {
    return true;
  }
  return c.isPrerelease() && v.major() == c.major() && v.minor() == c.minor() &&
         v.patch() == c.patch();
}

bool pessimisticHolds(const SemVer& v, const SemVer& c) {
  if (!prereleaseAllowed(v, c) || (c.isPrerelease() && !v.isPrerelease())) {
    return false;
  }
  if (v.compare(c) < 0) {
    return false;
  }
  const std::array<uint64_t, 3> v_segments = {v.major(), v.minor(), v.patch()};
  const std::array<uint64_t, 3> c_segments = {c.major(), c.minor(), c.patch()};
  // Every spelled-out segment but the last is pinned; `~> 1` pins none.
  for (int i = 0; i < c.specifiedSegments() - 1; ++i) {
    if (v_segments[i] != c_segments[i]) {
      return false;
    }
  }
  return true;
}

bool termHolds(const Constraints::Term& term, const SemVer& v) {
  using Op = Constraints::Op;
  const SemVer& c = term.version;
  switch (term.op) {
    case Op::Equal:
      return v.samePrecedence(c);
    case Op::NotEqual:
      return !v.samePrecedence(c);
    case Op::Greater:
      return prereleaseAllowed(v, c) && v.compare(c) > 0;
    case Op::GreaterOrEqual:
      return prereleaseAllowed(v, c) && v.compare(c) >= 0;
    case Op::Less:
      return prereleaseAllowed(v, c) && v.compare(c) < 0;
    case Op::LessOrEqual:
      return prereleaseAllowed(v, c) && v.compare(c) <= 0;
    case Op::Pessimistic:
      return pessimisticHolds(v, c);
  }
  return false;
}

}  // namespace

Result<Constraints> Constraints::parse(std::string_view text) {
  if (trim(text).empty()) {
    return malformed(text, "empty");
  }
  Constraints out;
  out.text_ = std::string(text);
  size_t start = 0;
  for (size_t number = 1;; ++number) {
    const size_t comma = text.find(',', start);
    const std::string_view element =
        comma == std::string_view::npos ? text.substr(start) : text.substr(start, comma - start);
    OD_TRY(Term term, parseTerm(text, element, number));
    out.terms_.push_back(std::move(term));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  const bool has_exact = std::any_of(out.terms_.begin(), out.terms_.end(),
                                     [](const Term& t) { return t.op == Op::Equal; });
  if (has_exact && out.terms_.size() > 1) {
    return malformed(text,
                     "an exact version (\"=\" or no operator) cannot be combined with "
                     "other terms");
  }
  return out;
}

bool Constraints::check(const SemVer& version) const {
  return std::all_of(terms_.begin(), terms_.end(),
                     [&version](const Term& t) { return termHolds(t, version); });
}

std::string_view Constraints::opText(Op op) {
  switch (op) {
    case Op::Equal:
      return "=";
    case Op::NotEqual:
      return "!=";
    case Op::Greater:
      return ">";
    case Op::GreaterOrEqual:
      return ">=";
    case Op::Less:
      return "<";
    case Op::LessOrEqual:
      return "<=";
    case Op::Pessimistic:
      return "~>";
  }
  return "?";
}

}  // namespace od::core
