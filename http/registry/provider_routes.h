#pragma once
// The provider registry protocol (providers.v1) and the provider network mirror protocol,
// served from the read model's snapshot (projections/read_model/provider_view.h):
//   GET /opendepot/providers/v1/:namespace/:type/versions
//   GET /opendepot/providers/v1/:namespace/:type/:version/download/:os/:arch
//   GET /opendepot/providers/v1/:namespace/:type/:version/SHA256SUMS/:os/:arch
//   GET /opendepot/providers/v1/:namespace/:type/:version/SHA256SUMS.sig/:os/:arch
//   GET /opendepot/providers/v1/artifacts/:token/:file           the zip itself
//   GET /opendepot/providers/mirror/v1/:hostname/:namespace/:type/index.json
//   GET /opendepot/providers/mirror/v1/:hostname/:namespace/:type/:version.json
// `:namespace` is the Kubernetes namespace and `:type` the provider type
// (providerConfigRef.name), matched case-insensitively, as for modules.
//
// - versions lists each release with `protocols` and the platforms actually synced.
// - The package metadata always describes the artifact of the requested platform (the
//   reference ignored os/arch): 404 when that platform is not synced. `filename` is
//   `terraform-provider-<type>_<version>_<os>_<arch>.zip`, exactly the name SHA256SUMS lists.
//   `download_url` is an absolute link on `public_url` carrying a signed, expiring token for
//   that one platform (download_token.h; package URLs are fetched without credentials), never
//   storage coordinates; the reference's predictable unauthenticated
//   `/download/{namespace}/{type}/{version}` is not served (clients only follow
//   `download_url`). `signing_keys` lists every configured public key, the current one first,
//   so signatures made before a key rotation still verify.
// - SHA256SUMS is per release (every synced platform); the `{os}/{arch}` of the reference's
//   URL shape must name a synced platform. Its `.sig` is the binary detached signature the
//   feed computed off the HTTP loops. Without a signing key, the metadata and `.sig` answer
//   501; while the signature of a release's current SHA256SUMS is being computed they answer
//   503 with `Retry-After: 1` (clients retry once).
// - The mirror serves every provider under any `:hostname` (the host segment is not
//   interpreted: point `network_mirror.url` at `<public_url>/opendepot/providers/mirror/v1/`
//   and name providers `<anything>/<kubernetes-namespace>/<type>`). Archive `url`s are
//   absolute token links as above; `hashes` hold `h1:` (when the worker recorded it) and
//   `zh:` (the zip's SHA-256). Bodies are application/json.
// - Each GET of a provider zip is reported to the DownloadRecorder (kind Provider, os, arch).
// Thread affinity: the handlers run on every HTTP loop at once; they only load() the
// snapshot and read the config.

#include "core/result.h"
#include "http/registry/registry_routes.h"

namespace od::http {

inline constexpr std::string_view kProviderMirrorBase = "/opendepot/providers/mirror/v1/";

// Adds the routes above. REQUIRES: `config` passed validateRegistryConfig. `holder` must
// outlive `router`.
void addProviderRoutes(Router& router, const proj::SnapshotHolder& holder, RegistryConfig config);

}  // namespace od::http
