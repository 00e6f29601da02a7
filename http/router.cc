#include "http/router.h"

namespace od::http {

bool isStandardMethod(std::string_view method) {
  static constexpr std::string_view kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                  "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view m : kMethods) {
    if (m == method) {
      return true;
    }
  }
  return false;
}

void Router::add(std::string_view method, std::string_view pattern, std::string name,
                 Handler handler) {
  Route route{std::string(method), {}, std::move(name), std::move(handler)};
  size_t pos = 1;
  while (true) {
    size_t slash = pattern.find('/', pos);
    route.segments.emplace_back(
        pattern.substr(pos, slash == std::string_view::npos ? pattern.npos : slash - pos));
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const Request& request) {
  if (route.segments.size() != request.segments.size()) {
    return false;
  }
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (!want.empty() && want[0] == ':') {
      if (request.segments[i].empty()) {
        return false;
      }
    } else if (want != request.segments[i]) {
      return false;
    }
  }
  return true;
}

void Router::bindParams(const Route& route, Request& request) {
  for (size_t i = 0; i < route.segments.size(); ++i) {
    if (!route.segments[i].empty() && route.segments[i][0] == ':') {
      request.params[route.segments[i].substr(1)] = request.segments[i];
    }
  }
}

Router::Routed Router::dispatch(Request& request) const {
  if (!isStandardMethod(request.method)) {
    return Routed{Response::error(501, "Not Implemented"), "unmatched"};
  }
  std::string_view method = request.method == "HEAD" ? std::string_view("GET") : request.method;
  std::string allow;
  for (const Route& route : routes_) {
    if (!matches(route, request)) {
      continue;
    }
    if (route.method == method) {
      bindParams(route, request);
      return Routed{route.handler(request), route.name};
    }
    if (allow.find(route.method) == std::string::npos) {
      allow += (allow.empty() ? "" : ", ") + route.method;
      if (route.method == "GET") {
        allow += ", HEAD";
      }
    }
  }
  if (!allow.empty()) {
    Response r = Response::error(405, "Method Not Allowed");
    r.header("Allow", allow);
    return Routed{std::move(r), "unmatched"};
  }
  return Routed{Response::error(404, "Not Found"), "unmatched"};
}

}  // namespace od::http
