#include "core/version.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

namespace od::core {
namespace {

constexpr size_t kMaxSegments = 3;
constexpr size_t kQuoteLimit = 64;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// go-version's identifier class: [0-9A-Za-z\-~].
bool isIdentifierChar(char c) { return isDigit(c) || isAlpha(c) || c == '-' || c == '~'; }

void appendHexByte(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\x");
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0x0f]);
}

// What the text says, piece by piece, before it becomes a SemVer.
struct Parts {
  std::array<uint64_t, kMaxSegments> segments{};
  size_t count = 0;
  std::string_view prerelease;
  std::string_view metadata;
};

// One left-to-right pass over the text. A hand-written scanner rather than go-version's
// regular expression: it can say *why* a tag is not a version, and it cannot backtrack.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  Result<Parts> run() {
    if (peek() == 'v') {
      ++pos_;
    }
    Status numbers_ok = numbers();
    if (!numbers_ok.ok()) {
      return std::move(numbers_ok).takeError();
    }
    const char next = peek();
    if (!atEnd() && (next == '-' || isAlpha(next) || next == '~')) {
      // go-version accepts "1.7rc2" (pre-release glued on when it starts with a letter);
      // a dash is the separator, not part of the pre-release.
      if (next == '-') {
        ++pos_;
      }
      OD_TRY(parts_.prerelease, identifiers("pre-release"));
    }
    if (!atEnd() && peek() == '+') {
      ++pos_;
      OD_TRY(parts_.metadata, identifiers("build metadata"));
    }
    if (!atEnd()) {
      return fail("unexpected " + describeChar(peek()) + " at byte " + std::to_string(pos_));
    }
    return parts_;
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  Error fail(const std::string& why) const {
    return makeError(Errc::Invalid, "malformed version " + quoteVersionText(text_) + ": " + why);
  }

  static std::string describeChar(char c) {
    std::string out = "character '";
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      appendHexByte(out, byte);
    }
    return out + "'";
  }

  // Numeric segments separated by dots: 1 to 3 of them.
  Status numbers() {
    for (;;) {
      if (atEnd() || !isDigit(peek())) {
        return fail("expected a number at byte " + std::to_string(pos_));
      }
      if (parts_.count == kMaxSegments) {
        return fail("more than 3 numeric segments");
      }
      OD_TRY(parts_.segments[parts_.count], number());
      ++parts_.count;
      if (atEnd() || peek() != '.') {
        return okStatus();
      }
      ++pos_;
    }
  }

  // REQUIRES: peek() is a digit.
  Result<uint64_t> number() {
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    uint64_t value = 0;
    while (!atEnd() && isDigit(peek())) {
      const auto digit = static_cast<uint64_t>(peek() - '0');
      if (value > (kMax - digit) / 10) {
        return fail("numeric segment does not fit in 64 bits");
      }
      value = value * 10 + digit;
      ++pos_;
    }
    return value;
  }

  // Dot-separated, non-empty identifiers; stops at the first character that cannot be in one.
  Result<std::string_view> identifiers(const std::string& what) {
    const size_t start = pos_;
    while (!atEnd() && (isIdentifierChar(peek()) || peek() == '.')) {
      ++pos_;
    }
    const std::string_view run = text_.substr(start, pos_ - start);
    if (run.empty()) {
      return fail("empty " + what);
    }
    if (run.front() == '.' || run.back() == '.' || run.find("..") != std::string_view::npos) {
      return fail(what + " has an empty identifier");
    }
    return run;
  }

  std::string_view text_;
  size_t pos_ = 0;
  Parts parts_;
};

int sign(int value) { return value < 0 ? -1 : (value > 0 ? 1 : 0); }

template <typename T>
int threeWay(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}

