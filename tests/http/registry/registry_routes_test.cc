// Registry routes as Request -> Response through the Router (no sockets): discovery,
// versions, download locations, and the artifact route's token and file checks.
#include "http/registry/registry_routes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "http/registry/download_token.h"
#include "tests/http/registry/registry_fixture.h"

namespace od::http {
namespace {

using testing::RegistryFixture;

std::string headerOf(const Response& r, std::string_view name) {
  const std::string* v = findHeader(r.headers, name);
  return v == nullptr ? std::string("<absent>") : *v;
}

std::string readAll(const FileBody& file) {
  std::string out(file.length(), '\0');
  ssize_t n = ::pread(file.fd(), out.data(), out.size(), static_cast<off_t>(file.offset()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

struct RegistryRoutes : ::testing::Test, RegistryFixture {
  std::string location(const std::string& version = "1.2.0") {
    Response r = call("GET", "/opendepot/modules/v1/team/vpc/aws/" + version + "/download");
    EXPECT_EQ(r.status, 204);
    return headerOf(r, "x-terraform-get");
  }
  std::string artifactPath(const std::string& version = "1.2.0") { return pathOf(location(version)); }
};

TEST_F(RegistryRoutes, DiscoveryAdvertisesBothServicesWithTrailingSlashes) {
  Response r = call("GET", "/.well-known/terraform.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"modules.v1":"/opendepot/modules/v1/","providers.v1":"/opendepot/providers/v1/"})");
  EXPECT_EQ(headerOf(r, "content-type"), "application/json");
}

TEST_F(RegistryRoutes, VersionsListsThePreRenderedBody) {
  Response r = call("GET", "/opendepot/modules/v1/team/vpc/aws/versions");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"modules":[{"versions":[{"version":"2.0.0"},{"version":"1.2.0"}]}]})");
  EXPECT_EQ(headerOf(r, "content-type"), "application/json");
  EXPECT_EQ(call("GET", "/opendepot/modules/v1/Team/VPC/AWS/versions").status, 200);
}

TEST_F(RegistryRoutes, UnknownModuleIs404InTheRegistryShape) {
  Response r = call("GET", "/opendepot/modules/v1/team/nope/aws/versions");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"errors":["module team/nope/aws not found"]})");
  EXPECT_EQ(call("GET", "/opendepot/modules/v1/other/vpc/aws/versions").status, 404);
  EXPECT_EQ(call("GET", "/opendepot/modules/v1/team/vpc/azurerm/versions").status, 404);
  EXPECT_EQ(call("GET", "/opendepot/modules/v1/team/nope/aws/1.2.0/download").status, 404);
}

TEST_F(RegistryRoutes, DownloadAnswers204WithAnAbsoluteSignedLocation) {
  Response r = call("GET", "/opendepot/modules/v1/team/vpc/aws/1.2.0/download", "X-Forwarded-Host: evil.example\r\n");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  const std::string loc = headerOf(r, "x-terraform-get");
  const std::string prefix = "https://registry.example.com/opendepot/modules/v1/artifacts/";
  ASSERT_EQ(loc.substr(0, prefix.size()), prefix) << loc;  // public URL, never the Host header
  EXPECT_NE(loc.find("/" + testing::kFile120 + "?checksum=sha256:" +
                     core::hexEncode(std::string(32, 'a'))),
            std::string::npos)
      << loc;
  EXPECT_EQ(headerOf(r, "cache-control"), "no-store");
}

TEST_F(RegistryRoutes, VersionSpellingsResolveToTheCanonicalVersion) {
  const std::string canonical = location("1.2.0");
  EXPECT_EQ(location("v1.2.0"), canonical);
  EXPECT_EQ(location("1.2"), canonical);
  EXPECT_EQ(call("GET", "/opendepot/modules/v1/team/vpc/aws/1.3.0/download").status, 404);
  Response junk = call("GET", "/opendepot/modules/v1/team/vpc/aws/latest/download");
  EXPECT_EQ(junk.status, 404);
  EXPECT_NE(junk.body.find("not a version"), std::string::npos);
}

TEST_F(RegistryRoutes, AcceptJsonGets200WithLocationBodyAndTheHeader) {
  Response r = call("GET", "/opendepot/modules/v1/team/vpc/aws/1.2.0/download",
                    "Accept: application/json\r\n");
  EXPECT_EQ(r.status, 200);
  const std::string loc = headerOf(r, "x-terraform-get");
  EXPECT_EQ(r.body, R"({"location":")" + loc + R"("})");
  EXPECT_EQ(headerOf(r, "content-type"), "application/json");
}

TEST_F(RegistryRoutes, ArtifactIsServedFromStorageAndRecorded) {
  Response r = call("GET", artifactPath(), "User-Agent: Terraform/1.11.0 (+https://www.terraform.io)\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.file.has_value());
  EXPECT_EQ(r.contentLength(), testing::kBytes120.size());
  EXPECT_EQ(readAll(*r.file), testing::kBytes120);
  EXPECT_EQ(headerOf(r, "content-type"), "application/zip");
  auto records = recorder.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "Module");
  EXPECT_EQ(records[0].name_space, "team");
  EXPECT_EQ(records[0].name, "vpc");
  EXPECT_EQ(records[0].version, "1.2.0");
  EXPECT_EQ(records[0].client, "Terraform/1.11.0");
  EXPECT_EQ(records[0].unix_ms, 1704067200000);

  Response gz = call("GET", artifactPath("2.0.0"));
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(headerOf(gz, "content-type"), "application/gzip");
}

TEST_F(RegistryRoutes, HeadSendsTheSameHeadAndIsNotRecorded) {
  Response r = call("HEAD", artifactPath());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.contentLength(), testing::kBytes120.size());
  EXPECT_TRUE(recorder.records().empty());
  EXPECT_EQ(call("HEAD", "/opendepot/modules/v1/team/vpc/aws/versions").status, 200);
}

