#include "tests/adapters/registry/provider_registry_double.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/sinks/null_sink.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/base64.h"
#include "core/json_writer.h"

namespace od::testing {

using core::Errc;
using core::makeError;
using http::Request;
using http::Response;
namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

std::string sha256File(const std::string& path) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, digest, &n);
  EVP_MD_CTX_free(ctx);
  return core::hexEncode(std::string_view(reinterpret_cast<char*>(digest), n));
}

// A zip with one executable entry of `size` deterministic bytes, written to `path` in chunks.
// The bytes depend on the zip's file name, so every platform's zip has its own checksum.
core::Status writeZip(const std::string& path, const std::string& entry_name, uint64_t size) {
  uint64_t seed = 0xcbf29ce484222325ull;  // FNV-1a of the file name
  for (char c : fs::path(path).filename().string()) {
    seed = (seed ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  if (size > (1u << 20)) {
    archive_write_set_format_option(a, "zip", "compression", "store");
  }
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, entry_name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0755);
  archive_entry_set_mtime(e, 1700000000, 0);
  archive_entry_set_size(e, static_cast<la_int64_t>(size));
  bool ok = archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK &&
            archive_write_header(a, e) == ARCHIVE_OK;
  std::string chunk(1 << 16, '\0');
  uint64_t state = (seed ^ size) | 1;  // xorshift state must not be 0
  for (uint64_t done = 0; ok && done < size;) {
    for (char& c : chunk) {  // xorshift: incompressible, reproducible
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      c = static_cast<char>(state);
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
    ok = archive_write_data(a, chunk.data(), n) == static_cast<la_ssize_t>(n);
    done += n;
  }
  std::string error = archive_error_string(a) != nullptr ? archive_error_string(a) : "";
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_entry_free(e);
  archive_write_free(a);
  if (!ok) {
    return makeError(Errc::Internal, "zip " + path + ": " + error);
  }
  return core::okStatus();
}

// Response::header() returns a reference and Response is move-only.
Response withHeader(Response r, std::string name, std::string value) {
  r.header(std::move(name), std::move(value));
  return r;
}

}  // namespace

ProviderRegistryDouble::ProviderRegistryDouble(RegistryDoubleOptions options)
    : options_(std::move(options)),
      log_(std::make_shared<spdlog::logger>("registry-double",
                                            std::make_shared<spdlog::sinks::null_sink_mt>())) {
  addRoutes();
}

ProviderRegistryDouble::~ProviderRegistryDouble() { stop(); }

std::string ProviderRegistryDouble::zipName(const std::string& type, const std::string& version,
                                            const std::string& os, const std::string& arch) {
  return "terraform-provider-" + type + "_" + version + "_" + os + "_" + arch + ".zip";
}

std::string ProviderRegistryDouble::filePath(const DoubleProvider& p, const std::string& version,
                                             const std::string& file) const {
  return options_.work_dir + "/files/" + p.name_space + "/" + p.type + "/" + version + "/" + file;
}

std::string ProviderRegistryDouble::zipSha256(const DoubleProvider& p, const std::string& version,
                                              const std::string& os, const std::string& arch) const {
  auto it = sha_.find(filePath(p, version, zipName(p.type, version, os, arch)));
  return it == sha_.end() ? "" : it->second;
}

std::string ProviderRegistryDouble::gpg(const std::string& args) const {
  return "gpg --batch --quiet --no-tty --homedir '" + gnupg_home_ +
         "' --pinentry-mode loopback --passphrase '' " + args;
}

core::Status ProviderRegistryDouble::makeKey() {
  gnupg_home_ = options_.work_dir + "/gnupg";
  fs::create_directories(gnupg_home_);
  fs::permissions(gnupg_home_, fs::perms::owner_all);
  std::string armored = options_.work_dir + "/key.asc";
  std::string ids = options_.work_dir + "/key.ids";
  std::string cmd = gpg("--quick-gen-key 'OpenDepot Registry Double <double@example.invalid>' ed25519 sign never") +
                    " >/dev/null 2>&1 && " + gpg("--armor --export") + " > '" + armored + "' 2>/dev/null && " +
                    gpg("--with-colons --list-keys") + " > '" + ids + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    return makeError(Errc::Internal, "gpg could not make the double's signing key");
  }
  public_key_ = readFile(armored);
  std::string colons = readFile(ids);
  size_t pub = colons.find("pub:");
  for (int field = 0; pub != std::string::npos && field < 4; ++field) {
    pub = colons.find(':', pub + 1);
  }
  if (pub == std::string::npos || public_key_.find("BEGIN PGP PUBLIC KEY BLOCK") == std::string::npos) {
    return makeError(Errc::Internal, "gpg exported no public key");
  }
  key_id_ = colons.substr(pub + 1, colons.find(':', pub + 1) - pub - 1);
  return core::okStatus();
}

