// The App auth pieces (Secret parsing, JWT signing) and the double's JWT checks, without sockets.
#include <gtest/gtest.h>

#include "adapters/github/app_auth.h"
#include "core/base64.h"
#include "core/json.h"
#include "tests/adapters/github/github_double.h"
#include "tests/adapters/github/test_support.h"

namespace od::adapters::github {
namespace {

using core::Errc;

const testing::RsaKeyPair& key() {
  static const testing::RsaKeyPair k = testing::makeRsaKey();
  return k;
}

SecretData secret() {
  return {{"githubAppID", "12345"},
          {"githubInstallID", "678"},
          {"githubPrivateKey", core::base64Encode(key().private_pkcs1)}};
}

constexpr int64_t kNow = 1750000000;
core::Clock::TimePoint at(int64_t s) { return core::Clock::TimePoint(std::chrono::seconds(s)); }

TEST(AppSecret, ParsesTheReferenceShape) {
  auto c = parseAppSecret(secret(), "team");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->app_id, 12345);
  EXPECT_EQ(c->installation_id, 678);
  EXPECT_EQ(c->private_key_pem, key().private_pkcs1);
}

TEST(AppSecret, AcceptsBarePemPkcs8AndGoIntegerPrefixes) {
  auto s = secret();
  s["githubPrivateKey"] = key().private_pkcs8;
  s["githubAppID"] = "0x10\n";
  s["githubInstallID"] = "0b101";
  auto c = parseAppSecret(s, "team");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->app_id, 16);
  EXPECT_EQ(c->installation_id, 5);
}

TEST(AppSecret, MissingKeyIsNotFoundNamingSecretNamespaceAndKey) {
  for (const char* k : {"githubAppID", "githubInstallID", "githubPrivateKey"}) {
    auto s = secret();
    s.erase(k);
    auto c = parseAppSecret(s, "team");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::NotFound);
    EXPECT_NE(c.error().message.find("opendepot-github-application-secret"), std::string::npos);
    EXPECT_NE(c.error().message.find("\"team\""), std::string::npos);
    EXPECT_NE(c.error().message.find(k), std::string::npos) << c.error().message;
  }
}

TEST(AppSecret, BadValuesAreInvalidAndNeverEchoed) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"githubAppID", "twelve"}, {"githubAppID", "-5"}, {"githubAppID", ""},
           {"githubInstallID", "99999999999999999999999"},
           {"githubPrivateKey", "bm90IGEga2V5"},  // base64 of "not a key"
           {"githubPrivateKey", "!!!"},
           {"githubPrivateKey", core::base64Encode(key().public_pem)}}) {
    auto s = secret();
    s[k] = v;
    auto c = parseAppSecret(s, "team");
    ASSERT_FALSE(c.ok()) << k << "=" << v;
    EXPECT_EQ(c.error().code, Errc::Invalid);
    EXPECT_NE(c.error().message.find(k), std::string::npos);
    if (v.size() > 3) {
      EXPECT_EQ(c.error().message.find(v), std::string::npos) << "the value stays out of messages";
    }
  }
}

TEST(AppSecret, SmallRsaKeysAreRefused) {
  auto weak = testing::makeRsaKey(1024);
  auto s = secret();
  s["githubPrivateKey"] = weak.private_pkcs1;
  EXPECT_EQ(parseAppSecret(s, "team").error().code, Errc::Invalid);
}

