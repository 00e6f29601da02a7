#include "adapters/config/options.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <variant>

#include "core/problems.h"

namespace od::adapters::config {
namespace {

using StringField = std::string Options::*;
using BoolField = bool Options::*;
using ListField = std::vector<std::string> Options::*;

struct Descriptor {
  std::string flag;
  std::variant<StringField, BoolField, ListField> field;
};

const std::vector<Descriptor>& descriptors() {
  static const std::vector<Descriptor> table = {
      {"roles", &Options::roles},
      {"valkey-url", &Options::valkey_url},
      {"kubeconfig", &Options::kubeconfig},
      {"namespace", &Options::namespaces},
      {"groupbinding-namespace", &Options::groupbinding_namespace},
      {"listen", &Options::listen},
      {"tls-cert", &Options::tls_cert},
      {"tls-key", &Options::tls_key},
      {"public-url", &Options::public_url},
      {"storage-root", &Options::storage_root},
      {"github-api-url", &Options::github_api_url},
      {"provider-registry-url", &Options::provider_registry_url},
      {"releases-api-url", &Options::releases_api_url},
      {"provider-versions-from", &Options::provider_versions_from},
      {"gpg-key-file", &Options::gpg_key_file},
      {"gpg-previous-key-file", &Options::gpg_previous_key_files},
      {"auth", &Options::auth},
      {"allow-plain-http", &Options::allow_plain_http},
      {"upstream-allow", &Options::upstream_allow},
      {"log-level", &Options::log_level},
      {"log-format", &Options::log_format},
      {"claim-idle", &Options::claim_idle},
      {"temp-max-age", &Options::temp_max_age},
      {"depot-poll-minute-ms", &Options::depot_poll_minute_ms},
  };
  return table;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) {
      out.push_back(item);
    }
    start = comma + 1;
  }
  return out;
}

std::optional<bool> parseBool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    return false;
  }
  return std::nullopt;
}

// Applies one raw value (all values of a repeatable flag joined by commas) to its field.
void apply(Options& options, const Descriptor& d, const std::string& raw, const std::string& where,
           core::Problems& problems) {
  if (const auto* s = std::get_if<StringField>(&d.field)) {
    options.*(*s) = raw;
  } else if (const auto* b = std::get_if<BoolField>(&d.field)) {
    auto value = parseBool(raw);
    if (!value) {
      problems.add(where, "must be true or false, got '" + raw + "'");
      return;
    }
    options.*(*b) = *value;
  } else {
    options.*(std::get<ListField>(d.field)) = splitList(raw);
  }
}

// Reads the YAML file into flag -> raw value; unknown keys and non-scalar values are problems.
std::map<std::string, std::string> readFile(const ConfigInputs& in, core::Problems& problems) {
  std::map<std::string, std::string> values;
  if (in.file_text.empty()) {
    return values;
  }
  const std::string file = in.file_name.empty() ? "config file" : in.file_name;
  try {
    const YAML::Node root = YAML::Load(in.file_text);
    if (root.IsNull()) {
      return values;
    }
    if (!root.IsMap()) {
      problems.add(file, "must be a YAML mapping of option keys (e.g. valkeyUrl: redis://...)");
      return values;
    }
    std::map<std::string, std::string> by_key;
    for (const auto& d : descriptors()) {
      by_key[yamlKey(d.flag)] = d.flag;
    }
    for (const auto& item : root) {
      const auto key = item.first.as<std::string>();
      auto it = by_key.find(key);
      if (it == by_key.end()) {
        problems.add(file + ": " + key, "unknown key (keys are the flag names in camelCase, e.g. valkeyUrl)");
        continue;
      }
      if (item.second.IsSequence()) {
        std::string joined;
        for (const auto& v : item.second) {
          joined += (joined.empty() ? "" : ",") + v.as<std::string>();
        }
        values[it->second] = joined;
      } else if (item.second.IsScalar()) {
        values[it->second] = item.second.as<std::string>();
      } else {
        problems.add(file + ": " + key, "must be a scalar or a list");
      }
    }
  } catch (const YAML::Exception& e) {
    problems.add(file, std::string("is not valid YAML: ") + e.what());
  }
  return values;
}

bool isUrlWithScheme(const std::string& url, bool allow_http) {
  const bool https = url.rfind("https://", 0) == 0 && url.size() > 8;
  const bool http = url.rfind("http://", 0) == 0 && url.size() > 7;
  return https || (allow_http && http);
}

std::optional<int> parsePort(std::string_view text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// "host:port", "[::1]:port", ":port".
bool validHostPort(const std::string& text, bool port_required) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return !port_required && !text.empty();
  }
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed && text[colon - 1] != ']') {
    return false;
  }
  return parsePort(std::string_view(text).substr(colon + 1)).has_value();
}

}  // namespace

std::optional<int64_t> parseSeconds(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 86400 * 365) {
    return std::nullopt;
  }
  return value;
}

