#include "adapters/devstore/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace od::adapters::devstore {
namespace {

using nlohmann::json;

json plainScalar(const std::string& s) {
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kOct(R"(0o[0-7]+)");
  static const std::regex kHex(R"(0x[0-9a-fA-F]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  errno = 0;
  if (std::regex_match(s, kInt)) {
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno != ERANGE) {
      return v;
    }
  } else if (std::regex_match(s, kHex)) {
    return std::strtoll(s.c_str() + 2, nullptr, 16);
  } else if (std::regex_match(s, kOct)) {
    return std::strtoll(s.c_str() + 2, nullptr, 8);
  }
  if (std::regex_match(s, kFloat)) {
    return std::strtod(s.c_str(), nullptr);
  }
  if (s == ".inf" || s == ".Inf" || s == "+.inf" || s == "-.inf" || s == ".nan" || s == ".NaN") {
    return s;  // JSON has no infinities or NaN: keep the text
  }
  return s;
}

core::Result<json> convert(const YAML::Node& node, const std::string& path, int depth) {
  if (depth > 64) {
    return core::makeError(core::Errc::Invalid, path + ": nested deeper than 64 levels");
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar:
      // Tag "!" marks a quoted (non-plain) scalar: always a string.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return json(node.Scalar());
      }
      return plainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      size_t i = 0;
      for (const auto& item : node) {
        OD_TRY(json v, convert(item, path + "[" + std::to_string(i++) + "]", depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return core::makeError(core::Errc::Invalid, path + ": a map key is not a scalar");
        }
        std::string key = kv.first.Scalar();
        if (out.contains(key)) {
          return core::makeError(core::Errc::Invalid,
                                 path + ": duplicate key \"" + key + "\"");
        }
        OD_TRY(json v, convert(kv.second, path.empty() ? key : path + "." + key, depth + 1));
        out[key] = std::move(v);
      }
      return out;
    }
  }
  return json(nullptr);
}

}  // namespace

core::Result<std::vector<YamlDocument>> yamlDocuments(const std::string& text) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return core::makeError(core::Errc::Invalid,
                           "YAML syntax error at line " + std::to_string(e.mark.line + 1) +
                               ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  std::vector<YamlDocument> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    YamlDocument doc;
    doc.index = i;
    try {
      doc.json = convert(nodes[i], "", 0);
    } catch (const YAML::Exception& e) {
      doc.json = core::makeError(core::Errc::Invalid, e.msg);
    }
    out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace od::adapters::devstore
