#include <gtest/gtest.h>

#include "core/base64.h"
#include "core/checksum.h"

namespace od::core {
namespace {

// RFC 4648 §10 test vectors.
TEST(Base64, EncodesRfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64Encode(plain), encoded);
    auto back = base64Decode(encoded);
    ASSERT_TRUE(back.ok()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, RejectsNonCanonicalAndForeignInput) {
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Z===", "Zm9v!A==", "Zm9v\n", "Zg==Zg=="}) {
    EXPECT_FALSE(base64Decode(bad).ok()) << bad;
  }
}

TEST(Base64Url, RoundTripsWithoutPaddingAndUrlAlphabet) {
  const std::string bytes("\xfb\xff\xbf/data/modules", 16);
  const auto enc = base64UrlEncode(bytes);
  EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
  auto back = base64UrlDecode(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(base64UrlDecode("a").ok());
  EXPECT_FALSE(base64UrlDecode("ab+c").ok());
}

TEST(Hex, EncodesLowercaseAndDecodesEitherCase) {
  EXPECT_EQ(hexEncode(std::string("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(*hexDecode("00ABff"), std::string("\x00\xab\xff", 3));
  EXPECT_FALSE(hexDecode("abc").ok());
  EXPECT_FALSE(hexDecode("zz").ok());
}

}  // namespace
}  // namespace od::core
