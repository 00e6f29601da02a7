// SemVer: parsing, canonical forms and precedence. Cases come from hashicorp/go-version's
// documented behaviour and test tables, plus our deviations (reliability doc B68, B70).
#include "core/version.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace od::core {
namespace {

SemVer mustParse(std::string_view text) {
  Result<SemVer> v = SemVer::parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : SemVer();
}

struct CanonicalCase {
  std::string input;
  std::string canonical;
  std::string semver;
};

TEST(SemVer, ParsesGoVersionFormsIntoBothCanonicalSpellings) {
  const std::vector<CanonicalCase> cases = {
      {"1.2.3", "1.2.3", "v1.2.3"},
      {"v1.2.3", "1.2.3", "v1.2.3"},
      {"1.2", "1.2.0", "v1.2.0"},
      {"1", "1.0.0", "v1.0.0"},
      {"v5", "5.0.0", "v5.0.0"},
      {"0.0.0", "0.0.0", "v0.0.0"},
      {"1.2-beta", "1.2.0-beta", "v1.2.0-beta"},
      {"1.2-5", "1.2.0-5", "v1.2.0-5"},
      {"1.2-beta.5", "1.2.0-beta.5", "v1.2.0-beta.5"},
      {"1.2.0-x.Y.0", "1.2.0-x.Y.0", "v1.2.0-x.Y.0"},
      {"1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata", "v1.2.0-x.Y.0"},
      {"1.2.0-x.Y.0+metadata-width-hypen", "1.2.0-x.Y.0+metadata-width-hypen", "v1.2.0-x.Y.0"},
      {"1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen", "v1.2.3-rc1-with-hypen"},
      {"1.7rc2", "1.7.0-rc2", "v1.7.0-rc2"},
      {"v1.7rc2", "1.7.0-rc2", "v1.7.0-rc2"},
      {"1.0.0-rc.1", "1.0.0-rc.1", "v1.0.0-rc.1"},
      {"2.0.0+build.5", "2.0.0+build.5", "v2.0.0"},
      {"1.04.0", "1.4.0", "v1.4.0"},
      {"01.02.03", "1.2.3", "v1.2.3"},
      {"1.2.3--beta", "1.2.3--beta", "v1.2.3--beta"},
      {"1.4.18446744073709551615", "1.4.18446744073709551615", "v1.4.18446744073709551615"},
  };
  for (const CanonicalCase& c : cases) {
    Result<SemVer> v = SemVer::parse(c.input);
    ASSERT_TRUE(v.ok()) << c.input << ": " << v.error().message;
    EXPECT_EQ(v->canonical(), c.canonical) << c.input;
    EXPECT_EQ(v->semverCanonical(), c.semver) << c.input;
  }
}

struct PartsCase {
  std::string input;
  uint64_t major, minor, patch;
  std::string prerelease;
  std::string metadata;
  int specified;
};

TEST(SemVer, ExposesSegmentsPrereleaseMetadataAndSpelledOutSegmentCount) {
  const std::vector<PartsCase> cases = {
      {"1.2.3", 1, 2, 3, "", "", 3},
      {"1.2-beta", 1, 2, 0, "beta", "", 2},
      {"1-x.Y.0", 1, 0, 0, "x.Y.0", "", 1},
      {"1.2.0-x.Y.0+metadata", 1, 2, 0, "x.Y.0", "metadata", 3},
      {"v3+m", 3, 0, 0, "", "m", 1},
  };
  for (const PartsCase& c : cases) {
    const SemVer v = mustParse(c.input);
    EXPECT_EQ(v.major(), c.major) << c.input;
    EXPECT_EQ(v.minor(), c.minor) << c.input;
    EXPECT_EQ(v.patch(), c.patch) << c.input;
    EXPECT_EQ(v.prerelease(), c.prerelease) << c.input;
    EXPECT_EQ(v.metadata(), c.metadata) << c.input;
    EXPECT_EQ(v.specifiedSegments(), c.specified) << c.input;
    EXPECT_EQ(v.isPrerelease(), !c.prerelease.empty()) << c.input;
  }
}

struct RejectCase {
  std::string input;
  std::string why;  // a fragment of the message
};

TEST(SemVer, RejectsNonVersionsWithMessageNamingTheInput) {
  const std::vector<RejectCase> cases = {
      {"", "empty"},
      {" ", "expected a number"},
      {"latest", "expected a number"},
      {"foo", "expected a number"},
      {"foo1.2.3", "expected a number"},
      {"v", "expected a number"},
      {"vv1.0.0", "expected a number"},
      {"V1.0.0", "expected a number"},
      {"\n1.2", "expected a number"},
      {" 1.2.3", "expected a number"},
      {"1.2.3 ", "unexpected character ' '"},
      {"1.2.3\n", "unexpected character '\\x0a'"},
      {"1.2.beta", "expected a number at byte 4"},
      {"1.", "expected a number"},
      {"1..2", "expected a number"},
      {"1.x", "expected a number"},
      {"*", "expected a number"},
      {">=1.0", "expected a number"},
      {"1.2.3.4", "more than 3 numeric segments"},
      {"v1.2.3.4", "more than 3 numeric segments"},
      {"1.2.0.4-x.Y.0+metadata", "more than 3 numeric segments"},
      {"1.2.3-", "empty pre-release"},
      {"1.2.3-+meta", "empty pre-release"},
      {"1.2.3+", "empty build metadata"},
      {"1.2.3-beta..1", "pre-release has an empty identifier"},
      {"1.2.3-beta.", "pre-release has an empty identifier"},
      {"1.2.3+meta.", "build metadata has an empty identifier"},
      {"1.2.3_1", "unexpected character '_'"},
      {"1.2.3-rc 1", "unexpected character ' '"},
      {"1.2.3+a+b", "unexpected character '+'"},
      {"18446744073709551616.0.0", "does not fit in 64 bits"},
      {"1.99999999999999999999", "does not fit in 64 bits"},
  };
  for (const RejectCase& c : cases) {
    Result<SemVer> v = SemVer::parse(c.input);
    ASSERT_FALSE(v.ok()) << "accepted: " << c.input;
    EXPECT_EQ(v.error().code, Errc::Invalid) << c.input;
    EXPECT_NE(v.error().message.find(c.why), std::string::npos)
        << c.input << " -> " << v.error().message;
    EXPECT_NE(v.error().message.find(quoteVersionText(c.input)), std::string::npos)
        << c.input << " -> " << v.error().message;
  }
}

TEST(SemVer, RejectsTextLongerThan128BytesAndQuotesOnlyItsStart) {
  const std::string at_limit = "1.0.0-" + std::string(SemVer::kMaxLength - 6, 'a');
  EXPECT_TRUE(SemVer::parse(at_limit).ok());
  const std::string too_long = at_limit + "a";
  Result<SemVer> v = SemVer::parse(too_long);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("longer than 128 bytes"), std::string::npos);
  EXPECT_NE(v.error().message.find("...\""), std::string::npos);
  EXPECT_LT(v.error().message.size(), 120u);
}