TEST(AppJwt, IsRs256WithBackdatedIatAndNineMinuteExpiry) {
  auto c = parseAppSecret(secret(), "team").value();
  auto jwt = makeAppJwt(c, at(kNow));
  ASSERT_TRUE(jwt.ok());
  size_t dot1 = jwt->find('.');
  size_t dot2 = jwt->find('.', dot1 + 1);
  auto header = core::base64UrlDecode(jwt->substr(0, dot1)).value();
  auto claims = core::base64UrlDecode(jwt->substr(dot1 + 1, dot2 - dot1 - 1)).value();
  EXPECT_EQ(header, R"({"alg":"RS256","typ":"JWT"})");
  auto doc = core::JsonDocument::parse(claims).value();
  int64_t iat = 0, exp = 0, iss = 0;
  ASSERT_EQ(doc.root()["iat"].get(iat), simdjson::SUCCESS);
  ASSERT_EQ(doc.root()["exp"].get(exp), simdjson::SUCCESS);
  ASSERT_EQ(doc.root()["iss"].get(iss), simdjson::SUCCESS);
  EXPECT_EQ(iat, kNow - 60);
  EXPECT_EQ(exp, kNow + 540);
  EXPECT_EQ(iss, 12345);
  EXPECT_EQ(testing::verifyAppJwt(*jwt, key().public_pem, 12345, kNow), "");
}

TEST(DoubleJwtChecks, RejectWhatGithubRejects) {
  auto c = parseAppSecret(secret(), "team").value();
  std::string jwt = makeAppJwt(c, at(kNow)).value();
  const std::string& pub = key().public_pem;
  EXPECT_NE(testing::verifyAppJwt(jwt, pub, 12345, kNow + 600).find("'exp'"), std::string::npos)
      << "expired";
  EXPECT_NE(testing::verifyAppJwt(jwt, pub, 12345, kNow - 300).find("'iat'"), std::string::npos)
      << "issued in the future";
  EXPECT_EQ(testing::verifyAppJwt(jwt, pub, 999, kNow), "Integration not found");
  EXPECT_EQ(testing::verifyAppJwt(jwt, testing::makeRsaKey().public_pem, 12345, kNow),
            "A JSON web token could not be decoded");
  std::string tampered = jwt;
  tampered[jwt.find('.') + 5] ^= 1;
  EXPECT_EQ(testing::verifyAppJwt(tampered, pub, 12345, kNow), "A JSON web token could not be decoded");
  std::string none = core::base64UrlEncode(R"({"alg":"none"})") + "." +
                     jwt.substr(jwt.find('.') + 1, jwt.rfind('.') - jwt.find('.') - 1) + ".";
  EXPECT_EQ(testing::verifyAppJwt(none, pub, 12345, kNow), "A JSON web token could not be decoded");
  EXPECT_EQ(testing::verifyAppJwt("garbage", pub, 12345, kNow), "A JSON web token could not be decoded");
  // Seen 2 minutes early, the JWT ends more than 10 minutes ahead: "too far in the future".
  EXPECT_NE(testing::verifyAppJwt(jwt, pub, 12345, kNow - 120).find("too far"), std::string::npos);
}

TEST(InstallationToken, ParsesGithubReply) {
  auto t = parseInstallationToken(
      R"({"token":"ghs_abc","expires_at":"2024-01-01T01:00:00Z","permissions":{}})");
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_EQ(t->token, "ghs_abc");
  EXPECT_EQ(t->expires_at, at(1704070800));
}

TEST(InstallationToken, GarbageIsCorrupt) {
  for (const char* body : {"", "<html>", R"({"token":1})", R"({"token":"a b","expires_at":"2024-01-01T01:00:00Z"})",
                           R"({"token":"x","expires_at":"tomorrow"})", R"(["token"])"}) {
    auto t = parseInstallationToken(body);
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.error().code, Errc::Corrupt) << body;
  }
}

TEST(GithubTime, ParsesOnlyUtcSecondsForm) {
  EXPECT_EQ(parseGithubTime("1970-01-01T00:00:10Z").value(), at(10));
  EXPECT_FALSE(parseGithubTime("2024-01-01T01:00:00+01:00").ok());
  EXPECT_FALSE(parseGithubTime("2024-01-01 01:00:00Z").ok());
  EXPECT_FALSE(parseGithubTime("2024-01-01T01:00:00Zjunk").ok());
}

}  // namespace
}  // namespace od::adapters::github
