#pragma once
// The worker's provider path: one VersionSyncRequested for a Version of type Provider becomes
// a verified, stored provider zip and the facts ArtifactStored + VersionSynced, or a
// VersionSyncFailed fact. VersionSyncHandler routes provider requests here when it was given
// a ProviderSource and a SignatureVerifier (VersionSyncHandler::setProviderSync).
//
// DESIGN
// - Verify before anything else (ARCHITECTURE "Decisions"): resolve(namespace/type, version,
//   os, arch) -> fetchSmall(SHA256SUMS, 1 MiB) -> fetchSmall(SHA256SUMS.sig, 64 KiB) ->
//   verifyDetached(SHA256SUMS, sig, the package's signing keys) -> download the zip into a
//   per-attempt file under work_dir -> its SHA-256 must appear in SHA256SUMS under exactly
//   the package's filename AND equal the registry's shasum -> its "h1:" dirhash
//   (Packager::zipDirhash, on the pool, streamed) -> only then ObjectStore::put under
//   core::artifactKey (create-or-verify; a different stored object is replaced with a
//   warning, as for mutable modules: providerConfigRef has no `immutable`). VersionSynced
//   carries the h1 for the network mirror.
// - Any verification failure is terminal (retryable=false) and nothing is stored; the
//   reasons say which check failed. So is a zip that passes the hash checks but cannot be
//   read as a zip (corrupt, a name with a newline, duplicate names, a bomb). Unavailable/Timeout from the source, the verifier's pool
//   or the store are retried through the due set exactly as module requests are.
// - The temp download is removed when the request ends, whatever the outcome.
// Thread affinity: loop thread only. Ownership: every referent in ProviderSyncDeps must
// outlive the returned handle.

#include <string>
#include <string_view>

#include "core/ports/object_store.h"
#include "core/ports/packager.h"
#include "core/ports/sources.h"
#include "core/ports/verifier.h"
#include "events/consumer.h"
#include "events/runtime.h"
#include "events/worker/version_sync.h"

namespace od::events {

inline constexpr size_t kMaxShasumsBytes = 1024 * 1024;
inline constexpr size_t kMaxSignatureBytes = 64 * 1024;

struct ProviderSyncDeps {
  Runtime rt;
  core::ProviderSource& source;
  core::SignatureVerifier& verifier;
  core::Packager& packager;  // zipDirhash
  core::ObjectStore& store;
  const VersionSyncConfig& config;
  VersionSyncMetrics& metrics;
};

// True when `event` is a decodable VersionSyncRequested whose spec.type is "Provider" (a spec
// that does not parse is left to the module path, which reports it).
bool isProviderRequest(const Envelope& event);

// Starts the provider path for `event`; `done` is called exactly once unless the returned
// handle is destroyed or cancelled first.
core::CancelablePtr startProviderSync(ProviderSyncDeps deps, const Envelope& event, Handler::Done done);

// The hash SHA256SUMS lists for exactly `filename` ("<hex>  <name>" or "<hex> *<name>" lines);
// NotFound when no line names it, Invalid when its hash is malformed.
core::Result<core::Sha256> shasumFor(std::string_view shasums, std::string_view filename);

}  // namespace od::events
