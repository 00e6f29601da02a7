#pragma once
// Provider views of the registry read model (DESIGN in snapshot.h).
//   - A ProviderView is one registry provider: a Kubernetes namespace and a provider type
//     (providerConfigRef.name), the reference's `{namespace}/{type}` of the providers.v1 URLs.
//     It holds its servable releases, each with the platforms actually synced.
//   - A release's SHA256SUMS lists every synced platform of that version under the
//     conventional file name `terraform-provider-<type>_<version>_<os>_<arch>.zip` (the
//     package metadata's `filename` is the same string; ARCHITECTURE "Decisions"). Its
//     detached binary signature is computed off the HTTP loops (ReadModelFeed with a
//     core::Signer) and kept with the release; empty until then.
//   - Bodies that do not depend on the request are pre-rendered: the versions list (with
//     `protocols` and `platforms`) and the network mirror's index.json.
// Thread affinity: immutable once published; any thread may read.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace od::proj {

// The plugin protocol versions announced for every provider release. The upstream's own
// list is not recorded by the worker yet; "5.0" is what the reference announces and what
// every current terraform/tofu accepts (protocol-conformance §3.3).
inline constexpr std::string_view kProviderProtocol = "5.0";

struct ProviderPlatform {
  std::string os;        // lowercase, e.g. "linux"
  std::string arch;      // lowercase, e.g. "amd64"
  std::string checksum;  // base64 SHA-256 of the stored zip
  std::string shasum;    // the same digest as 64 lowercase hex digits
  std::string key;       // storage key relative to --storage-root
  uint64_t size = 0;     // bytes; 0 when unknown
  std::string h1;        // "h1:<base64>" dirhash of the zip's contents; empty when unknown
  std::string filename;  // terraform-provider-<type>_<version>_<os>_<arch>.zip
};

struct ProviderRelease {
  std::string version;  // canonical, no 'v'
  // Sorted by (os, arch); one entry per platform.
  std::vector<ProviderPlatform> platforms;
  std::string shasums;    // SHA256SUMS: "<hex>  <filename>\n" per platform, by filename
  std::string signature;  // binary detached OpenPGP signature of `shasums`; empty: not yet

  // The platform (os, arch), matched exactly (clients send lowercase); nullptr when the
  // release has no synced artifact for it.
  const ProviderPlatform* find(std::string_view os, std::string_view arch) const;
};

struct ProviderView {
  std::string name_space;  // Kubernetes namespace
  std::string name;        // provider type, as written
  // Sorted by `version` text (bytewise) for lookup; at most one entry per canonical version.
  std::vector<ProviderRelease> releases;
  // {"versions":[{"version":"2.0.0","protocols":["5.0"],"platforms":[{"os":..,"arch":..}]}]},
  // newest first.
  std::string versions_body;
  // The network mirror's index.json: {"versions":{"2.0.0":{},"1.0.0":{}}}.
  std::string mirror_index_body;

  const ProviderRelease* find(std::string_view canonical) const;
};

using ProviderViewPtr = std::shared_ptr<const ProviderView>;

// "ns\0type", ASCII-lowercased: the index key of a provider.
std::string providerIndexKey(std::string_view name_space, std::string_view type);

// terraform-provider-<type>_<version>_<os>_<arch>.zip, the type lowercased.
std::string providerFileName(std::string_view type, std::string_view version, std::string_view os,
                             std::string_view arch);

// SHA256SUMS of `platforms` (lines sorted by file name).
std::string renderShasums(const std::vector<ProviderPlatform>& platforms);

// Fills versions_body and mirror_index_body from view.releases.
void renderProviderBodies(ProviderView& view);

}  // namespace od::proj
