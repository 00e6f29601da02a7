#pragma once
// The module registry protocol (modules.v1) served from the read model's snapshot:
//   GET /.well-known/terraform.json                          service discovery
//   GET /opendepot/modules/v1/:namespace/:name/:system/versions
//   GET /opendepot/modules/v1/:namespace/:name/:system/:version/download
//   GET /opendepot/modules/v1/artifacts/:token/:file          the package itself
// (HEAD answers wherever GET does; see http/router.h.) addRegistryRoutes also adds the
// provider registry and network mirror routes of provider_routes.h.
//
// - Lookups are case-insensitive; `v1.2.0`, `1.2.0` and `1.2` name the same version.
// - `/download` answers 204 with `X-Terraform-Get`, or, when the request's Accept names
//   application/json, 200 with the same header and {"location": ...}: each works with both
//   terraform and tofu (protocol-conformance §2.3). The location is absolute, built on
//   `public_url` (never the Host header), carries a signed expiring token
//   (download_token.h) and the file name (go-getter picks the decompressor by suffix), and
//   `?checksum=sha256:<hex>` so that go-getter verifies the bytes it received.
// - The artifact route verifies the token (403 otherwise), resolves the version in the
//   current snapshot, opens `storage_root/<key>` walking down from the root without
//   following symbolic links, and sends it with sendfile (FileBody). A missing file is 404.
//   A GET (not a HEAD) is reported to the DownloadRecorder, which never blocks.
// - Errors use the registry shape {"errors":["..."]}.
// Thread affinity: the handlers run on every HTTP loop at once; they only load() the
// snapshot and read the config.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/ports/download_recorder.h"
#include "core/ports/signer.h"
#include "core/result.h"
#include "http/router.h"
#include "projections/read_model/snapshot.h"

namespace od::http {

struct RegistryConfig {
  std::string public_url;              // external base URL, e.g. "https://registry.example.com"
  std::string storage_root = "/data";  // --storage-root: artifact keys are relative to it
  std::string token_key;               // HMAC key bytes, >= kMinTokenKeyBytes; shared by replicas
  std::chrono::seconds token_ttl{600}; // lifetime of a download location
  core::DownloadRecorder* recorder = nullptr;  // may be null; must outlive the router
  // Published as the providers' signing_keys, the current key first. Empty: no signing key
  // configured (provider package metadata and SHA256SUMS.sig answer 501).
  std::vector<core::PublicKey> signing_keys;
  // Wall-clock time; system_clock::now when empty (tests pin it).
  std::function<std::chrono::system_clock::time_point()> now;
};

// Every problem of `config` (public_url an absolute http(s) URL without query or fragment,
// storage_root absolute, key long enough, ttl > 0), all at once. Errc::Invalid.
core::Status validateRegistryConfig(const RegistryConfig& config);

// Adds the four routes and the provider routes. Errors: those of validateRegistryConfig (nothing is added then).
// `holder` must outlive `router`.
core::Status addRegistryRoutes(Router& router, const proj::SnapshotHolder& holder,
                               RegistryConfig config);

// The discovery document (relative service URLs, both with the trailing slash).
std::string discoveryBody();

}  // namespace od::http
