#include <gtest/gtest.h>

#include "core/checksum.h"

namespace od::core {
namespace {

// SHA-256("abc") from FIPS 180-2 appendix B.1.
constexpr const char* kAbcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kAbcBase64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

TEST(Sha256, ConvertsBetweenHexAndBase64Forms) {
  auto from_hex = Sha256::fromHex(kAbcHex);
  ASSERT_TRUE(from_hex.ok());
  EXPECT_EQ(from_hex->base64(), kAbcBase64);
  auto from_b64 = Sha256::fromBase64(kAbcBase64);
  ASSERT_TRUE(from_b64.ok());
  EXPECT_EQ(from_b64->hex(), kAbcHex);
  EXPECT_EQ(*from_hex, *from_b64);
}

TEST(Sha256, AcceptsUppercaseHexAndWritesLowercase) {
  std::string upper = kAbcHex;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto parsed = Sha256::fromHex(upper);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->hex(), kAbcHex);
}

TEST(Sha256, RejectsWrongLengthsAndEncodings) {
  EXPECT_FALSE(Sha256::fromHex("ba7816bf").ok());
  EXPECT_FALSE(Sha256::fromHex(std::string(64, 'g')).ok());
  EXPECT_FALSE(Sha256::fromBase64("Zm9v").ok());           // 3 bytes
  EXPECT_FALSE(Sha256::fromBase64("not base64 at all").ok());
  EXPECT_FALSE(Sha256::fromBytes("short").ok());
  auto err = Sha256::fromHex("ab");
  EXPECT_EQ(err.error().code, Errc::Invalid);
  EXPECT_NE(err.error().message.find("64 characters"), std::string::npos);
}

}  // namespace
}  // namespace od::core
