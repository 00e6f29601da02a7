// The small pure parts of adapters/github: names, Link headers, origins, release pages, the
// mapping of GitHub's answers to error codes, options.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "adapters/github/github_http.h"
#include "adapters/github/releases.h"
#include "adapters/github/secret_reader.h"

namespace od::adapters::github {
namespace {

using core::Errc;

TEST(GithubNames, OwnerRepoAndRefRules) {
  EXPECT_TRUE(checkOwner("hashicorp").ok());
  EXPECT_TRUE(checkOwner("a-b-1").ok());
  for (const char* bad : {"", "-x", "a/b", "a b", "a.b", "ä", "x%2f"}) {
    EXPECT_EQ(checkOwner(bad).error().code, Errc::Invalid) << bad;
  }
  EXPECT_FALSE(checkOwner(std::string(40, 'a')).ok());
  EXPECT_TRUE(checkRepo("terraform-aws-vpc").ok());
  EXPECT_TRUE(checkRepo("a.b_c").ok());
  for (const char* bad : {"", ".", "..", "a/b", "a?b", "a#b", "a%2e"}) {
    EXPECT_FALSE(checkRepo(bad).ok()) << bad;
  }
  EXPECT_TRUE(checkRef("1.2.3-rc.1+build.5").ok());
  for (const char* bad : {"", ".1", "-1", "1..2", "1/2", "1 2", "1?x", "1%2F"}) {
    EXPECT_FALSE(checkRef(bad).ok()) << bad;
  }
}

TEST(GithubLink, FindsNextAmongOtherRelations) {
  EXPECT_EQ(nextLink(R"(<https://api.github.com/repos/o/r/releases?per_page=100&page=2>; rel="next", )"
                     R"(<https://api.github.com/repos/o/r/releases?per_page=100&page=5>; rel="last")")
                .value(),
            "https://api.github.com/repos/o/r/releases?per_page=100&page=2");
  EXPECT_EQ(nextLink(R"(<https://x/p?page=1>; rel="prev", <https://x/p?page=3>; rel="next")").value(),
            "https://x/p?page=3");
  EXPECT_EQ(nextLink(R"(<https://x/p?page=3>; rel=next)").value(), "https://x/p?page=3");
  EXPECT_EQ(nextLink(R"(<https://x/p?page=3>; rel="prefetch next")").value(), "https://x/p?page=3");
  EXPECT_FALSE(nextLink(R"(<https://x/p?page=1>; rel="prev", <https://x/p?page=1>; rel="first")"));
  EXPECT_FALSE(nextLink(R"(<https://x/p?page=3>; rel="nextish")"));
  EXPECT_FALSE(nextLink(""));
  EXPECT_FALSE(nextLink("<unterminated; rel=\"next\""));
}

TEST(GithubLink, SameOriginKeepsPagesOnTheApi) {
  EXPECT_TRUE(sameOrigin("https://api.github.com", "https://api.github.com/repos/o/r/releases?page=2"));
  EXPECT_TRUE(sameOrigin("https://ghe.example/api/v3", "https://GHE.example/api/v3/repos/o/r/releases"));
  EXPECT_FALSE(sameOrigin("https://ghe.example/api/v3", "https://ghe.example/other/repos"));
  EXPECT_FALSE(sameOrigin("https://ghe.example/api/v3", "https://ghe.example/api/v3x/repos"));
  EXPECT_FALSE(sameOrigin("https://api.github.com", "http://api.github.com/repos"));
  EXPECT_FALSE(sameOrigin("https://api.github.com", "https://api.github.com:444/repos"));
  EXPECT_FALSE(sameOrigin("https://api.github.com", "https://api.github.com.evil.example/repos"));
  EXPECT_FALSE(sameOrigin("https://api.github.com", "https://user@api.github.com/repos"));
}

TEST(GithubReleases, ReadsTagsAndFlags) {
  auto r = parseReleasesPage(
      R"([{"tag_name":"v1.0.0","draft":false,"prerelease":true,"assets":[]},{"tag_name":"2.0.0","draft":true,"prerelease":null}])",
      1 << 20);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].tag, "v1.0.0");
  EXPECT_TRUE((*r)[0].prerelease);
  EXPECT_FALSE((*r)[0].draft);
  EXPECT_TRUE((*r)[1].draft);
  EXPECT_FALSE((*r)[1].prerelease);
  EXPECT_TRUE(parseReleasesPage("[]", 10).value().empty());
}

