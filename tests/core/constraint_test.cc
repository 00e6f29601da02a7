// Constraints: parsing and matching. Cases come from hashicorp/go-version's test tables
// and documentation, the reference's docs (inventory §8) and reliability doc B73.
#include "core/constraint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace od::core {
namespace {

struct CheckCase {
  std::string constraint;
  std::string version;
  bool expected;
};

void expectChecks(const std::vector<CheckCase>& cases) {
  for (const CheckCase& c : cases) {
    Result<Constraints> constraints = Constraints::parse(c.constraint);
    ASSERT_TRUE(constraints.ok()) << c.constraint << ": " << constraints.error().message;
    Result<SemVer> version = SemVer::parse(c.version);
    ASSERT_TRUE(version.ok()) << c.version << ": " << version.error().message;
    EXPECT_EQ(constraints->check(*version), c.expected)
        << "\"" << c.constraint << "\" vs " << c.version;
  }
}

TEST(Constraint, ChecksComparisonsAndConjunctions) {
  expectChecks({
      {">= 1.0, < 1.2", "1.1.5", true},
      {"< 1.0, < 1.2", "1.1.5", false},
      {"= 1.0", "1.1.5", false},
      {"= 1.0", "1.0.0", true},
      {"1.0", "1.0.0", true},
      {"!= 1.2.3", "1.2.3", false},
      {"!= 1.2.3", "1.2.4", true},
      {"> 1.0.0", "1.0.0", false},
      {"> 1.0.0", "1.0.1", true},
      {">= 1.0.0", "1.0.0", true},
      {"< 2.0.0", "1.9.9", true},
      {"< 2.0.0", "2.0.0", false},
      {"<= 2.0.0", "2.0.0", true},
      {">= 1.0, < 2.0", "2.0.1", false},
      {">= 1.0, < 2.0", "0.9.0", false},
      {">= 0.0.0", "99.99.99", true},
      {">= 1", "1.0.0", true},
      {">= v1.2", "1.2.0", true},
      {"= 1.0.0", "1.0.0+build", true},
      {"!= 1.0.0", "1.0.0+build", false},
      {"> 1.0.0+a", "1.0.0+b", false},
  });
}

TEST(Constraint, AllowsWhitespaceAroundOperatorsAndCommas) {
  expectChecks({
      {">=1.0,<2.0", "1.5.0", true},
      {"  >=  1.0  ,  <  2.0  ", "1.5.0", true},
      {"\t~>1.2\n", "1.3.0", true},
      {" 1.0.0 ", "1.0.0", true},
  });
}

TEST(Constraint, PessimisticPinsEverySpelledOutSegmentButTheLast) {
  expectChecks({
      {"~> 1.0", "2.0", false},
      {"~> 1.0", "1.1", true},
      {"~> 1.0", "1.2.3", true},
      {"~> 1.0", "0.9.0", false},
      {"~> 1.0.0", "1.2.3", false},
      {"~> 1.0.0", "1.0.7", true},
      {"~> 1.0.0", "1.1.0", false},
      {"~> 1.0.7", "1.0.4", false},
      {"~> 1.0.7", "1.0.7", true},
      {"~> 1.0.7", "1.0.8", true},
      {"~> 1.2", "1.9.9", true},
      {"~> 1.2", "2.0.0", false},
      {"~> 1.2", "1.1.9", false},
      {"~> 1.2.0", "1.2.9", true},
      {"~> 1.2.0", "1.3.0", false},
      {"~> v1.2.3", "1.2.3", true},
  });
}

// hashicorp/go-version#162 (open): with one segment nothing is pinned, so `~> 1` is `>= 1`.
// The reference behaves so; we follow it.
TEST(Constraint, PessimisticWithOneSegmentHasNoUpperBoundAsInGoVersion) {
  expectChecks({
      {"~> 1", "1.0.0", true},
      {"~> 1", "1.9.9", true},
      {"~> 1", "2.0.0", true},
      {"~> 1", "0.9.9", false},
      {"~> 1", "2.0.0-rc1", false},
  });
}

TEST(Constraint, PrereleaseMatchesOnlyConstraintNamingSameCore) {
  expectChecks({
      {"~> 2.0", "2.1.0-beta", false},
      {"~> 2.1.0-a", "2.2.0", false},
      {"~> 2.1.0-a", "2.1.0", false},
      {"~> 2.1.0-a", "2.1.0-beta", true},
      {"~> 2.1.0-a", "2.2.0-alpha", false},
      {"> 2.0", "2.1.0-beta", false},
      {">= 2.1.0-a", "2.1.0-beta", true},
      {">= 2.1.0-a", "2.1.1-beta", false},
      {">= 2.0.0", "2.1.0-beta", false},
      {">= 2.1.0-a", "2.1.1", true},
      {">= 2.1.0-a", "2.1.0", true},
      {"<= 2.1.0-a", "2.0.0", true},
      {"< 2.0.0", "2.0.0-rc1", false},
      {">= 1.0.0", "1.0.0-rc1", false},
      {"> 1.0.0-rc1", "1.0.0", true},
      {"<= 2.0.0-rc2, >= 2.0.0-rc1", "2.0.0-rc1.5", true},
  });
}

TEST(Constraint, EqualAndNotEqualApplyToPrereleasesNormally) {
  expectChecks({
      {"= 1.0.0-rc1", "1.0.0-rc1", true},
      {"1.0.0-rc1", "1.0.0-rc2", false},
      {"!= 1.0.0", "1.0.0-rc1", true},
      {"!= 1.0.0-rc1", "1.0.0-rc1", false},
  });
}

struct BadCase {
  std::string input;
  std::string why;  // a fragment of the message
};

TEST(Constraint, RejectsMalformedConstraintsNamingTheBadPart) {
  const std::vector<BadCase> cases = {
      {"", "empty"},
      {"   ", "empty"},
      {",", "term 1 is empty"},
      {">= 1.0,", "term 2 is empty"},
      {",>= 1.0", "term 1 is empty"},
      {">= 1.0,,< 2.0", "term 2 is empty"},
      {">= 1.0, ", "term 2 is empty"},
      {"=> 1.0", "unknown operator \"=>\""},
      {"~ 1.0", "unknown operator \"~\""},
      {"^1.0", "unknown operator \"^\""},
      {">>= 1", "unknown operator \">>=\""},
      {"== 1.0", "unknown operator \"==\""},
      {"~>", "operator \"~>\" has no version"},
      {">=   ", "operator \">=\" has no version"},
      {">= 1.0, <", "operator \"<\" has no version"},
      {">= 1.x", "malformed version \"1.x\""},
      {"latest", "malformed version \"latest\""},
      {">= 1.2.3.4", "more than 3 numeric segments"},
      {"> = 1.0", "malformed version \"= 1.0\""},
      {">= 1.0 < 2.0", "malformed version \"1.0 < 2.0\""},
      {"11387778780781445675529500000000000000000", "does not fit in 64 bits"},
      {"= 1.0, >= 1.0", "cannot be combined"},
      {"1.0, 2.0", "cannot be combined"},
      {">= 1.0, 1.5", "cannot be combined"},
  };
  for (const BadCase& c : cases) {
    Result<Constraints> constraints = Constraints::parse(c.input);
    ASSERT_FALSE(constraints.ok()) << "accepted: \"" << c.input << "\"";
    EXPECT_EQ(constraints.error().code, Errc::Invalid) << c.input;
    const std::string& message = constraints.error().message;
    EXPECT_NE(message.find(c.why), std::string::npos) << c.input << " -> " << message;
    EXPECT_EQ(message.rfind("malformed constraint " + quoteVersionText(c.input), 0), 0u)
        << c.input << " -> " << message;
  }
}

TEST(Constraint, KeepsOriginalStringAndTermsInOrder) {
  struct Case {
    std::string input;
    std::vector<Constraints::Op> ops;
  };
  using Op = Constraints::Op;
  const std::vector<Case> cases = {
      {">= 1.2", {Op::GreaterOrEqual}},
      {"1.0", {Op::Equal}},
      {">= 1.2, < 1.0", {Op::GreaterOrEqual, Op::Less}},
      {"~> 1.0.7", {Op::Pessimistic}},
      {"!=1.0,>1.0,<=3,~>2.1", {Op::NotEqual, Op::Greater, Op::LessOrEqual, Op::Pessimistic}},
  };
  for (const Case& c : cases) {
    Result<Constraints> constraints = Constraints::parse(c.input);
    ASSERT_TRUE(constraints.ok()) << c.input << ": " << constraints.error().message;
    EXPECT_EQ(constraints->str(), c.input);
    ASSERT_EQ(constraints->terms().size(), c.ops.size()) << c.input;
    for (size_t i = 0; i < c.ops.size(); ++i) {
      EXPECT_EQ(constraints->terms()[i].op, c.ops[i]) << c.input << " term " << i;
    }
  }
}

TEST(Constraint, OpTextSpellsEveryOperator) {
  using Op = Constraints::Op;
  EXPECT_EQ(Constraints::opText(Op::Equal), "=");
  EXPECT_EQ(Constraints::opText(Op::NotEqual), "!=");
  EXPECT_EQ(Constraints::opText(Op::Greater), ">");
  EXPECT_EQ(Constraints::opText(Op::GreaterOrEqual), ">=");
  EXPECT_EQ(Constraints::opText(Op::Less), "<");
  EXPECT_EQ(Constraints::opText(Op::LessOrEqual), "<=");
  EXPECT_EQ(Constraints::opText(Op::Pessimistic), "~>");
}

}  // namespace
}  // namespace od::core