namespace {

void validate(const Options& o, bool dev, core::Problems& problems) {
  static const std::set<std::string> kRoles = {"watch", "reconcile", "status", "worker", "serve", "all"};
  for (const auto& role : o.roles) {
    if (!kRoles.count(role)) {
      problems.add("roles", "unknown role '" + role + "' (watch, reconcile, status, worker, serve or all)");
    }
  }
  if (o.roles.empty()) {
    problems.add("roles", "must name at least one role");
  }
  if (o.valkey_url.empty() && !dev) {
    problems.add("valkey-url", "is required (redis://host:port or rediss://...); only `opendepot dev` starts its own");
  } else if (!o.valkey_url.empty()) {
    if (auto v = parseValkeyUrl(o.valkey_url); !v.ok()) {
      problems.add("valkey-url", v.error().message);
    }
  }
  if (!validHostPort(o.listen, true)) {
    problems.add("listen", "must be host:port, got '" + o.listen + "'");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    problems.add(o.tls_cert.empty() ? "tls-cert" : "tls-key", "tls-cert and tls-key go together");
  }
  const bool serves = std::count(o.roles.begin(), o.roles.end(), "serve") ||
                      std::count(o.roles.begin(), o.roles.end(), "all");
  if (o.public_url.empty() && serves && !dev) {
    problems.add("public-url", "is required outside dev: download links never come from the Host header");
  } else if (!o.public_url.empty() && !isUrlWithScheme(o.public_url, true)) {
    problems.add("public-url", "must be an http:// or https:// URL, got '" + o.public_url + "'");
  }
  for (const auto& [name, url] : {std::pair{"github-api-url", &o.github_api_url},
                                  std::pair{"provider-registry-url", &o.provider_registry_url},
                                  std::pair{"releases-api-url", &o.releases_api_url}}) {
    if (!isUrlWithScheme(*url, o.allow_plain_http)) {
      problems.add(name, "must be an https:// URL (http:// only with allow-plain-http), got '" + *url + "'");
    }
  }
  if (o.provider_versions_from != "registry" && o.provider_versions_from != "releases-api") {
    problems.add("provider-versions-from",
                 "must be registry or releases-api, got '" + o.provider_versions_from + "'");
  }
  if (o.auth != "anonymous" && o.auth != "oidc" && o.auth != "kubernetes") {
    problems.add("auth", "must be anonymous, oidc or kubernetes, got '" + o.auth + "'");
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.count(o.log_level)) {
    problems.add("log-level", "must be trace, debug, info, warn or error, got '" + o.log_level + "'");
  }
  for (const auto& [name, value] : {std::pair{"claim-idle", &o.claim_idle},
                                    std::pair{"temp-max-age", &o.temp_max_age}}) {
    if (!parseSeconds(*value)) {
      problems.add(name, "must be a whole number of seconds, got '" + *value + "'");
    }
  }
  if (auto minute = parseSeconds(o.depot_poll_minute_ms); !minute || *minute < 1) {
    problems.add("depot-poll-minute-ms", "must be a whole number of milliseconds >= 1, got '" +
                                             o.depot_poll_minute_ms + "'");
  }
  if (o.log_format != "text" && o.log_format != "json") {
    problems.add("log-format", "must be text or json, got '" + o.log_format + "'");
  }
  for (const auto& host : o.upstream_allow) {
    if (!validHostPort(host, false)) {
      problems.add("upstream-allow", "entries are HOST[:PORT], got '" + host + "'");
    }
  }
}

}  // namespace

const std::vector<std::string>& optionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : descriptors()) {
      out.push_back(d.flag);
    }
    return out;
  }();
  return names;
}

std::string envName(const std::string& flag) {
  std::string out = "OPENDEPOT_";
  for (char c : flag) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string yamlKey(const std::string& flag) {
  std::string out;
  bool upper = false;
  for (char c : flag) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

core::Result<LoadedOptions> loadOptions(const ConfigInputs& inputs, bool dev) {
  core::Problems problems;
  LoadedOptions loaded;
  const auto file_values = readFile(inputs, problems);
  for (const auto& d : descriptors()) {
    RawValue chosen;
    if (auto it = file_values.find(d.flag); it != file_values.end()) {
      chosen = {it->second, Source::File};
    }
    if (auto it = inputs.environment.find(envName(d.flag)); it != inputs.environment.end()) {
      chosen = {it->second, Source::Environment};
    }
    if (auto it = inputs.flags.find(d.flag); it != inputs.flags.end() && !it->second.empty()) {
      std::string joined;
      for (const auto& v : it->second) {
        joined += (joined.empty() ? "" : ",") + v;
      }
      chosen = {joined, Source::Flag};
    }
    if (chosen.source != Source::Default) {
      apply(loaded.options, d, chosen.value, d.flag, problems);
      loaded.sources[d.flag] = chosen;
    }
  }
  validate(loaded.options, dev, problems);
  if (!problems.empty()) {
    return problems.toError();
  }
  return loaded;
}

core::Result<ValkeyAddress> parseValkeyUrl(const std::string& url) {
  ValkeyAddress a;
  std::string rest;
  if (url.rfind("redis://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("rediss://", 0) == 0) {
    rest = url.substr(9);
    a.tls = true;
  } else {
    return core::makeError(core::Errc::Invalid, "must start with redis:// or rediss://");
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest.resize(slash);
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), a.db);
    if (!db.empty() && (ec != std::errc() || end != db.data() + db.size() || a.db < 0 || a.db > 15)) {
      return core::makeError(core::Errc::Invalid, "database must be a number from 0 to 15, got '" + db + "'");
    }
  }
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string creds = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = creds.find(':');
    a.user = colon == std::string::npos ? "" : creds.substr(0, colon);
    a.password = colon == std::string::npos ? creds : creds.substr(colon + 1);
  }
  const size_t colon = rest.rfind(':');
  a.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (colon != std::string::npos) {
    auto port = parsePort(std::string_view(rest).substr(colon + 1));
    if (!port) {
      return core::makeError(core::Errc::Invalid, "port must be a number from 1 to 65535");
    }
    a.port = *port;
  }
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  if (a.host.empty()) {
    return core::makeError(core::Errc::Invalid, "needs a host (redis://host:port)");
  }
  return a;
}

}  // namespace od::adapters::config
