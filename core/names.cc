#include "core/names.h"

#include <cstdio>
#include <map>

namespace od::core {
namespace {

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
char toLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// "'+' at position 3" for printable ASCII, "byte 0xc3 at position 3" otherwise.
std::string describeChar(std::string_view s, size_t pos) {
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c >= 0x21 && c < 0x7F) {
    return std::string("'") + static_cast<char>(c) + "' at position " + std::to_string(pos);
  }
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02x", c);
  return std::string("byte ") + hex + " at position " + std::to_string(pos);
}

std::optional<std::string> lengthProblem(std::string_view s, size_t max) {
  if (s.empty()) {
    return "must not be empty";
  }
  if (s.size() > max) {
    return "must be at most " + std::to_string(max) + " characters, has " +
           std::to_string(s.size());
  }
  return std::nullopt;
}

// One run of [allowed] characters that starts and ends alphanumeric.
std::optional<std::string> runProblem(std::string_view s, size_t offset, bool (*allowed)(char),
                                      bool (*edge)(char), std::string_view rule) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!allowed(s[i])) {
      return describeChar(s, i) + " is not allowed (" + std::string(rule) + ")";
    }
  }
  if (s.empty() || !edge(s.front()) || !edge(s.back())) {
    return "each part must start and end with an alphanumeric character (at position " +
           std::to_string(offset) + ")";
  }
  return std::nullopt;
}

bool dnsChar(char c) { return isLowerAlnum(c) || c == '-'; }
bool qualifiedChar(char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; }
bool registryChar(char c) { return isLowerAlnum(c) || c == '-' || c == '_'; }

constexpr std::string_view kDnsRule = "only lowercase a-z, 0-9 and '-'";
constexpr std::string_view kQualifiedRule = "only a-z, A-Z, 0-9, '-', '_' and '.'";

}  // namespace

std::optional<std::string> nonAsciiProblem(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      return "must be ASCII only: " + describeChar(s, i);
    }
  }
  return std::nullopt;
}

std::optional<std::string> dns1123LabelProblem(std::string_view s) {
  if (auto why = nonAsciiProblem(s)) {
    return why;
  }
  if (auto why = lengthProblem(s, kMaxLabelLength)) {
    return why;
  }
  return runProblem(s, 0, dnsChar, isLowerAlnum, kDnsRule);
}

std::optional<std::string> dns1123SubdomainProblem(std::string_view s) {
  if (auto why = nonAsciiProblem(s)) {
    return why;
  }
  if (auto why = lengthProblem(s, kMaxSubdomainLength)) {
    return why;
  }
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const auto part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (auto why = runProblem(part, start, dnsChar, isLowerAlnum, kDnsRule)) {
      return why;
    }
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    start = dot + 1;
  }
}

std::optional<std::string> labelValueProblem(std::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  if (auto why = nonAsciiProblem(value)) {
    return why;
  }
  if (auto why = lengthProblem(value, kMaxLabelLength)) {
    return why;
  }
  return runProblem(value, 0, qualifiedChar, isAlnum, kQualifiedRule);
}

std::optional<std::string> labelKeyProblem(std::string_view key) {
  if (auto why = nonAsciiProblem(key)) {
    return why;
  }
  const size_t slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    if (auto why = dns1123SubdomainProblem(key.substr(0, slash))) {
      return "prefix " + *why;
    }
    name = key.substr(slash + 1);
  }
  if (name.find('/') != std::string_view::npos) {
    return std::string("must contain at most one '/'");
  }
  if (auto why = lengthProblem(name, kMaxLabelLength)) {
    return "name " + *why;
  }
  return runProblem(name, 0, qualifiedChar, isAlnum, kQualifiedRule);
}

std::optional<std::string> registryIdentifierProblem(std::string_view s) {
  if (auto why = nonAsciiProblem(s)) {
    return why;
  }
  if (auto why = lengthProblem(s, 64)) {
    return why;
  }
  std::string lower(s);
  for (char& c : lower) {
    c = toLowerAscii(c);
  }
  return runProblem(lower, 0, registryChar, isLowerAlnum,
                    "only a-z, 0-9, '-' and '_', case-insensitive");
}

std::string sanitizeModuleVersion(std::string_view version) {
  if (!version.empty() && version.front() == 'v') {
    version.remove_prefix(1);
  }
  std::string out;
  out.reserve(version.size());
  for (char c : version) {
    out.push_back(c == '.' || c == '_' ? '-' : toLowerAscii(c));
  }
  return out;
}

std::string sanitizeProviderVersion(std::string_view version) {
  while (!version.empty() && (version.front() == ' ' || version.front() == '\t')) {
    version.remove_prefix(1);
  }
  while (!version.empty() && (version.back() == ' ' || version.back() == '\t')) {
    version.remove_suffix(1);
  }
  if (!version.empty() && version.front() == 'v') {
    version.remove_prefix(1);
  }
  return std::string(version);
}

