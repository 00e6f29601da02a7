#pragma once
// A registry on a temporary storage root with one provider "team/aws" (tests only): release
// 5.80.0 synced for linux_amd64 (with h1) and darwin_arm64 (without) and signed, release
// 1.0.0 synced for linux_amd64 and not signed yet. The snapshot is built directly, as the
// read model would publish it; the zips are plain bytes (the routes never open them).

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <openssl/sha.h>

#include "core/base64.h"
#include "http/registry/registry_routes.h"
#include "http/request_parser.h"
#include "http/router.h"
#include "projections/read_model/snapshot.h"
#include "tests/http/registry/registry_fixture.h"

namespace od::http::testing {

inline std::string sha256Bytes(const std::string& data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

struct ProviderFixture {
  std::filesystem::path root;
  proj::SnapshotHolder holder;
  RecordingRecorder recorder;
  std::chrono::system_clock::time_point now{std::chrono::seconds(1704067200)};
  std::vector<core::PublicKey> keys{{"ABCDEF0123456789", "-----BEGIN PGP PUBLIC KEY BLOCK-----\ncurrent\n",
                                     "https://keys.example.com/current.asc"},
                                    {"1111222233334444", "-----BEGIN PGP PUBLIC KEY BLOCK-----\nold\n", {}}};
  Router router;

  explicit ProviderFixture(bool with_keys = true) {
    char tmpl[] = "/tmp/od-providers-XXXXXX";
    root = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root / "providers/aws");
    publish(true);
    RegistryConfig c = config();
    if (!with_keys) {
      c.signing_keys.clear();
    }
    if (!addRegistryRoutes(router, holder, c).ok()) {
      std::abort();
    }
  }
  ~ProviderFixture() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

  RegistryConfig config() {
    RegistryConfig c = fixtureConfig(root, recorder, now);
    c.signing_keys = keys;
    return c;
  }

  static std::string bytesOf(const std::string& version, const std::string& os,
                             const std::string& arch) {
    return "PK\x03\x04 zip of " + version + " " + os + "_" + arch;
  }

  proj::ProviderPlatform platform(const std::string& version, const std::string& os,
                                  const std::string& arch, std::string h1 = "") {
    const std::string bytes = bytesOf(version, os, arch);
    const std::string stored = "f-" + version + "-" + os + "-" + arch + ".zip";
    std::ofstream(root / "providers/aws" / stored, std::ios::binary) << bytes;
    const std::string digest = sha256Bytes(bytes);
    proj::ProviderPlatform p;
    p.os = os;
    p.arch = arch;
    p.checksum = core::base64Encode(digest);
    p.shasum = core::hexEncode(digest);
    p.key = "providers/aws/" + stored;
    p.size = bytes.size();
    p.h1 = std::move(h1);
    p.filename = proj::providerFileName("aws", version, os, arch);
    return p;
  }

  void publish(bool with_new) {
    auto view = std::make_shared<proj::ProviderView>();
    view->name_space = "team";
    view->name = "aws";
    proj::ProviderRelease old;
    old.version = "1.0.0";
    old.platforms.push_back(platform("1.0.0", "linux", "amd64"));
    old.shasums = proj::renderShasums(old.platforms);
    view->releases.push_back(std::move(old));
    if (with_new) {
      proj::ProviderRelease next;
      next.version = "5.80.0";
      next.platforms.push_back(platform("5.80.0", "darwin", "arm64"));
      next.platforms.push_back(platform("5.80.0", "linux", "amd64", "h1:bGludXgtaDE="));
      next.shasums = proj::renderShasums(next.platforms);
      next.signature = "\x88\x75 binary signature";
      view->releases.push_back(std::move(next));
    }
    proj::renderProviderBodies(*view);
    proj::Snapshot::ProviderIndex providers;
    providers.emplace(proj::providerIndexKey("team", "aws"), view);
    holder.store(std::make_shared<const proj::Snapshot>(proj::Snapshot::Index{}, 1, std::move(providers)));
  }

  Response call(const std::string& method, const std::string& target) {
    RequestParser parser{Limits{}};
    parser.feed(method + " " + target + " HTTP/1.1\r\nHost: h\r\nUser-Agent: Terraform/1.11.0 x\r\n\r\n");
    if (parser.state() != RequestParser::State::Complete) {
      return Response::error(parser.error().status, parser.error().message);
    }
    Request request = parser.takeRequest();
    return router.dispatch(request).response;
  }

  // The path of an absolute URL on the public URL.
  static std::string pathOf(const std::string& url) {
    return url.substr(std::string("https://registry.example.com").size());
  }
};

}  // namespace od::http::testing
