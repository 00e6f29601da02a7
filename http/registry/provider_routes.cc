#include "http/registry/provider_routes.h"

#include <memory>
#include <optional>
#include <utility>

#include "core/json_writer.h"
#include "core/version.h"
#include "http/registry/artifact_file.h"
#include "http/registry/download_token.h"
#include "http/registry/route_support.h"

namespace od::http {
namespace {

constexpr std::string_view kProvidersBase = "/opendepot/providers/v1/";
constexpr std::string_view kArtifactsPath = "/opendepot/providers/v1/artifacts/";
constexpr std::string_view kJsonSuffix = ".json";

std::string providerText(std::string_view ns, std::string_view type) {
  return std::string(ns) + "/" + std::string(type);
}

// {"gpg_public_keys":[{"key_id":"…","ascii_armor":"…","source_url":"…"}]}, rendered once;
// source_url only when set.
std::string renderSigningKeys(const std::vector<core::PublicKey>& keys) {
  core::JsonWriter w;
  w.beginObject().key("gpg_public_keys").beginArray();
  for (const core::PublicKey& k : keys) {
    w.beginObject().member("key_id", k.key_id).member("ascii_armor", k.ascii_armor);
    if (!k.source_url.empty()) {
      w.member("source_url", k.source_url);
    }
    w.endObject();
  }
  w.endArray().endObject();
  return w.take();
}

// What one request names: the snapshot, the provider, the release and (when asked) the
// platform. `error` is set when something is missing.
struct Lookup {
  proj::SnapshotPtr snapshot;
  const proj::ProviderView* provider = nullptr;
  const proj::ProviderRelease* release = nullptr;
  const proj::ProviderPlatform* platform = nullptr;
  std::optional<Response> error;
};

class Providers {
 public:
  Providers(const proj::SnapshotHolder& holder, RegistryConfig config)
      : holder_(holder), config_(std::move(config)),
        signing_keys_(renderSigningKeys(config_.signing_keys)) {
    while (!config_.public_url.empty() && config_.public_url.back() == '/') {
      config_.public_url.pop_back();
    }
    if (!config_.now) {
      config_.now = [] { return std::chrono::system_clock::now(); };
    }
  }

  Response versions(const Request& r) const {
    return providerBody(r, &proj::ProviderView::versions_body);
  }

  Response metadata(const Request& r) const {
    Lookup l = findPlatform(r);
    if (l.error) {
      return std::move(*l.error);
    }
    if (auto refused = unsigned_(*l.provider, *l.release)) {
      return std::move(*refused);
    }
    const proj::ProviderPlatform& p = *l.platform;
    const std::string base = config_.public_url + std::string(kProvidersBase) +
                             percentEncode(l.provider->name_space) + "/" +
                             percentEncode(l.provider->name) + "/" + l.release->version;
    const std::string platform = "/" + p.os + "/" + p.arch;
    core::JsonWriter w;
    w.beginObject();
    w.key("protocols").beginArray().value(proj::kProviderProtocol).endArray();
    w.member("os", p.os).member("arch", p.arch).member("filename", p.filename);
    w.member("download_url", artifactUrl(*l.provider, *l.release, p));
    w.member("shasums_url", base + "/SHA256SUMS" + platform);
    w.member("shasums_signature_url", base + "/SHA256SUMS.sig" + platform);
    w.member("shasum", p.shasum);
    w.key("signing_keys").raw(signing_keys_);
    w.endObject();
    Response res = Response::json(200, w.take());
    res.header("Cache-Control", "no-store");
    return res;
  }

  Response shasums(const Request& r) const {
    Lookup l = findPlatform(r);
    if (l.error) {
      return std::move(*l.error);
    }
    return Response::text(200, l.release->shasums);
  }

  Response signature(const Request& r) const {
    Lookup l = findPlatform(r);
    if (l.error) {
      return std::move(*l.error);
    }
    if (auto refused = unsigned_(*l.provider, *l.release)) {
      return std::move(*refused);
    }
    Response res;
    res.status = 200;
    res.body = l.release->signature;
    res.header("Content-Type", "application/octet-stream");
    return res;
  }

  Response artifact(const Request& r) const {
    const int64_t now = nowUnixSeconds();
    auto claims = verifyDownloadToken(r.param("token"), config_.token_key, now);
    if (!claims.ok()) {
      return Response::error(403, claims.error().message);
    }
    const size_t sep = claims->system.find('_');
    if (claims->kind != DownloadKind::Provider || sep == std::string::npos) {
      return Response::error(403, "the download token does not grant a provider package");
    }
    const std::string os = claims->system.substr(0, sep);
    const std::string arch = claims->system.substr(sep + 1);
    Lookup l = find(claims->name_space, claims->name, claims->version, os, arch);
    if (l.error) {
      return Response::error(404, "provider " + providerText(claims->name_space, claims->name) +
                                      " " + claims->version + " for " + claims->system +
                                      " is no longer available");
    }
    if (r.param("file") != l.platform->filename) {
      return Response::error(403, "the download token does not grant this file");
    }
    Response res = artifactResponse(config_.storage_root, l.platform->key, l.platform->filename);
    if (res.status == 200 && r.method == "GET" && config_.recorder != nullptr) {
      config_.recorder->record(core::DownloadRecord{"Provider", l.provider->name_space,
                                                    l.provider->name, l.release->version, os, arch,
                                                    clientProduct(r), now * 1000});
    }
    return res;
  }

  Response mirrorIndex(const Request& r) const {
    return providerBody(r, &proj::ProviderView::mirror_index_body);
  }