TEST(GithubReleases, WrongShapesAreCorrupt) {
  for (const char* body : {"", "<!DOCTYPE html><html></html>", R"([{"tag_name":"v1"})",
                           R"({"message":"Not Found"})", R"(["v1.0.0"])", R"([{"name":"v1"}])",
                           R"([{"tag_name":""}])", R"([{"tag_name":7}])",
                           R"([{"tag_name":"v1","draft":"no"}])"}) {
    auto r = parseReleasesPage(body, 1 << 20);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, Errc::Corrupt) << body;
  }
  EXPECT_EQ(parseReleasesPage(R"([{"tag_name":"v1"}])", 5).error().code, Errc::Corrupt);
}

ApiResponse answer(long status, std::string body = "") {
  ApiResponse r;
  r.result.status = status;
  r.result.body = std::move(body);
  return r;
}

TEST(GithubErrors, MapsStatusesToCodes) {
  auto bad = statusError(answer(401, R"({"message":"Bad credentials"})"), "list");
  EXPECT_EQ(bad.code, Errc::Permission);
  EXPECT_NE(bad.message.find("Bad credentials"), std::string::npos);
  EXPECT_EQ(statusError(answer(403, R"({"message":"Resource not accessible"})"), "x").code,
            Errc::Permission);
  EXPECT_EQ(statusError(answer(404), "x").code, Errc::NotFound);
  EXPECT_EQ(statusError(answer(422), "x").code, Errc::Invalid);
  EXPECT_EQ(statusError(answer(502, "<html>"), "x").code, Errc::Unavailable);
  EXPECT_EQ(statusError(answer(418), "x").code, Errc::Unavailable);

  auto limited = answer(403, R"({"message":"API rate limit exceeded for 1.2.3.4."})");
  limited.ratelimit_remaining = 0;
  limited.ratelimit_reset = 1704067200;
  auto e = statusError(limited, "list");
  EXPECT_EQ(e.code, Errc::Unavailable);
  EXPECT_NE(e.message.find("2024-01-01T00:00:00Z"), std::string::npos) << e.message;

  auto secondary = answer(403, R"({"message":"You have exceeded a secondary rate limit"})");
  secondary.retry_after = 60;
  auto s = statusError(secondary, "list");
  EXPECT_EQ(s.code, Errc::Unavailable);
  EXPECT_NE(s.message.find("retry after 60 s"), std::string::npos);

  auto too_many = answer(429);
  too_many.retry_after = 5;
  EXPECT_EQ(statusError(too_many, "x").code, Errc::Unavailable);
}

TEST(GithubErrors, RateLimitWaitFollowsGithubsRules) {
  using std::chrono::seconds;
  auto retry_after = answer(429);
  retry_after.retry_after = 7;
  retry_after.ratelimit_remaining = 0;
  retry_after.ratelimit_reset = 2000;
  EXPECT_EQ(rateLimitWait(retry_after, 1000), seconds(7)) << "Retry-After comes first";

  auto primary = answer(403, R"({"message":"API rate limit exceeded"})");
  primary.ratelimit_remaining = 0;
  primary.ratelimit_reset = 1030;
  EXPECT_EQ(rateLimitWait(primary, 1000), seconds(30));
  EXPECT_EQ(rateLimitWait(primary, 1100), seconds(1)) << "a reset in the past still waits a moment";
  primary.ratelimit_reset.reset();
  EXPECT_EQ(rateLimitWait(primary, 1000), seconds(60));

  auto secondary = answer(403, R"({"message":"You have exceeded a Secondary Rate Limit."})");
  EXPECT_EQ(rateLimitWait(secondary, 1000), seconds(60)) << "at least a minute without headers";
  EXPECT_EQ(statusError(secondary, "x").code, Errc::Unavailable);
  EXPECT_EQ(rateLimitWait(answer(429, "<html>"), 1000), seconds(60));

  auto refused = answer(403, R"({"message":"Resource not accessible by integration"})");
  refused.ratelimit_remaining = 4999;
  EXPECT_FALSE(rateLimitWait(refused, 1000)) << "a plain 403 is a refusal, not a limit";
  EXPECT_FALSE(rateLimitWait(answer(500), 1000));
  auto not_limited = answer(404);
  not_limited.retry_after = 3;
  EXPECT_FALSE(rateLimitWait(not_limited, 1000)) << "only 403 and 429 are rate limits";
}