core::Status ProviderRegistryDouble::buildVersion(const DoubleProvider& p, const std::string& version) {
  std::string dir = filePath(p, version, "");
  fs::create_directories(dir);
  std::string sums;
  for (const auto& [os, arch] : p.platforms) {
    std::string name = zipName(p.type, version, os, arch);
    std::string path = dir + name;
    auto zip = writeZip(path, "terraform-provider-" + p.type + "_v" + version, p.payload_bytes);
    if (!zip.ok()) {
      return zip;
    }
    sha_[path] = sha256File(path);
    sums += sha_[path] + "  " + name + "\n";
  }
  std::string sums_path = dir + "SHA256SUMS";
  std::string other = dir + "other";
  if (!writeFile(sums_path, sums) || !writeFile(other, sums + "tampered\n")) {
    return makeError(Errc::Internal, "writing " + sums_path);
  }
  std::string cmd = gpg("--detach-sign --output '" + sums_path + ".sig' '" + sums_path + "'") + " >/dev/null 2>&1 && " +
                    gpg("--detach-sign --output '" + dir + "bad.sig' '" + other + "'") + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    return makeError(Errc::Internal, "gpg could not sign " + sums_path);
  }
  return core::okStatus();
}

core::Status ProviderRegistryDouble::start() {
  if (options_.work_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "od-regdbl-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return makeError(Errc::Internal, "mkdtemp failed");
    }
    options_.work_dir = tmpl;
    own_work_dir_ = true;
  }
  auto key = makeKey();
  if (!key.ok()) {
    return key;
  }
  for (const DoubleProvider& p : options_.providers) {
    for (const std::string& v : p.versions) {
      auto built = buildVersion(p, v);
      if (!built.ok()) {
        return built;
      }
    }
  }
  http::ServerOptions server;
  server.host = options_.host;
  server.port = options_.port;
  server.threads = 1;
  server_ = std::make_unique<http::Server>(server, router_, *log_);
  return server_->start();
}

void ProviderRegistryDouble::stop() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
  if (!gnupg_home_.empty()) {
    std::string cmd = "gpgconf --homedir '" + gnupg_home_ + "' --kill all >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    gnupg_home_.clear();
  }
  if (own_work_dir_) {
    std::error_code ec;
    fs::remove_all(options_.work_dir, ec);
    own_work_dir_ = false;
  }
}

uint16_t ProviderRegistryDouble::port() const { return server_ ? server_->port() : 0; }
std::string ProviderRegistryDouble::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port()); }

void ProviderRegistryDouble::setFault(RegistryFault fault, int releases_page, int releases_times) {
  std::lock_guard lock(mu_);
  fault_ = fault;
  fault_page_ = releases_page;
  fault_times_ = releases_times;
}

core::Status ProviderRegistryDouble::addVersion(const std::string& name_space, const std::string& type,
                                                const std::string& version) {
  std::lock_guard lock(mu_);  // handlers read versions and sums under it
  auto* p = const_cast<DoubleProvider*>(find(name_space, type));
  if (p == nullptr) {
    return makeError(Errc::NotFound, "no provider " + name_space + "/" + type);
  }
  if (std::find(p->versions.begin(), p->versions.end(), version) != p->versions.end()) {
    return makeError(Errc::Conflict, name_space + "/" + type + " already has " + version);
  }
  auto built = buildVersion(*p, version);
  if (!built.ok()) {
    return built;
  }
  p->versions.push_back(version);  // the newest
  return core::okStatus();
}

