#include "tests/kubeapi/util.h"

#include <cctype>
#include <chrono>
#include <ctime>
#include <regex>

namespace od::testkube {

json StatusBody(int code, const std::string& reason, const std::string& message,
                const json& details) {
  json s = {{"kind", "Status"},  {"apiVersion", "v1"},    {"metadata", json::object()},
            {"status", code < 300 ? "Success" : "Failure"}, {"message", message},
            {"reason", reason},  {"code", code}};
  if (!details.is_null()) {
    s["details"] = details;
  }
  if (reason.empty()) {
    s.erase("reason");
  }
  return s;
}

json StatusBody(const ApiError& e) { return StatusBody(e.code, e.reason, e.what(), e.details); }

namespace {

json ResolvePlain(const std::string& v) {
  static const std::regex kInt(R"([-+]?(0|[1-9][0-9]*))");
  static const std::regex kHex(R"(0x[0-9a-fA-F]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") {
    return nullptr;
  }
  if (v == "true" || v == "True" || v == "TRUE" || v == "yes" || v == "Yes" || v == "on" ||
      v == "On" || v == "y" || v == "Y") {
    return true;
  }
  if (v == "false" || v == "False" || v == "FALSE" || v == "no" || v == "No" || v == "off" ||
      v == "Off" || v == "n" || v == "N") {
    return false;
  }
  try {
    if (std::regex_match(v, kInt)) {
      if (v[0] == '-') {
        return std::stoll(v);
      }
      return std::stoull(v[0] == '+' ? v.substr(1) : v);
    }
    if (std::regex_match(v, kHex)) {
      return std::stoull(v.substr(2), nullptr, 16);
    }
    if (std::regex_match(v, kFloat)) {
      return std::stod(v);
    }
  } catch (const std::exception&) {
    // out of range: keep the text
  }
  if (v == ".inf" || v == ".Inf" || v == "+.inf") {
    return std::numeric_limits<double>::infinity();
  }
  return v;
}

}  // namespace

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") {
        return node.Scalar();
      }
      return ResolvePlain(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) {
        arr.push_back(YamlToJson(item));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        std::string key = kv.first.Scalar();
        obj[key] = YamlToJson(kv.second);
      }
      return obj;
    }
  }
  return nullptr;
}

json ParseJsonBody(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw ApiError(400, "BadRequest",
                   std::string("the body of the request was in an unknown format: ") + e.what());
  }
}

json ParseJsonOrYaml(const std::string& body) {
  if (json::accept(body)) {
    return json::parse(body);
  }
  try {
    return YamlToJson(YAML::Load(body));
  } catch (const std::exception& e) {
    throw ApiError(400, "BadRequest", std::string("error decoding YAML: ") + e.what());
  }
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Base64Encode(const std::string& in) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool IsBase64(const std::string& in) {
  // Hand-checked: std::regex recurses per character and would overflow on big Secrets.
  if (in.size() % 4 != 0) {
    return false;
  }
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) {
        return false;
      }
      ++pad;
    } else if (pad > 0 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return false;
    }
  }
  return true;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string JoinPath(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

}  // namespace od::testkube
