// Router and serialisation: handlers as Request → Response, no sockets.
#include "http/router.h"

#include <gtest/gtest.h>

#include "http/request_parser.h"
#include "http/serialize.h"

namespace od::http {
namespace {

Request requestFor(const std::string& method, const std::string& target) {
  RequestParser parser{Limits{}};
  std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
  parser.feed(bytes);
  EXPECT_EQ(parser.state(), RequestParser::State::Complete) << parser.error().message;
  return parser.takeRequest();
}

Router sampleRouter() {
  Router router;
  router.get("/v1/modules/:namespace/:name/:system/versions", "versions", [](const Request& r) {
    return Response::json(200, std::string("{\"ns\":\"") + std::string(r.param("namespace")) + "\"}");
  });
  router.get("/v1/providers/", "providers", [](const Request&) { return Response::json(200, "{}"); });
  return router;
}

TEST(Router, MatchesParameters) {
  Router router = sampleRouter();
  Request req = requestFor("GET", "/v1/modules/acme/widget/aws/versions");
  Router::Routed routed = router.dispatch(req);
  EXPECT_EQ(routed.response.status, 200);
  EXPECT_EQ(routed.response.body, "{\"ns\":\"acme\"}");
  EXPECT_EQ(routed.route, "versions");
  EXPECT_EQ(req.param("system"), "aws");
}

TEST(Router, TrailingSlashIsPartOfThePath) {
  Router router = sampleRouter();
  Request with = requestFor("GET", "/v1/providers/");
  EXPECT_EQ(router.dispatch(with).response.status, 200);
  Request without = requestFor("GET", "/v1/providers");
  EXPECT_EQ(router.dispatch(without).response.status, 404);
}

TEST(Router, UnknownPathIs404InRegistryShape) {
  Router router = sampleRouter();
  Request req = requestFor("GET", "/nope");
  Response r = router.dispatch(req).response;
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "{\"errors\":[\"Not Found\"]}");
  EXPECT_EQ(*findHeader(r.headers, "content-type"), "application/json");
}

TEST(Router, EmptyParameterDoesNotMatch) {
  Router router = sampleRouter();
  Request req = requestFor("GET", "/v1/modules//widget/aws/versions");
  EXPECT_EQ(router.dispatch(req).response.status, 404);
}

TEST(Router, B10PostOnReadRouteIs405WithAllow) {
  Router router = sampleRouter();
  Request req = requestFor("POST", "/v1/providers/");
  Response r = router.dispatch(req).response;
  EXPECT_EQ(r.status, 405);
  ASSERT_NE(findHeader(r.headers, "allow"), nullptr);
  EXPECT_EQ(*findHeader(r.headers, "allow"), "GET, HEAD");
}

TEST(Router, B10ValidUnknownMethodIs501) {
  Router router = sampleRouter();
  Request req = requestFor("PROPFIND", "/v1/providers/");
  EXPECT_EQ(router.dispatch(req).response.status, 501);
}

TEST(Router, HeadUsesGetHandlerAndSendsOnlyTheHead) {
  Router router = sampleRouter();
  Request req = requestFor("HEAD", "/v1/modules/acme/widget/aws/versions");
  Response r = router.dispatch(req).response;
  ASSERT_EQ(r.status, 200);
  std::string wire = serializeResponse(r, WireOptions{true, true});
  EXPECT_NE(wire.find("Content-Length: 13\r\n"), std::string::npos) << wire;
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
  std::string get = serializeResponse(r, WireOptions{false, false});
  EXPECT_NE(get.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(get.substr(get.size() - 13), "{\"ns\":\"acme\"}");
}

TEST(Serialize, NoContentHasNoLength) {
  Response r;
  r.status = 204;
  r.header("X-Terraform-Get", "https://x/y.tar.gz");
  std::string wire = serializeResponse(r, WireOptions{});
  EXPECT_EQ(wire, "HTTP/1.1 204 No Content\r\nX-Terraform-Get: https://x/y.tar.gz\r\n\r\n");
}

}  // namespace
}  // namespace od::http