TEST(SemVer, ErrorMessagesEscapeControlBytes) {
  Result<SemVer> v = SemVer::parse("1.0\x1b[31m");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message.find('\x1b'), std::string::npos);
  EXPECT_NE(v.error().message.find("\\x1b"), std::string::npos);
}

struct CompareCase {
  std::string a;
  std::string b;
  int expected;
};

TEST(SemVer, ComparesByPrecedenceIgnoringMetadata) {
  const std::vector<CompareCase> cases = {
      {"1.2.3", "1.4.5", -1},
      {"1.2-beta", "1.2-beta", 0},
      {"1.2", "1.1.4", 1},
      {"1.2", "1.2-beta", 1},
      {"1.2+foo", "1.2+beta", 0},
      {"v1.2", "v1.2-beta", 1},
      {"v1.2+foo", "v1.2+beta", 0},
      {"1.7rc2", "1.7rc1", 1},
      {"1.7rc2", "1.7", -1},
      {"10.0.0", "9.0.0", 1},
      {"1.10.0", "1.9.0", 1},
      {"1.2", "1.2.0", 0},
      {"1.2-beta.2", "1.2-beta.2", 0},
      {"1.2-beta.1", "1.2-beta.2", -1},
      {"3.2-alpha.1", "3.2-alpha", 1},
      {"1.2-beta.2", "1.2-beta.1", 1},
      {"1.2-beta", "1.2-beta.3", -1},
      {"1.2-alpha", "1.2-beta.3", -1},
      {"1.2-beta", "1.2-alpha.3", 1},
      {"3.0-alpha.3", "3.0-rc.1", -1},
      {"3.0-alpha3", "3.0-rc1", -1},
      {"3.0-alpha.1", "3.0-alpha.beta", -1},
      {"1.0.0-beta.11", "1.0.0-beta.2", 1},
      {"1.0.0-2", "1.0.0-10", -1},
      {"1.0.0-1", "1.0.0-alpha", -1},
      {"1.0.0-A", "1.0.0-a", -1},
      {"1.0.0-99999999999999999999", "1.0.0-100000000000000000000", -1},
      {"1.0.0-rc.1", "1.0.0-rc.1+build", 0},
      {"18446744073709551615.0.0", "18446744073709551614.9.9", 1},
  };
  for (const CompareCase& c : cases) {
    const SemVer a = mustParse(c.a);
    const SemVer b = mustParse(c.b);
    EXPECT_EQ(a.compare(b), c.expected) << c.a << " <=> " << c.b;
    EXPECT_EQ(b.compare(a), -c.expected) << c.b << " <=> " << c.a;
    EXPECT_EQ(a < b, c.expected < 0) << c.a << " < " << c.b;
    EXPECT_EQ(a > b, c.expected > 0) << c.a << " > " << c.b;
  }
}