TEST(GithubErrors, TransportFailures) {
  ApiResponse r;
  r.result.code = CURLE_OPERATION_TIMEDOUT;
  EXPECT_EQ(transportError(r, "x").code, Errc::Timeout);
  r.result.code = CURLE_COULDNT_CONNECT;
  EXPECT_EQ(transportError(r, "x").code, Errc::Unavailable);
  r.result.code = CURLE_UNSUPPORTED_PROTOCOL;
  EXPECT_EQ(transportError(r, "x").code, Errc::Invalid);
}

bool isPublic(const char* text) {
  sockaddr_storage ss{};
  if (inet_pton(AF_INET, text, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    ss.ss_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
    ss.ss_family = AF_INET6;
  }
  return isPublicAddress(reinterpret_cast<sockaddr*>(&ss));
}

TEST(GithubAddresses, OnlyPublicAddressesAreReachableByDefault) {
  for (const char* ok : {"140.82.112.9", "8.8.8.8", "2606:50c0:8000::153", "::ffff:140.82.112.9"}) {
    EXPECT_TRUE(isPublic(ok)) << ok;
  }
  for (const char* bad : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                          "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::",
                          "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(isPublic(bad)) << bad;
  }
  EXPECT_TRUE(isPublic("172.32.0.1"));
}

TEST(GithubSecret, DecodesDataAndTakesStringData) {
  auto d = secretDataFromJson(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"Opaque",)"
      R"("data":{"githubAppID":"MTIz","githubPrivateKey":"LS0tLS1CRUdJTg=="},"stringData":{"githubInstallID":"9"}})");
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->at("githubAppID"), "123");
  EXPECT_EQ(d->at("githubPrivateKey"), "-----BEGIN");
  EXPECT_EQ(d->at("githubInstallID"), "9");
  EXPECT_TRUE(secretDataFromJson(R"({"kind":"Secret"})").value().empty());
  for (const char* bad : {"", "[]", R"({"data":[]})", R"({"data":{"a":1}})", R"({"data":{"a":"***"}})"}) {
    EXPECT_EQ(secretDataFromJson(bad).error().code, Errc::Corrupt) << bad;
  }
}

TEST(GithubOptionsCheck, RefusesUnusableOptions) {
  GithubOptions o;
  EXPECT_TRUE(validateOptions(o).ok());
  o.api_url = "ftp://x";
  EXPECT_FALSE(validateOptions(o).ok());
  o.api_url = "http://127.0.0.1:1";
  EXPECT_FALSE(validateOptions(o).ok());
  o.allow_plain_http = true;
  EXPECT_TRUE(validateOptions(o).ok());
  o.api_url = "https://x/api?y=1";
  EXPECT_FALSE(validateOptions(o).ok());
  o.api_url = "https://user@x";
  EXPECT_FALSE(validateOptions(o).ok());
  o.api_url = "https://x";
  o.max_archive_bytes = 0;
  EXPECT_FALSE(validateOptions(o).ok());
  o.max_archive_bytes = 1;
  o.max_rate_limit_wait = std::chrono::seconds(0);
  o.max_rate_limit_waits = 0;
  EXPECT_TRUE(validateOptions(o).ok()) << "zero means never wait";
  o.max_rate_limit_wait = std::chrono::seconds(-1);
  EXPECT_FALSE(validateOptions(o).ok());
  o.max_rate_limit_wait = std::chrono::seconds(1);
  o.max_rate_limit_waits = -1;
  EXPECT_FALSE(validateOptions(o).ok());
}

}  // namespace
}  // namespace od::adapters::github
