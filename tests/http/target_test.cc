// decodeTarget: B17-B20 (decoding rules applied before any routing).
#include "http/target.h"

#include <gtest/gtest.h>

#include "http/connection.h"

namespace od::http {
namespace {

bool refused(std::string_view t) { return !decodeTarget(t).ok(); }

TEST(Target, SplitsAndDecodesOnce) {
  auto d = decodeTarget("/a/b%20c/%252e%252e/?q=%2F");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->segments, (std::vector<std::string>{"a", "b c", "%2e%2e", ""}));
  EXPECT_EQ(d->query, "q=%2F");
  EXPECT_EQ(decodeTarget("/")->segments, (std::vector<std::string>{""}));
}

TEST(Target, RefusesLiteralAndEncodedDotSegments) {
  EXPECT_TRUE(refused("/download/linux/../../../etc/passwd"));
  EXPECT_TRUE(refused("/a/./b"));
  EXPECT_TRUE(refused("/a/%2e%2e/b"));
  EXPECT_TRUE(refused("/a/%2E/b"));
  EXPECT_TRUE(refused("/a/.%2e"));
  EXPECT_FALSE(refused("/a/..b/c"));
}

TEST(Target, RefusesEncodedSeparatorsAndControls) {
  EXPECT_TRUE(refused("/a%2Fb"));
  EXPECT_TRUE(refused("/a%2fb"));
  EXPECT_TRUE(refused("/a%5cb"));
  EXPECT_TRUE(refused("/a%00b"));
  EXPECT_TRUE(refused("/a%0d%0aLocation:x"));
  EXPECT_TRUE(refused("/a%7f"));
}

TEST(Target, RefusesBadEscapesAndBadUtf8) {
  EXPECT_TRUE(refused("/a%zz"));
  EXPECT_TRUE(refused("/a%2"));
  EXPECT_TRUE(refused("/%c0%ae%c0%ae"));  // overlong '.'
  EXPECT_TRUE(refused("/%e0%80%af"));     // overlong '/'
  EXPECT_TRUE(refused("/%ed%a0%80"));     // surrogate
  EXPECT_TRUE(refused("/%ff"));
  EXPECT_FALSE(refused("/caf%c3%a9"));
}

TEST(Target, RefusesNonOriginFormAndBadBytes) {
  EXPECT_TRUE(refused("http://evil/x"));
  EXPECT_TRUE(refused("*"));
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("/a b"));
  EXPECT_TRUE(refused("/a\\b"));
  EXPECT_TRUE(refused("/a#frag"));
  EXPECT_TRUE(refused("/\xc3\xa9"));
}

TEST(AccessLog, DownloadTokensAreCutOut) {
  EXPECT_EQ(loggableTarget("/opendepot/modules/v1/artifacts/b2Qx.c2ln/0190.zip?checksum=sha256:ab"),
            "/opendepot/modules/v1/artifacts/<token>/0190.zip?checksum=sha256:ab");
  EXPECT_EQ(loggableTarget("/opendepot/modules/v1/artifacts/secret"),
            "/opendepot/modules/v1/artifacts/<token>");
  EXPECT_EQ(loggableTarget("/opendepot/modules/v1/default/vpc/aws/versions"),
            "/opendepot/modules/v1/default/vpc/aws/versions");
  EXPECT_EQ(loggableTarget(std::string(600, 'a')).size(), 512u);
}

}  // namespace
}  // namespace od::http