std::optional<RegistryFault> registryFaultFromName(std::string_view name) {
  static const std::map<std::string_view, RegistryFault> kFaults = {
      {"none", RegistryFault::None},
      {"tampered-zip", RegistryFault::TamperedZip},
      {"bad-signature", RegistryFault::BadSignature},
      {"versions-500", RegistryFault::VersionsServerError},
      {"versions-429", RegistryFault::VersionsRateLimited},
      {"versions-html", RegistryFault::VersionsHtml},
      {"download-html", RegistryFault::DownloadHtml},
      {"missing-platform", RegistryFault::MissingPlatform},
      {"versions-truncated", RegistryFault::VersionsTruncated},
      {"versions-wrong-types", RegistryFault::VersionsWrongTypes},
      {"releases-html", RegistryFault::ReleasesHtml},
      {"releases-truncated", RegistryFault::ReleasesTruncated},
      {"releases-503", RegistryFault::ReleasesServerError},
      {"releases-429", RegistryFault::ReleasesRateLimited},
      {"releases-stuck-cursor", RegistryFault::ReleasesStuckCursor},
      {"releases-wrong-product", RegistryFault::ReleasesWrongProduct},
  };
  auto it = kFaults.find(name);
  if (it == kFaults.end()) {
    return std::nullopt;
  }
  return it->second;
}

Response ProviderRegistryDouble::control(const Request& request, bool version) {
  if (version) {
    auto v = request.queryParam("version");
    auto added = addVersion(std::string(request.param("ns")), std::string(request.param("type")),
                            v.value_or(""));
    if (!added.ok()) {
      return Response::error(added.error().code == Errc::Conflict ? 409 : 404, added.error().message);
    }
    return Response::json(201, "{}");
  }
  auto fault = registryFaultFromName(request.queryParam("name").value_or(""));
  std::string page = request.queryParam("page").value_or("0");
  std::string times = request.queryParam("times").value_or("0");
  auto number = [](const std::string& t) {
    return !t.empty() && t.size() <= 4 && t.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!fault || !number(page) || !number(times)) {
    return Response::error(422, "unknown fault or bad page/times");
  }
  setFault(*fault, std::stoi(page), std::stoi(times));
  return Response::json(200, "{}");
}

void ProviderRegistryDouble::setDownloadBody(std::optional<std::string> body) {
  std::lock_guard lock(mu_);
  download_body_ = std::move(body);
}

const DoubleProvider* ProviderRegistryDouble::find(std::string_view ns, std::string_view type) const {
  for (const auto& p : options_.providers) {
    if (p.name_space == ns && p.type == type) {
      return &p;
    }
  }
  return nullptr;
}

void ProviderRegistryDouble::addRoutes() {
  router_.get("/v1/providers/:ns/:type/versions", "versions",
              [this](const Request& r) { return versions(r); });
  router_.get("/v1/providers/:ns/:type/:version/download/:os/:arch", "download",
              [this](const Request& r) { return downloadMetadata(r); });
  router_.get("/files/:ns/:type/:version/:file", "file", [this](const Request& r) { return file(r); });
  router_.get("/v1/releases/:product", "releases", [this](const Request& r) { return releasesList(r); });
  router_.add("POST", "/_double/providers/:ns/:type/versions", "control_version",
              [this](const Request& r) { return control(r, true); });
  router_.add("POST", "/_double/fault", "control_fault", [this](const Request& r) { return control(r, false); });
}

Response ProviderRegistryDouble::versions(const Request& request) {
  std::lock_guard lock(mu_);
  RegistryFault fault = fault_;
  if (fault == RegistryFault::VersionsServerError) {
    return Response::error(500, "internal error");
  }
  if (fault == RegistryFault::VersionsRateLimited) {
    return withHeader(Response::error(429, "slow down"), "Retry-After", "7");
  }
  if (fault == RegistryFault::VersionsHtml) {
    return withHeader(Response::text(200, "<html><body>Maintenance</body></html>"), "Content-Type", "text/html");
  }
  const DoubleProvider* p = find(request.param("ns"), request.param("type"));
  if (p == nullptr) {
    return Response::error(404, "Not Found");
  }
  if (fault == RegistryFault::VersionsWrongTypes) {
    return Response::json(200, R"({"versions":[{"version":1.2,"protocols":["5.0"],"platforms":"linux"}]})");
  }
  core::JsonWriter w;
  w.beginObject().key("versions").beginArray();
  for (const std::string& v : p->versions) {
    w.beginObject().member("version", v).key("protocols").beginArray().value("5.0").endArray();
    w.key("platforms").beginArray();
    for (const auto& [os, arch] : p->platforms) {
      w.beginObject().member("os", os).member("arch", arch).endObject();
    }
    w.endArray().endObject();
  }
  w.endArray().endObject();
  std::string body = w.take();
  if (fault == RegistryFault::VersionsTruncated) {
    body.resize(body.size() / 2);
  }
  return Response::json(200, std::move(body));
}

