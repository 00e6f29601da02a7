#pragma once
// A tiny blocking HTTP client (libcurl easy) for kubeapi_tests.

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/kubeapi/util.h"

namespace od::testkube {

struct Reply {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  json Json() const;
  std::string Header(const std::string& lower) const;
  std::vector<std::string> Headers(const std::string& lower) const;
};

class Client {
 public:
  explicit Client(std::string base, std::string token = "") : base_(std::move(base)), token_(std::move(token)) {}
  Reply Do(const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& content_type = "application/json") const;
  Reply Get(const std::string& path) const { return Do("GET", path); }
  Reply Post(const std::string& path, const json& body) const { return Do("POST", path, Dump(body)); }
  Reply Put(const std::string& path, const json& body) const { return Do("PUT", path, Dump(body)); }
  Reply Patch(const std::string& path, const std::string& type, const std::string& body) const {
    return Do("PATCH", path, body, type);
  }
  Reply Delete(const std::string& path, const std::string& body = "") const {
    return Do("DELETE", path, body);
  }
  // Streams a watch: calls on_line for every JSON line until it returns false, the stream
  // ends, or timeout_ms passes. Returns the HTTP status (0 on a transport error) and sets
  // *clean to whether the stream ended with the final chunk.
  // A set *cancel aborts the stream within about a second.
  long Stream(const std::string& path, const std::function<bool(const json&)>& on_line,
              long timeout_ms, bool* clean = nullptr,
              const std::atomic<bool>* cancel = nullptr) const;

 private:
  std::string base_;
  std::string token_;
};

}  // namespace od::testkube
