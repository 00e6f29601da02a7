#pragma once
// ProviderRegistryDouble: a local stand-in for an upstream provider registry (the provider
// registry protocol v1 as registry.opentofu.org serves it), on the project's http::Server:
//   GET /v1/providers/{ns}/{type}/versions                     {"versions":[{version,protocols,platforms}]}
//   GET /v1/providers/{ns}/{type}/{v}/download/{os}/{arch}     filename, download_url, shasums_url,
//                                                              shasums_signature_url, shasum, signing_keys
//   GET /files/{ns}/{type}/{v}/{file}                          the zip, SHA256SUMS, SHA256SUMS.sig
//   GET /v1/releases/terraform-provider-{type}?limit&after     the HashiCorp releases API's list for
//                                                              the providers of namespace "hashicorp":
//                                                              newest first, `limit` 1-20 (else 400),
//                                                              those created before `after`
//   POST /_double/providers/{ns}/{type}/versions?version=V     (test control) publishes V → 201
//   POST /_double/fault?name=N[&page=P][&times=T]              (test control) setFault → 200
// At start() every zip is built into a work folder (one entry terraform-provider-<type>_v<v> of
// payload_bytes deterministic bytes; stored uncompressed past 1 MiB so large ones build fast),
// SHA256SUMS lists every zip of a version under its exact file name, and SHA256SUMS.sig is a
// binary detached signature made by `gpg --batch` with a fresh ed25519 key in a temporary
// GNUPGHOME; its armored public key is served in signing_keys. Zips are served from disk.
// Faults (setFault): a zip tampered after signing, a signature over other bytes, a 500 or a
// 429 (Retry-After: 7) or HTML on the versions list, HTML as download metadata, the last
// platform of every provider missing (404), or a verbatim metadata body (setDownloadBody).
// Thread affinity: start()/stop() from the test thread; handlers on the server's loop thread;
// setters and counters any thread.

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/router.h"
#include "http/server.h"

namespace od::testing {

struct DoubleProvider {
  std::string name_space;
  std::string type;
  std::vector<std::string> versions;
  std::vector<std::pair<std::string, std::string>> platforms = {{"linux", "amd64"}, {"darwin", "arm64"}};
  uint64_t payload_bytes = 4096;  // size of the binary inside each zip
};

enum class RegistryFault {
  None,
  TamperedZip,          // zips differ from SHA256SUMS/shasum by one byte
  BadSignature,         // SHA256SUMS.sig signs other bytes
  VersionsServerError,  // 500 on /versions
  VersionsRateLimited,  // 429 + Retry-After: 7 on /versions
  VersionsHtml,         // 200 text/html on /versions
  DownloadHtml,         // 200 text/html on /download
  MissingPlatform,      // the last configured platform answers 404 on /download
  VersionsTruncated,    // /versions JSON cut in half
  VersionsWrongTypes,   // /versions with a number for a version and a string for platforms
  // The releases API list (on the page given to setFault, or every page):
  ReleasesHtml,         // 200 text/html
  ReleasesTruncated,    // the JSON array cut in half
  ReleasesServerError,  // 503
  ReleasesRateLimited,  // 429 + Retry-After: 7
  ReleasesStuckCursor,  // ignores `after`: the first page again and again
  ReleasesWrongProduct, // entries of another product
};

// "tampered-zip", "bad-signature", "versions-500", "versions-429", "versions-html",
// "download-html", "missing-platform", "versions-truncated", "versions-wrong-types",
// "releases-html", "releases-truncated", "releases-503", "releases-429", "releases-stuck-cursor",
// "releases-wrong-product", "none"; nullopt otherwise.
std::optional<RegistryFault> registryFaultFromName(std::string_view name);

struct RegistryDoubleOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::vector<DoubleProvider> providers;
  std::string work_dir;  // "" = a fresh temporary folder, removed by stop()
};

class ProviderRegistryDouble {
 public:
  explicit ProviderRegistryDouble(RegistryDoubleOptions options);
  ~ProviderRegistryDouble();

  // Builds zips, sums and signatures, then serves. Errc::Internal when gpg or libarchive fail.
  core::Status start();
  void stop();
  uint16_t port() const;
  std::string baseUrl() const;  // "http://127.0.0.1:<port>"

  // `releases_page`: the releases API page (1-based) a Releases* fault applies to; 0 = every page.
  // `releases_times`: that many faulty releases API answers, then none; 0 = forever.
  void setFault(RegistryFault fault, int releases_page = 0, int releases_times = 0);
  // Publishes a new version of a configured provider (zips, SHA256SUMS, signature built now).
  // Errc::NotFound for an unknown provider, Conflict for a known version.
  core::Status addVersion(const std::string& name_space, const std::string& type, const std::string& version);
  int64_t releasesRequests() const { return releases_requests_.load(); }
  void setDownloadBody(std::optional<std::string> body);  // verbatim /download answer
  const std::string& publicKeyArmored() const { return public_key_; }
  const std::string& keyId() const { return key_id_; }
  // The zip's conventional file name and its lowercase hex SHA-256 as built.
  static std::string zipName(const std::string& type, const std::string& version, const std::string& os,
                             const std::string& arch);
  std::string zipSha256(const DoubleProvider& p, const std::string& version, const std::string& os,
                        const std::string& arch) const;
  std::string filePath(const DoubleProvider& p, const std::string& version, const std::string& file) const;
  int64_t downloads() const { return downloads_.load(); }

 private:
  core::Status buildVersion(const DoubleProvider& p, const std::string& version);
  core::Status makeKey();
  void addRoutes();
  const DoubleProvider* find(std::string_view ns, std::string_view type) const;
  http::Response versions(const http::Request& request);
  http::Response downloadMetadata(const http::Request& request);
  http::Response file(const http::Request& request);
  http::Response releasesList(const http::Request& request);  // releases_api_routes.cc
  http::Response control(const http::Request& request, bool version);
  std::string gpg(const std::string& args) const;  // "gpg --batch --homedir ... <args>"

  RegistryDoubleOptions options_;
  bool own_work_dir_ = false;
  std::string gnupg_home_;
  std::string public_key_;
  std::string key_id_;
  std::map<std::string, std::string> sha_;  // relative file path → hex sha256
  std::shared_ptr<spdlog::logger> log_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  RegistryFault fault_ = RegistryFault::None;
  int fault_page_ = 0;
  int fault_times_ = 0;
  std::atomic<int64_t> releases_requests_{0};
  std::optional<std::string> download_body_;
  std::atomic<int64_t> downloads_{0};
};

}  // namespace od::testing
