#pragma once
// ReleasesApiSource: core::ProviderSource whose version listing of HashiCorp's own providers
// comes from the HashiCorp releases API (api.releases.hashicorp.com by default; --releases-api-url):
//   listVersions({hashicorp, T}): every page of GET {base}/v1/releases/terraform-provider-T
//                 ?limit=page_limit[&after=<the last timestamp_created>] until an empty page,
//                 at most max_pages; each page must move strictly back in time (a cursor that
//                 does not advance is Corrupt, never an endless loop). Versions newest first,
//                 duplicates dropped. A listing is whole or an error.
//   listVersions of any other namespace, resolve(), download(), fetchSmall(): `packages`, the
//                 provider registry protocol source (the releases API lists only HashiCorp's
//                 products and carries neither per-zip checksums nor signing keys, which the
//                 verified sync needs).
// Outbound requests: https only unless allow_plain_http; non-public addresses refused unless
// listed in upstream_allow (UpstreamTransport).
// Errors: Invalid (bad names), NotFound (404: no such product), Permission, Unavailable (429
//   with Retry-After in the message, 5xx, network), Timeout, Corrupt (HTML, truncated or
//   mistyped JSON, another product's entries, a stuck cursor, too many pages).
// Thread affinity: loop thread only; callbacks on it, never inside the call. Destroying the
// source cancels every listing in flight (callbacks never run). *packages must outlive it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "adapters/kube/curl_multi.h"
#include "adapters/loop/event_loop.h"
#include "adapters/registry/upstream_http.h"
#include "core/ports/sources.h"

namespace od::adapters::registry {

struct ReleasesApiOptions {
  std::string base_url = "https://api.releases.hashicorp.com";  // --releases-api-url
  size_t page_limit = 20;            // releases per page; the API accepts 1-20
  size_t max_pages = 250;            // pages followed in one listing (5000 releases)
  size_t max_page_bytes = 4u << 20;  // bytes of one page
  UpstreamTransport transport;
};

// Errc::Invalid unless `options` are usable.
core::Status validateOptions(const ReleasesApiOptions& options);

class ReleasesApiSource final : public core::ProviderSource {
 public:
  // Makes its own CurlMulti on `loop` (curl_global_init must have run).
  static core::Result<std::unique_ptr<ReleasesApiSource>> create(loop::EventLoop& loop,
                                                                 ReleasesApiOptions options,
                                                                 core::ProviderSource& packages);
  ~ReleasesApiSource() override;

  // core::ProviderSource
  core::CancelablePtr listVersions(core::ProviderAddress address,
                                   Callback<std::vector<std::string>> done) override;
  core::CancelablePtr resolve(core::ProviderAddress address, std::string version, std::string os,
                              std::string arch, Callback<core::ProviderPackage> done) override;
  core::CancelablePtr download(std::string url, std::string dest_path,
                               Callback<core::FetchedFile> done) override;
  core::CancelablePtr fetchSmall(std::string url, size_t max_bytes,
                                 Callback<std::string> done) override;

  size_t inFlight() const { return listings_.size(); }

  class Listing;  // one listing in flight (defined in the .cc)

 private:
  ReleasesApiSource(loop::EventLoop& loop, ReleasesApiOptions options, core::ProviderSource& packages);
  void erase(uint64_t id);

  loop::EventLoop& loop_;
  ReleasesApiOptions options_;
  core::ProviderSource& packages_;
  std::unique_ptr<kube::CurlMulti> curl_;  // before the listings, which cancel on it
  std::map<uint64_t, std::unique_ptr<Listing>> listings_;
  uint64_t next_id_ = 1;
  std::shared_ptr<ReleasesApiSource*> self_;
};

}  // namespace od::adapters::registry
