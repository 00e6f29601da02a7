#pragma once
// Shared helpers of the test Kubernetes API server: the API error type (answered as a
// `kind: Status` body), YAML-to-JSON conversion, time stamps and base64.
// Any thread.

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace od::testkube {

using json = nlohmann::json;

// An error the API server answers with. Thrown inside the server, caught by the router.
struct ApiError : std::runtime_error {
  ApiError(int code, std::string reason, const std::string& message, json details = nullptr)
      : std::runtime_error(message), code(code), reason(std::move(reason)),
        details(std::move(details)) {}
  int code;
  std::string reason;
  json details;
  std::vector<std::pair<std::string, std::string>> headers;
};

json StatusBody(int code, const std::string& reason, const std::string& message,
                const json& details = nullptr);
json StatusBody(const ApiError& e);

// Plain JSON of a YAML node. Plain scalars resolve like YAML 1.1 (sigs.k8s.io/yaml):
// null, booleans, integers, floats, else strings. Quoted scalars stay strings.
json YamlToJson(const YAML::Node& node);
// Parses a body that is JSON or YAML (apply-patch+yaml). Throws ApiError 400.
json ParseJsonOrYaml(const std::string& body);
// Parses a JSON body. Throws ApiError 400 with the decoder's message.
json ParseJsonBody(const std::string& body);

std::string NowRfc3339();
std::string Base64Encode(const std::string& in);
bool IsBase64(const std::string& in);
std::string Dump(const json& j);
// A key path for messages: "spec.versions[0].version".
std::string JoinPath(const std::string& base, const std::string& key);

}  // namespace od::testkube