// go-version says 5.4-alpha > 5.4-alpha.beta but 5.4-alpha < 5.4-alpha.1 < 5.4-alpha.beta,
// a cycle. We take SemVer's rule so that sorting is well defined.
TEST(SemVer, ShorterPrereleaseSortsFirstWhenItIsAPrefix) {
  EXPECT_LT(mustParse("5.4-alpha"), mustParse("5.4-alpha.beta"));
  EXPECT_LT(mustParse("5.4-alpha"), mustParse("5.4-alpha.1"));
  EXPECT_LT(mustParse("5.4-alpha.1"), mustParse("5.4-alpha.beta"));
}

TEST(SemVer, SortsTheSemverSpecificationExample) {
  const std::vector<std::string> ordered = {
      "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
  };
  std::vector<SemVer> versions;
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
    versions.push_back(mustParse(*it));
  }
  std::sort(versions.begin(), versions.end());
  ASSERT_EQ(versions.size(), ordered.size());
  for (size_t i = 0; i < ordered.size(); ++i) {
    EXPECT_EQ(versions[i].canonical(), ordered[i]);
  }
}

TEST(SemVer, EqualityIsSameCanonicalWhileMetadataOnlyDiffersIsEquivalent) {
  const SemVer a = mustParse("1.0.0+a");
  const SemVer b = mustParse("1.0.0+b");
  EXPECT_NE(a, b);
  EXPECT_FALSE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_TRUE(a.samePrecedence(b));
  EXPECT_EQ(a <=> b, std::weak_ordering::equivalent);

  EXPECT_EQ(mustParse("1.2"), mustParse("v1.2.0"));
  EXPECT_EQ(mustParse("v1"), mustParse("1.0.0"));
  EXPECT_NE(mustParse("1.0.0-rc1"), mustParse("1.0.0"));
}

TEST(SemVer, DefaultIsZeroRelease) {
  const SemVer v;
  EXPECT_EQ(v.canonical(), "0.0.0");
  EXPECT_FALSE(v.isPrerelease());
  EXPECT_EQ(v, mustParse("0.0.0"));
}

}  // namespace
}  // namespace od::core