Response ProviderRegistryDouble::downloadMetadata(const Request& request) {
  std::lock_guard lock(mu_);  // versions and sums may grow (addVersion)
  RegistryFault fault = fault_;
  std::optional<std::string> verbatim = download_body_;
  if (verbatim) {
    return Response::json(200, *verbatim);
  }
  if (fault == RegistryFault::DownloadHtml) {
    return withHeader(Response::text(200, "<!DOCTYPE html><p>oops</p>"), "Content-Type", "text/html");
  }
  const DoubleProvider* p = find(request.param("ns"), request.param("type"));
  std::string version(request.param("version"));
  std::string os(request.param("os"));
  std::string arch(request.param("arch"));
  if (p == nullptr || std::find(p->versions.begin(), p->versions.end(), version) == p->versions.end()) {
    return Response::error(404, "Not Found");
  }
  auto platform = std::find(p->platforms.begin(), p->platforms.end(), std::make_pair(os, arch));
  if (platform == p->platforms.end() ||
      (fault == RegistryFault::MissingPlatform && platform + 1 == p->platforms.end())) {
    return Response::error(404, "Not Found");
  }
  std::string files = baseUrl() + "/files/" + p->name_space + "/" + p->type + "/" + version + "/";
  std::string name = zipName(p->type, version, os, arch);
  core::JsonWriter w;
  w.beginObject().key("protocols").beginArray().value("5.0").endArray();
  w.member("os", os).member("arch", arch).member("filename", name).member("download_url", files + name);
  w.member("shasums_url", files + "SHA256SUMS").member("shasums_signature_url", files + "SHA256SUMS.sig");
  w.member("shasum", zipSha256(*p, version, os, arch));
  w.key("signing_keys").beginObject().key("gpg_public_keys").beginArray();
  w.beginObject().member("key_id", key_id_).member("ascii_armor", public_key_);
  w.member("trust_signature", "").member("source", "OpenDepot test").member("source_url", "");
  w.endObject().endArray().endObject().endObject();
  return Response::json(200, w.take());
}

Response ProviderRegistryDouble::file(const Request& request) {
  RegistryFault fault;
  {
    std::lock_guard lock(mu_);
    fault = fault_;
  }
  const DoubleProvider* p = find(request.param("ns"), request.param("type"));
  std::string name(request.param("file"));
  if (p == nullptr || name.find('/') != std::string::npos || name.empty() || name[0] == '.' ||
      name == "other" || name == "bad.sig") {
    return Response::error(404, "Not Found");
  }
  std::string path = filePath(*p, std::string(request.param("version")), name);
  if (name == "SHA256SUMS.sig" && fault == RegistryFault::BadSignature) {
    path = filePath(*p, std::string(request.param("version")), "bad.sig");
  }
  bool zip = name.size() > 4 && name.substr(name.size() - 4) == ".zip";
  if (zip) {
    downloads_++;
  }
  if (zip && fault == RegistryFault::TamperedZip) {
    std::string bytes = readFile(path);
    if (bytes.empty()) {
      return Response::error(404, "Not Found");
    }
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
    Response r;
    r.body = std::move(bytes);
    return withHeader(std::move(r), "Content-Type", "application/zip");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Response::error(404, "Not Found");
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  Response r;
  r.file.emplace(fd, 0, static_cast<uint64_t>(size));
  return withHeader(std::move(r), "Content-Type", zip ? "application/zip" : "application/octet-stream");
}

}  // namespace od::testing