// Numeric identifiers of any length, by value; equal values with different spellings
// ("01" and "1") fall back to bytes so that compare() == 0 only for the same pre-release.
int compareNumeric(std::string_view a, std::string_view b) {
  const std::string_view a_value = a.substr(std::min(a.find_first_not_of('0'), a.size()));
  const std::string_view b_value = b.substr(std::min(b.find_first_not_of('0'), b.size()));
  if (a_value.size() != b_value.size()) {
    return threeWay(a_value.size(), b_value.size());
  }
  const int by_value = sign(a_value.compare(b_value));
  return by_value != 0 ? by_value : sign(a.compare(b));
}

int compareIdentifier(std::string_view a, std::string_view b) {
  const bool a_numeric = allDigits(a);
  const bool b_numeric = allDigits(b);
  if (a_numeric && b_numeric) {
    return compareNumeric(a, b);
  }
  if (a_numeric != b_numeric) {
    return a_numeric ? -1 : 1;  // numeric identifiers sort before alphanumeric ones
  }
  return sign(a.compare(b));
}

std::vector<std::string_view> splitDots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t dot = s.find('.'); dot != std::string_view::npos; dot = s.find('.', start)) {
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

// REQUIRES: both non-empty.
int comparePrereleases(std::string_view a, std::string_view b) {
  const std::vector<std::string_view> a_ids = splitDots(a);
  const std::vector<std::string_view> b_ids = splitDots(b);
  const size_t common = std::min(a_ids.size(), b_ids.size());
  for (size_t i = 0; i < common; ++i) {
    const int c = compareIdentifier(a_ids[i], b_ids[i]);
    if (c != 0) {
      return c;
    }
  }
  // SemVer: with an equal prefix, fewer identifiers sort first (see the header for why
  // this departs from go-version).
  return threeWay(a_ids.size(), b_ids.size());
}

}  // namespace

Result<SemVer> SemVer::parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return makeError(Errc::Invalid, "malformed version " + quoteVersionText(text) +
                                        ": longer than " + std::to_string(kMaxLength) + " bytes");
  }
  if (text.empty()) {
    return makeError(Errc::Invalid, "malformed version \"\": empty");
  }
  OD_TRY(Parts parts, Scanner(text).run());
  SemVer out;
  out.major_ = parts.segments[0];
  out.minor_ = parts.segments[1];
  out.patch_ = parts.segments[2];
  out.specified_segments_ = static_cast<int>(parts.count);
  out.prerelease_ = std::string(parts.prerelease);
  out.metadata_ = std::string(parts.metadata);
  return out;
}

std::string SemVer::canonical() const {
  std::string out =
      std::to_string(major_) + "." + std::to_string(minor_) + "." + std::to_string(patch_);
  if (!prerelease_.empty()) {
    out.append("-").append(prerelease_);
  }
  if (!metadata_.empty()) {
    out.append("+").append(metadata_);
  }
  return out;
}

std::string SemVer::semverCanonical() const {
  std::string out =
      "v" + std::to_string(major_) + "." + std::to_string(minor_) + "." + std::to_string(patch_);
  if (!prerelease_.empty()) {
    out.append("-").append(prerelease_);
  }
  return out;
}

int SemVer::compare(const SemVer& other) const {
  if (major_ != other.major_) {
    return threeWay(major_, other.major_);
  }
  if (minor_ != other.minor_) {
    return threeWay(minor_, other.minor_);
  }
  if (patch_ != other.patch_) {
    return threeWay(patch_, other.patch_);
  }
  if (prerelease_ == other.prerelease_) {
    return 0;
  }
  if (prerelease_.empty() || other.prerelease_.empty()) {
    return prerelease_.empty() ? 1 : -1;  // a pre-release sorts before its release
  }
  return comparePrereleases(prerelease_, other.prerelease_);
}

std::string quoteVersionText(std::string_view text) {
  std::string out = "\"";
  const size_t shown = std::min(text.size(), kQuoteLimit);
  for (size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out.push_back(text[i]);
    } else {
      appendHexByte(out, byte);
    }
  }
  if (text.size() > shown) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

}  // namespace od::core
