#include <gtest/gtest.h>

#include <set>

#include "core/uuid.h"
#include "tests/fakes/fake_clock.h"

namespace od::core {
namespace {

class CountingRandom final : public Random {
 public:
  uint64_t next() override { return state_ = state_ * 6364136223846793005ull + 1442695040888963407ull; }

 private:
  uint64_t state_ = 42;
};

TEST(Uuid, V7CarriesTimestampVersionAndVariant) {
  const auto u = Uuid::v7At(0x0190A1B2C3D4, 0xFFFF, 0xFFFFFFFFFFFFFFFFull);
  const auto s = u.str();
  ASSERT_EQ(s.size(), 36u);
  EXPECT_EQ(s.substr(0, 13), "0190a1b2-c3d4");
  EXPECT_EQ(s[14], '7');                       // version
  EXPECT_TRUE(s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');  // variant 10xx
  EXPECT_EQ(u.version(), 7);
  EXPECT_EQ(u.unixMillis(), 0x0190A1B2C3D4);
}

TEST(Uuid, ParsesItsOwnCanonicalFormOnly) {
  const auto u = Uuid::v7At(1700000000000, 1, 2);
  auto back = Uuid::parse(u.str());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, u);
  EXPECT_FALSE(Uuid::parse("0190A1B2-C3D4-7000-8000-000000000000").ok());  // upper case
  EXPECT_FALSE(Uuid::parse("0190a1b2c3d470008000000000000000").ok());
  EXPECT_FALSE(Uuid::parse("../../etc/passwd").ok());
}

TEST(Uuid, FromPortsIsRepeatableAndDistinctPerDraw) {
  fakes::FakeClock clock;
  clock.setNow(std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123)));
  CountingRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto u = Uuid::v7(clock, random);
    EXPECT_EQ(u.unixMillis(), 1700000000123);
    seen.insert(u.str());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Uuid, ArtifactFileNameAppendsExtension) {
  const auto u = Uuid::v7At(1700000000000, 0, 0);
  EXPECT_EQ(artifactFileName(u, "tar.gz"), u.str() + ".tar.gz");
}

}  // namespace
}  // namespace od::core
