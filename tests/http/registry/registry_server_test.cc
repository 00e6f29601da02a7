// The registry routes through the real http::Server on a loopback socket: the way a client
// walks them (discovery, versions, download location, then the package via sendfile).
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "http/server.h"
#include "tests/http/registry/registry_fixture.h"
#include "tests/http/test_client.h"

namespace od::http {
namespace {

using namespace od::http::testing;

struct RegistryServer : ::testing::Test, RegistryFixture {
  spdlog::logger log{"http", std::make_shared<spdlog::sinks::null_sink_mt>()};
  std::unique_ptr<Server> server;
  int fd = -1;
  std::string buffer;

  void SetUp() override {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.readiness = [] { return std::string(); };
    server = std::make_unique<Server>(options, router, log);
    ASSERT_TRUE(server->start().ok());
    fd = connectTo(server->port());
    ASSERT_GE(fd, 0);
  }
  void TearDown() override {
    if (fd >= 0) {
      ::close(fd);
    }
    server->stop();
  }
  ClientResponse roundTrip(const std::string& method, const std::string& path) {
    EXPECT_TRUE(sendAll(fd, method + " " + path + " HTTP/1.1\r\nHost: test\r\nUser-Agent: OpenTofu/1.9.0\r\n\r\n"));
    return readResponse(fd, buffer, method == "HEAD");
  }
};

TEST_F(RegistryServer, ClientWalkOverOneKeepAliveConnection) {
  ClientResponse disco = roundTrip("GET", "/.well-known/terraform.json");
  ASSERT_TRUE(disco.ok);
  EXPECT_EQ(disco.status, 200);
  EXPECT_EQ(disco.headers["content-type"], "application/json");

  ClientResponse versions = roundTrip("GET", "/opendepot/modules/v1/team/vpc/aws/versions");
  ASSERT_TRUE(versions.ok);
  EXPECT_EQ(versions.body, R"({"modules":[{"versions":[{"version":"2.0.0"},{"version":"1.2.0"}]}]})");

  ClientResponse download = roundTrip("GET", "/opendepot/modules/v1/team/vpc/aws/v1.2.0/download");
  ASSERT_TRUE(download.ok);
  EXPECT_EQ(download.status, 204);
  const std::string location = download.headers["x-terraform-get"];
  ASSERT_FALSE(location.empty());

  // go-getter: HEAD, then GET of the package URL (query stripped by the client)
  ClientResponse head = roundTrip("HEAD", pathOf(location));
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], std::to_string(kBytes120.size()));
  EXPECT_TRUE(head.body.empty());

  ClientResponse package = roundTrip("GET", pathOf(location));
  ASSERT_TRUE(package.ok);
  EXPECT_EQ(package.status, 200);
  EXPECT_EQ(package.headers["content-type"], "application/zip");
  EXPECT_EQ(package.body, kBytes120);

  auto records = recorder.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].client, "OpenTofu/1.9.0");

  ClientResponse missing = roundTrip("GET", "/opendepot/modules/v1/team/vpc/aws/9.9.9/download");
  ASSERT_TRUE(missing.ok);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"errors":["version 9.9.9 of module team/vpc/aws not found"]})");
}

TEST_F(RegistryServer, EncodedTraversalIsRefusedBeforeRouting) {
  ClientResponse r = roundTrip("GET", "/opendepot/modules/v1/artifacts/x/..%2F..%2Fetc%2Fpasswd");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace od::http
