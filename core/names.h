#pragma once
// Names: the Kubernetes names OpenDepot builds for its child resources (COMPAT with the
// reference: the Version names of modules and providers, the README ConfigMap name), the
// label keys and the finalizer, and the Kubernetes name rules (DNS-1123, label syntax)
// used to validate user input. Pure functions; any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::core {

inline constexpr std::string_view kFinalizer = "opendepot.defdev.io/finalizer";
inline constexpr std::string_view kLabelModule = "opendepot.defdev.io/module";
inline constexpr std::string_view kLabelNamespace = "opendepot.defdev.io/namespace";
inline constexpr std::string_view kLabelProvider = "opendepot.defdev.io/provider";
inline constexpr std::string_view kLabelProviderOs = "opendepot.defdev.io/provider-os";
inline constexpr std::string_view kLabelProviderArch = "opendepot.defdev.io/provider-arch";
inline constexpr std::string_view kLabelVersion = "opendepot.defdev.io/version";
inline constexpr std::string_view kLabelPublic = "opendepot.defdev.io/public";
inline constexpr std::string_view kReadmeSuffix = "-readme";

inline constexpr size_t kMaxSubdomainLength = 253;
inline constexpr size_t kMaxLabelLength = 63;

// Each returns why `s` breaks the rule, or nullopt when it is fine. Messages name the first
// offending character and its position.
// DNS-1123 subdomain: <= 253 of [a-z0-9.-], dot-separated labels that start and end
// alphanumeric (metadata.name of most kinds).
std::optional<std::string> dns1123SubdomainProblem(std::string_view s);
// DNS-1123 label: <= 63 of [a-z0-9-], starting and ending alphanumeric (namespaces).
std::optional<std::string> dns1123LabelProblem(std::string_view s);
// Label key: [prefix/]name, prefix a DNS-1123 subdomain, name <= 63 of [A-Za-z0-9._-]
// starting and ending alphanumeric. Annotation keys follow the same rule.
std::optional<std::string> labelKeyProblem(std::string_view key);
// Label value: empty, or <= 63 of [A-Za-z0-9._-] starting and ending alphanumeric.
std::optional<std::string> labelValueProblem(std::string_view value);
// Any byte >= 0x80 (B26: identifiers are ASCII only; homoglyphs and NFC/NFD variants out).
std::optional<std::string> nonAsciiProblem(std::string_view s);
// A registry address segment (namespace, name, system, provider type, os, arch):
// ^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$ after ASCII lowercasing (B21).
std::optional<std::string> registryIdentifierProblem(std::string_view s);

inline bool isDns1123Subdomain(std::string_view s) { return !dns1123SubdomainProblem(s); }
inline bool isDns1123Label(std::string_view s) { return !dns1123LabelProblem(s); }

// COMPAT (module controller): strip one leading 'v', lowercase, '.' and '_' become '-'.
std::string sanitizeModuleVersion(std::string_view version);
// COMPAT (provider controller, SanitizeVersion): trim ASCII spaces, strip one leading 'v'.
std::string sanitizeProviderVersion(std::string_view version);

// `<module_name>-<sanitizeModuleVersion(version)>`, where module_name is
// spec.moduleConfig.name or else metadata.name (the module name is not lowercased, as in
// the reference). Errc::Invalid, naming the inputs and the reason, when the result is not a
// valid Version name (DNS-1123 subdomain without '.'; e.g. '+' build metadata, > 253
// characters, non-ASCII).
Result<std::string> moduleVersionName(std::string_view module_name, std::string_view version);
// lowercase(`<provider_name>-<sanitizeProviderVersion(version)>-<os>-<arch>`) with '.', '_'
// and '/' turned into '-'. Same errors as moduleVersionName.
Result<std::string> providerVersionName(std::string_view provider_name, std::string_view version,
                                        std::string_view os, std::string_view arch);
// `<version_name>-readme`; Errc::Invalid when that exceeds 253 characters.
Result<std::string> readmeConfigMapName(std::string_view version_name);

// One provider Version to be: a version on one platform.
struct ProviderTarget {
  std::string version;
  std::string os;
  std::string arch;
  bool operator==(const ProviderTarget&) const = default;
};
// The version x os x arch product in spec order (versions outer, then os, then arch).
std::vector<ProviderTarget> providerTargets(const std::vector<std::string>& versions,
                                            const std::vector<std::string>& operating_systems,
                                            const std::vector<std::string>& architectures);

// Per-entry naming of one Module's versions or one Provider's targets. names[i] is unset
// when entry i has no valid name, or when it collides with an earlier, different entry (the
// first one keeps the name, B25). `problems` lists every invalid entry and colliding pair.
struct VersionNamePlan {
  std::vector<std::optional<std::string>> names;
  std::vector<std::string> problems;
};
VersionNamePlan planModuleVersionNames(std::string_view module_name,
                                       const std::vector<std::string>& versions);
VersionNamePlan planProviderVersionNames(std::string_view provider_name,
                                         const std::vector<ProviderTarget>& targets);

// Names for every entry of one Module's spec.versions (or one Provider's targets), in input
// order. Identical inputs share a name (the same Version, listed twice). Errc::Invalid when
// any name is invalid or when different inputs map to the same name; the message lists
// every invalid input and every colliding pair (e.g. "1.2.0" and "v1.2.0").
Result<std::vector<std::string>> moduleVersionNames(std::string_view module_name,
                                                    const std::vector<std::string>& versions);
Result<std::vector<std::string>> providerVersionNames(std::string_view provider_name,
                                                      const std::vector<ProviderTarget>& targets);

}  // namespace od::core