TEST_F(RegistryRoutes, ExpiredTokenIs403) {
  const std::string path = artifactPath();
  now += std::chrono::seconds(599);
  EXPECT_EQ(call("GET", path).status, 200);
  now += std::chrono::seconds(1);
  Response r = call("GET", path);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST_F(RegistryRoutes, ForgedAndTamperedTokensAre403) {
  const std::string path = artifactPath();
  const std::string base = "/opendepot/modules/v1/artifacts/";
  const std::string token = path.substr(base.size(), path.rfind('/') - base.size());
  const std::string file = "/" + testing::kFile120;

  DownloadClaims claims{"team", "vpc", "aws", "1.2.0", 1704067200 + 600};
  const std::string forged = signDownloadToken(claims, std::string(32, 'x'));
  Response r = call("GET", base + forged + file);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("signature"), std::string::npos) << r.body;

  // a longer lifetime written into the payload, old MAC kept
  claims.expires_unix += 86400;
  const std::string payload_only = signDownloadToken(claims, testing::kTokenKey);
  const std::string tampered = payload_only.substr(0, payload_only.find('.')) + token.substr(token.find('.'));
  EXPECT_EQ(call("GET", base + tampered + file).status, 403);

  EXPECT_EQ(call("GET", base + "not-a-token" + file).status, 403);
  EXPECT_EQ(call("GET", base + "a.b.c" + file).status, 403);
  EXPECT_EQ(call("GET", base + token + "x" + file).status, 403);
  EXPECT_TRUE(recorder.records().empty());
}

TEST_F(RegistryRoutes, TokenOfOneVersionDoesNotOpenAnotherVersionsFile) {
  const std::string path = artifactPath("1.2.0");
  const std::string other = path.substr(0, path.rfind('/') + 1) + testing::kFile200;
  Response r = call("GET", other);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("does not grant"), std::string::npos);
}

TEST_F(RegistryRoutes, PathTraversalIsRefused) {
  const std::string path = artifactPath();
  const std::string dir = path.substr(0, path.rfind('/') + 1);
  // encoded slashes and dot-segments never reach a handler (target decoding)
  EXPECT_EQ(call("GET", dir + "..%2F..%2Fetc%2Fpasswd").status, 400);
  EXPECT_EQ(call("GET", dir + "%2e%2e").status, 400);
  EXPECT_EQ(call("GET", dir + "../" + testing::kFile120).status, 400);
  // a plain other name is not what the token grants
  EXPECT_EQ(call("GET", dir + "passwd").status, 403);
}

TEST_F(RegistryRoutes, MissingFileIs404) {
  std::filesystem::remove(root / "modules/vpc" / testing::kFile120);
  Response r = call("GET", artifactPath());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"errors":["artifact file is missing from storage"]})");
}

TEST_F(RegistryRoutes, SymlinkPlantedInStorageIsNotFollowed) {
  std::filesystem::remove(root / "modules/vpc" / testing::kFile120);
  std::filesystem::create_symlink("/etc/passwd", root / "modules/vpc" / testing::kFile120);
  Response r = call("GET", artifactPath());
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.file.has_value());
}

TEST_F(RegistryRoutes, VersionGoneAfterTheTokenWasIssuedIs404) {
  const std::string path = artifactPath("2.0.0");
  publish({version("1.2.0", testing::kFile120, 'a')});
  Response r = call("GET", path);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no longer available"), std::string::npos);
}

TEST_F(RegistryRoutes, NewSnapshotIsServedWithoutRebuildingRoutes) {
  publish({version("3.0.0", testing::kFile120, 'c')});
  Response r = call("GET", "/opendepot/modules/v1/team/vpc/aws/versions");
  EXPECT_EQ(r.body, R"({"modules":[{"versions":[{"version":"3.0.0"}]}]})");
}

TEST(RegistryConfigTest, EveryProblemIsReportedAtOnce) {
  RegistryConfig c;
  c.public_url = "registry.example.com";
  c.storage_root = "data";
  c.token_key = "short";
  c.token_ttl = std::chrono::seconds(0);
  auto st = validateRegistryConfig(c);
  ASSERT_FALSE(st.ok());
  for (const char* part : {"public URL", "storage root", "token key", "TTL"}) {
    EXPECT_NE(st.error().message.find(part), std::string::npos) << part << ": " << st.error().message;
  }
  Router router;
  proj::SnapshotHolder holder;
  EXPECT_FALSE(addRegistryRoutes(router, holder, c).ok());
  c.public_url = "https://user@registry.example.com";
  c.storage_root = "/data";
  c.token_key = std::string(32, 'k');
  c.token_ttl = std::chrono::seconds(1);
  EXPECT_FALSE(validateRegistryConfig(c).ok());
  c.public_url = "https://registry.example.com:8443";
  EXPECT_TRUE(validateRegistryConfig(c).ok());
  c.public_url = "https:///path";
  EXPECT_FALSE(validateRegistryConfig(c).ok());
}

}  // namespace
}  // namespace od::http
