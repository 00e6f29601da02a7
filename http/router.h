#pragma once
// Router: pure dispatch from a Request to a handler's Response (no sockets), so handlers are
// tested as Request → Response (h2o loopback style).
//   - patterns are "/opendepot/modules/v1/:namespace/:name/:system/versions"; ":x" matches one
//     non-empty decoded segment and lands in Request::params;
//   - GET routes answer HEAD too (the connection sends the head with the real Content-Length
//     and no body);
//   - unknown path → 404 {"errors":["Not Found"]}; a standard method the route lacks → 405 with
//     `Allow`; a valid method token outside RFC 9110's set (PROPFIND) → 501.
// Thread affinity: built once before the server starts, then read-only and shared by every
// HTTP loop thread; handlers must be safe to call from several loops at once.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace od::http {

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // REQUIRES: `pattern` starts with '/'. `name` labels the route in metrics and logs.
  void add(std::string_view method, std::string_view pattern, std::string name, Handler handler);
  void get(std::string_view pattern, std::string name, Handler handler) {
    add("GET", pattern, std::move(name), std::move(handler));
  }

  struct Routed {
    Response response;
    std::string route;  // the matched route's name; "unmatched" otherwise
  };
  // Fills request.params on a match.
  Routed dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // ":x" for parameters
    std::string name;
    Handler handler;
  };
  static bool matches(const Route& route, const Request& request);
  static void bindParams(const Route& route, Request& request);

  std::vector<Route> routes_;
};

// True for the methods RFC 9110 defines (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS,
// TRACE) and PATCH.
bool isStandardMethod(std::string_view method);

}  // namespace od::http