namespace {

// A Version name must be a DNS-1123 subdomain without '.' (the reference's name guard).
Result<std::string> checkVersionName(std::string name, const std::string& what) {
  std::optional<std::string> why = dns1123SubdomainProblem(name);
  if (!why && name.find('.') != std::string::npos) {
    why = describeChar(name, name.find('.')) + " is not allowed in a Version name";
  }
  if (why) {
    return makeError(Errc::Invalid, "cannot name the Version of " + what + ": \"" + name +
                                        "\" is not a valid Kubernetes name: " + *why);
  }
  return name;
}

}  // namespace

Result<std::string> moduleVersionName(std::string_view module_name, std::string_view version) {
  std::string name(module_name);
  name.push_back('-');
  name.append(sanitizeModuleVersion(version));
  return checkVersionName(std::move(name), "module \"" + std::string(module_name) +
                                               "\" version \"" + std::string(version) + "\"");
}

Result<std::string> providerVersionName(std::string_view provider_name, std::string_view version,
                                        std::string_view os, std::string_view arch) {
  std::string raw = std::string(provider_name) + "-" + sanitizeProviderVersion(version) + "-" +
                    std::string(os) + "-" + std::string(arch);
  for (char& c : raw) {
    c = (c == '.' || c == '_' || c == '/') ? '-' : toLowerAscii(c);
  }
  return checkVersionName(std::move(raw), "provider \"" + std::string(provider_name) +
                                              "\" version \"" + std::string(version) + "\" " +
                                              std::string(os) + "/" + std::string(arch));
}

Result<std::string> readmeConfigMapName(std::string_view version_name) {
  std::string name = std::string(version_name) + std::string(kReadmeSuffix);
  if (auto why = dns1123SubdomainProblem(name)) {
    return makeError(Errc::Invalid, "cannot name the README ConfigMap of Version \"" +
                                        std::string(version_name) + "\": " + *why);
  }
  return name;
}

std::vector<ProviderTarget> providerTargets(const std::vector<std::string>& versions,
                                            const std::vector<std::string>& operating_systems,
                                            const std::vector<std::string>& architectures) {
  std::vector<ProviderTarget> out;
  out.reserve(versions.size() * operating_systems.size() * architectures.size());
  for (const auto& v : versions) {
    for (const auto& os : operating_systems) {
      for (const auto& arch : architectures) {
        out.push_back(ProviderTarget{v, os, arch});
      }
    }
  }
  return out;
}

namespace {

struct NamingEntry {
  std::string label;  // how the entry is named in messages
  Result<std::string> name;
};

VersionNamePlan planNames(std::vector<NamingEntry> entries) {
  VersionNamePlan plan;
  plan.names.resize(entries.size());
  // name -> the first entry of each distinct label that produced it
  std::map<std::string, std::vector<size_t>> owners;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].name.ok()) {
      plan.problems.push_back(entries[i].name.error().message);
      continue;
    }
    const std::string& name = *entries[i].name;
    auto& list = owners[name];
    if (list.empty() || entries[list.front()].label == entries[i].label) {
      plan.names[i] = name;
    }
    bool listed = false;
    for (size_t j : list) {
      listed = listed || entries[j].label == entries[i].label;
    }
    if (listed) {
      continue;  // the same input again; its collisions are already reported
    }
    for (size_t j : list) {
      plan.problems.push_back(entries[j].label + " and " + entries[i].label +
                              " map to the same Version name \"" + name + "\"");
    }
    list.push_back(i);
  }
  return plan;
}

Result<std::vector<std::string>> namesOrError(VersionNamePlan plan) {
  if (!plan.problems.empty()) {
    std::string message;
    for (const auto& p : plan.problems) {
      message.append(message.empty() ? "" : "; ").append(p);
    }
    return makeError(Errc::Invalid, std::move(message));
  }
  std::vector<std::string> names;
  names.reserve(plan.names.size());
  for (auto& n : plan.names) {
    names.push_back(std::move(*n));
  }
  return names;
}

}  // namespace

VersionNamePlan planModuleVersionNames(std::string_view module_name,
                                       const std::vector<std::string>& versions) {
  std::vector<NamingEntry> entries;
  for (const auto& v : versions) {
    entries.push_back(NamingEntry{"version \"" + v + "\"", moduleVersionName(module_name, v)});
  }
  return planNames(std::move(entries));
}

VersionNamePlan planProviderVersionNames(std::string_view provider_name,
                                         const std::vector<ProviderTarget>& targets) {
  std::vector<NamingEntry> entries;
  for (const auto& t : targets) {
    entries.push_back(NamingEntry{"version \"" + t.version + "\" " + t.os + "/" + t.arch,
                                  providerVersionName(provider_name, t.version, t.os, t.arch)});
  }
  return planNames(std::move(entries));
}

Result<std::vector<std::string>> moduleVersionNames(std::string_view module_name,
                                                    const std::vector<std::string>& versions) {
  return namesOrError(planModuleVersionNames(module_name, versions));
}

Result<std::vector<std::string>> providerVersionNames(std::string_view provider_name,
                                                      const std::vector<ProviderTarget>& targets) {
  return namesOrError(planProviderVersionNames(provider_name, targets));
}

}  // namespace od::core
