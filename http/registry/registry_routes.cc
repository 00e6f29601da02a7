#include "http/registry/registry_routes.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "core/base64.h"
#include "core/json_writer.h"
#include "core/version.h"
#include "http/registry/artifact_file.h"
#include "http/registry/download_token.h"
#include "http/registry/provider_routes.h"
#include "http/registry/route_support.h"

namespace od::http {
namespace {

constexpr std::string_view kModulesBase = "/opendepot/modules/v1/";
constexpr std::string_view kProvidersBase = "/opendepot/providers/v1/";
constexpr std::string_view kArtifactsPath = "/opendepot/modules/v1/artifacts/";

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (equalsIgnoreCase(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// What the registry holds for one request: the snapshot and the module version in it.
struct Found {
  proj::SnapshotPtr snapshot;
  const proj::ModuleView* module = nullptr;
  const proj::ServableVersion* version = nullptr;
};

std::string moduleText(std::string_view ns, std::string_view name, std::string_view system) {
  return std::string(ns) + "/" + std::string(name) + "/" + std::string(system);
}

class Registry {
 public:
  Registry(const proj::SnapshotHolder& holder, RegistryConfig config)
      : holder_(holder), config_(std::move(config)) {
    while (!config_.public_url.empty() && config_.public_url.back() == '/') {
      config_.public_url.pop_back();
    }
    if (!config_.now) {
      config_.now = [] { return std::chrono::system_clock::now(); };
    }
  }

  Response versions(const Request& r) const {
    proj::SnapshotPtr snap = holder_.load();
    const proj::ModuleView* m = snap->findModule(r.param("namespace"), r.param("name"), r.param("system"));
    if (m == nullptr) {
      return Response::error(404, "module " + moduleText(r.param("namespace"), r.param("name"),
                                                         r.param("system")) + " not found");
    }
    return Response::json(200, m->versions_body);
  }

  Response download(const Request& r) const {
    const std::string module = moduleText(r.param("namespace"), r.param("name"), r.param("system"));
    auto semver = core::SemVer::parse(r.param("version"));
    if (!semver.ok()) {
      return Response::error(404, "version " + core::quoteVersionText(r.param("version")) +
                                      " of module " + module + " not found: not a version");
    }
    proj::SnapshotPtr snap = holder_.load();
    const proj::ModuleView* m = snap->findModule(r.param("namespace"), r.param("name"), r.param("system"));
    if (m == nullptr) {
      return Response::error(404, "module " + module + " not found");
    }
    const proj::ServableVersion* v = m->find(semver->canonical());
    if (v == nullptr) {
      return Response::error(404, "version " + semver->canonical() + " of module " + module +
                                      " not found");
    }
    const std::string location = locationOf(*m, *v);
    Response res;
    if (const std::string* accept = findHeader(r.headers, "accept");
        accept != nullptr && containsIgnoreCase(*accept, "application/json")) {
      core::JsonWriter w;
      w.beginObject().member("location", location).endObject();
      res = Response::json(200, w.take());
    } else {
      res.status = 204;
    }
    res.header("X-Terraform-Get", location);
    res.header("Cache-Control", "no-store");
    return res;
  }

  Response artifact(const Request& r) const {
    const int64_t now = nowUnixSeconds();
    auto claims = verifyDownloadToken(r.param("token"), config_.token_key, now);
    if (!claims.ok()) {
      return Response::error(403, claims.error().message);
    }
    if (claims->kind != DownloadKind::Module) {
      return Response::error(403, "the download token does not grant a module");
    }
    proj::SnapshotPtr snap = holder_.load();
    const proj::ModuleView* m = snap->findModule(claims->name_space, claims->name, claims->system);
    const proj::ServableVersion* v = m == nullptr ? nullptr : m->find(claims->version);
    if (v == nullptr) {
      return Response::error(404, "version " + claims->version + " of module " +
                                      moduleText(claims->name_space, claims->name, claims->system) +
                                      " is no longer available");
    }
    if (r.param("file") != v->fileName()) {
      return Response::error(403, "the download token does not grant this file");
    }
    Response res = artifactResponse(config_.storage_root, v->key, v->fileName());
    if (res.status == 200 && r.method == "GET" && config_.recorder != nullptr) {
      config_.recorder->record(core::DownloadRecord{"Module", m->name_space, m->name, v->version, "",
                                                    "", clientProduct(r), now * 1000});
    }
    return res;
  }

 private:
  int64_t nowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(config_.now().time_since_epoch()).count();
  }

  std::string locationOf(const proj::ModuleView& m, const proj::ServableVersion& v) const {
    const DownloadClaims claims{m.name_space, m.name, m.system, v.version,
                                nowUnixSeconds() + config_.token_ttl.count()};
    std::string url = config_.public_url;
    url += kArtifactsPath;
    url += signDownloadToken(claims, config_.token_key);
    url += '/';
    url += percentEncode(v.fileName());
    // go-getter verifies and strips ?checksum= before fetching (protocol-conformance §2.4).
    if (auto digest = core::base64Decode(v.checksum); digest.ok() && digest->size() == 32) {
      url += "?checksum=sha256:" + core::hexEncode(*digest);
    }
    return url;
  }

  const proj::SnapshotHolder& holder_;
  RegistryConfig config_;
};

bool isAbsolutePath(std::string_view p) { return !p.empty() && p.front() == '/'; }

}  // namespace

std::string discoveryBody() {
  core::JsonWriter w;
  w.beginObject().member("modules.v1", kModulesBase).member("providers.v1", kProvidersBase).endObject();
  return w.take();
}

core::Status validateRegistryConfig(const RegistryConfig& config) {
  std::string problems;
  auto add = [&problems](std::string_view p) {
    problems += problems.empty() ? "" : "; ";
    problems += p;
  };
  const std::string_view url = config.public_url;
  const size_t scheme_end = url.find("://");
  const std::string_view scheme = url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end);
  if (scheme_end == std::string_view::npos || (scheme != "http" && scheme != "https") ||
      scheme_end + 3 >= url.size() || url[scheme_end + 3] == '/') {
    add("public URL '" + config.public_url + "' must be an absolute http(s) URL with a host");
  } else if (url.find_first_of("?#") != std::string_view::npos ||
             url.find('@') != std::string_view::npos) {
    add("public URL '" + config.public_url + "' must not carry a query, fragment or userinfo");
  }
  if (!isAbsolutePath(config.storage_root)) {
    add("storage root '" + config.storage_root + "' must be an absolute path");
  }
  if (config.token_key.size() < kMinTokenKeyBytes) {
    add("download token key must hold at least " + std::to_string(kMinTokenKeyBytes) + " bytes");
  }
  if (config.token_ttl.count() <= 0) {
    add("download token TTL must be positive");
  }
  if (!problems.empty()) {
    return core::makeError(core::Errc::Invalid, "registry config: " + problems);
  }
  return core::okStatus();
}

core::Status addRegistryRoutes(Router& router, const proj::SnapshotHolder& holder,
                               RegistryConfig config) {
  if (auto st = validateRegistryConfig(config); !st.ok()) {
    return st;
  }
  addProviderRoutes(router, holder, config);
  auto registry = std::make_shared<const Registry>(holder, std::move(config));
  router.get("/.well-known/terraform.json", "discovery",
             [body = discoveryBody()](const Request&) { return Response::json(200, body); });
  router.get("/opendepot/modules/v1/artifacts/:token/:file", "module_artifact",
             [registry](const Request& r) { return registry->artifact(r); });
  router.get("/opendepot/modules/v1/:namespace/:name/:system/versions", "module_versions",
             [registry](const Request& r) { return registry->versions(r); });
  router.get("/opendepot/modules/v1/:namespace/:name/:system/:version/download", "module_download",
             [registry](const Request& r) { return registry->download(r); });
  return core::okStatus();
}

}  // namespace od::http
