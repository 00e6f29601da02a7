#pragma once
// OpenTofuRegistrySource: core::ProviderSource on a provider registry speaking the provider
// registry protocol v1 (registry.opentofu.org by default; also registry.terraform.io).
//   listVersions(): GET {base}/v1/providers/{ns}/{type}/versions
//   resolve():      GET {base}/v1/providers/{ns}/{type}/{version}/download/{os}/{arch}, every
//                   field validated (registry_parse.h)
//   download():     the zip streamed into dest_path while hashed (SHA-256), at most
//                   max_download_bytes, in bounded memory; the file is removed on any failure
//                   or cancel. Redirects (GitHub release assets) are followed.
//   fetchSmall():   SHA256SUMS and its .sig, at most max_bytes.
// Service discovery (/.well-known/terraform.json) is not done for the upstream: the OpenTofu
// and Terraform registries serve the protocol under /v1/providers/ of their origin, so
// base_url is that origin (or a path prefix for a mirror).
// Outbound requests are https-only unless allow_plain_http. Connections to non-public
// addresses (loopback, private, link-local) are refused unless the URL's host or host:port is
// in upstream_allow (ARCHITECTURE: --upstream-allow); an allowed first host may redirect.
// Errors: Invalid (our own bad names/URLs; a download over the limit), NotFound (404),
//   Permission (401/403, a refused address), Unavailable (429, 5xx, network; Retry-After in the
//   message), Timeout, Corrupt (garbage answers, naming the field).
// Thread affinity: loop thread only; callbacks run on it, never inside the call. Destroying
// the source cancels every call in flight (their callbacks never run).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/kube/curl_multi.h"
#include "adapters/loop/event_loop.h"
#include "adapters/registry/upstream_http.h"
#include "core/ports/sources.h"

namespace od::adapters::registry {

struct RegistryOptions {
  std::string base_url = "https://registry.opentofu.org";  // --provider-registry-url
  std::string user_agent = "opendepot";
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};    // metadata, SHA256SUMS
  std::chrono::milliseconds download_timeout{1800000}; // a whole provider zip
  std::chrono::milliseconds stall_timeout{60000};      // a download with no byte for this long
  uint64_t max_download_bytes = 1ull << 30;            // provider zips run to hundreds of MB
  size_t max_metadata_bytes = 8u << 20;                // a versions list (thousands of entries)
  bool allow_plain_http = false;                       // --allow-plain-http
  std::vector<std::string> upstream_allow;             // --upstream-allow HOST[:PORT]
  std::string ca_file;                                 // private CA bundle (mirrors, tests)
};

// Errc::Invalid unless `options` are usable.
core::Status validateOptions(const RegistryOptions& options);
// The transport part of `options` (everything but base_url and the size limits).
UpstreamTransport transportOf(const RegistryOptions& options);

class OpenTofuRegistrySource final : public core::ProviderSource {
 public:
  // Makes its own CurlMulti on `loop` (curl_global_init must have run).
  static core::Result<std::unique_ptr<OpenTofuRegistrySource>> create(loop::EventLoop& loop,
                                                                      RegistryOptions options);
  ~OpenTofuRegistrySource() override;

  // core::ProviderSource
  core::CancelablePtr listVersions(core::ProviderAddress address,
                                   Callback<std::vector<std::string>> done) override;
  core::CancelablePtr resolve(core::ProviderAddress address, std::string version, std::string os,
                              std::string arch, Callback<core::ProviderPackage> done) override;
  core::CancelablePtr download(std::string url, std::string dest_path,
                               Callback<core::FetchedFile> done) override;
  core::CancelablePtr fetchSmall(std::string url, size_t max_bytes,
                                 Callback<std::string> done) override;

  const RegistryOptions& options() const { return options_; }

  struct Download;  // one download's file and hash (defined in the .cc)

 private:
  OpenTofuRegistrySource(loop::EventLoop& loop, RegistryOptions options);
  // GET `url` and collect the body (at most max_bytes); `done` gets the body of a 200 or the
  // mapped error for anything else.
  core::CancelablePtr getSmall(std::string url, size_t max_bytes, std::string what,
                               std::function<void(core::Result<std::string>)> done);
  // Runs `done(error)` from the loop, unless the source or the handle is gone by then.
  core::CancelablePtr failSoon(core::Error error, std::function<void(core::Error)> done);

  loop::EventLoop& loop_;
  RegistryOptions options_;
  UpstreamTransport transport_;
  std::unique_ptr<kube::CurlMulti> curl_;
  std::shared_ptr<bool> alive_;
};

}  // namespace od::adapters::registry