  Response mirrorVersion(const Request& r) const {
    std::string_view file = r.param("file");
    if (file.size() <= kJsonSuffix.size() || file.substr(file.size() - kJsonSuffix.size()) != kJsonSuffix) {
      return Response::error(404, "Not Found");
    }
    file.remove_suffix(kJsonSuffix.size());
    Lookup l = find(r.param("namespace"), r.param("type"), file, {}, {});
    if (l.error) {
      return std::move(*l.error);
    }
    core::JsonWriter w;
    w.beginObject().key("archives").beginObject();
    for (const proj::ProviderPlatform& p : l.release->platforms) {
      w.key(p.os + "_" + p.arch).beginObject();
      w.member("url", artifactUrl(*l.provider, *l.release, p));
      w.key("hashes").beginArray();
      if (!p.h1.empty()) {
        w.value(p.h1);
      }
      w.value("zh:" + p.shasum).endArray().endObject();
    }
    w.endObject().endObject();
    Response res = Response::json(200, w.take());
    res.header("Cache-Control", "no-store");
    return res;
  }

 private:
  static Response notFoundProvider(std::string_view ns, std::string_view type) {
    return Response::error(404, "provider " + providerText(ns, type) + " not found");
  }

  // Empty os/arch: the release only.
  // The provider the request names, answered with one of its pre-rendered bodies.
  Response providerBody(const Request& r, std::string proj::ProviderView::*body) const {
    proj::SnapshotPtr snap = holder_.load();
    const proj::ProviderView* p = snap->findProvider(r.param("namespace"), r.param("type"));
    if (p == nullptr) {
      return notFoundProvider(r.param("namespace"), r.param("type"));
    }
    return Response::json(200, p->*body);
  }

  // The platform the request's namespace, type, version, os and arch name.
  Lookup findPlatform(const Request& r) const {
    return find(r.param("namespace"), r.param("type"), r.param("version"), r.param("os"),
                r.param("arch"));
  }

  Lookup find(std::string_view ns, std::string_view type, std::string_view version,
              std::string_view os, std::string_view arch) const {
    Lookup l;
    auto semver = core::SemVer::parse(version);
    if (!semver.ok()) {
      l.error = Response::error(404, "version " + core::quoteVersionText(version) + " of provider " +
                                         providerText(ns, type) + " not found: not a version");
      return l;
    }
    l.snapshot = holder_.load();
    l.provider = l.snapshot->findProvider(ns, type);
    if (l.provider == nullptr) {
      l.error = notFoundProvider(ns, type);
      return l;
    }
    l.release = l.provider->find(semver->canonical());
    if (l.release == nullptr) {
      l.error = Response::error(404, "version " + semver->canonical() + " of provider " +
                                         providerText(ns, type) + " not found");
      return l;
    }
    if (os.empty() && arch.empty()) {
      return l;
    }
    l.platform = l.release->find(os, arch);
    if (l.platform == nullptr) {
      l.error = Response::error(404, "provider " + providerText(ns, type) + " " +
                                         semver->canonical() + " is not available for " +
                                         std::string(os) + "_" + std::string(arch));
    }
    return l;
  }

  // 501 without a key, 503 while the release's signature is being computed; nullopt when
  // signed.
  std::optional<Response> unsigned_(const proj::ProviderView& p, const proj::ProviderRelease& r) const {
    if (config_.signing_keys.empty()) {
      return Response::error(501, "provider signing is not configured on this registry "
                                  "(start the server with --gpg-key-file)");
    }
    if (r.signature.empty()) {
      Response res = Response::error(503, "the SHA256SUMS signature of provider " +
                                              providerText(p.name_space, p.name) + " " + r.version +
                                              " is being computed; retry shortly");
      res.header("Retry-After", "1");
      return res;
    }
    return std::nullopt;
  }

  int64_t nowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(config_.now().time_since_epoch()).count();
  }

  std::string artifactUrl(const proj::ProviderView& v, const proj::ProviderRelease& r,
                          const proj::ProviderPlatform& p) const {
    DownloadClaims claims{v.name_space, v.name, p.os + "_" + p.arch, r.version,
                          nowUnixSeconds() + config_.token_ttl.count(), DownloadKind::Provider};
    return config_.public_url + std::string(kArtifactsPath) +
           signDownloadToken(claims, config_.token_key) + "/" + percentEncode(p.filename);
  }

  const proj::SnapshotHolder& holder_;
  RegistryConfig config_;
  std::string signing_keys_;
};

}  // namespace

void addProviderRoutes(Router& router, const proj::SnapshotHolder& holder, RegistryConfig config) {
  auto p = std::make_shared<const Providers>(holder, std::move(config));
  const std::string base(kProvidersBase);
  const std::string mirror(kProviderMirrorBase);
  // versions first: a namespace named "artifacts" keeps its versions list (package file
  // names end in .zip, never "versions").
  router.get(base + ":namespace/:type/versions", "provider_versions",
             [p](const Request& r) { return p->versions(r); });
  router.get(base + "artifacts/:token/:file", "provider_artifact",
             [p](const Request& r) { return p->artifact(r); });
  router.get(base + ":namespace/:type/:version/download/:os/:arch", "provider_download",
             [p](const Request& r) { return p->metadata(r); });
  router.get(base + ":namespace/:type/:version/SHA256SUMS/:os/:arch", "provider_shasums",
             [p](const Request& r) { return p->shasums(r); });
  router.get(base + ":namespace/:type/:version/SHA256SUMS.sig/:os/:arch", "provider_signature",
             [p](const Request& r) { return p->signature(r); });
  router.get(mirror + ":hostname/:namespace/:type/index.json", "mirror_index",
             [p](const Request& r) { return p->mirrorIndex(r); });
  router.get(mirror + ":hostname/:namespace/:type/:file", "mirror_version",
             [p](const Request& r) { return p->mirrorVersion(r); });
}

}  // namespace od::http
