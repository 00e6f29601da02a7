#pragma once
// A registry on a temporary storage root with one module "team/vpc/aws" holding 1.2.0 and
// 2.0.0 (tests only). The snapshot is built directly, as the read model would publish it.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/ports/download_recorder.h"
#include "http/registry/registry_routes.h"
#include "http/request_parser.h"
#include "http/router.h"
#include "projections/read_model/snapshot.h"

namespace od::http::testing {

class RecordingRecorder final : public core::DownloadRecorder {
 public:
  bool record(core::DownloadRecord record) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(std::move(record));
    return true;
  }
  std::vector<core::DownloadRecord> records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<core::DownloadRecord> records_;
};

inline const std::string kTokenKey(32, 'k');
inline const std::string kFile120 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip";
inline const std::string kFile200 = "0190a1b2-ffff-7e5f-8a9b-0c1d2e3f4a5b.tar.gz";
inline const std::string kBytes120 = "PK\x03\x04 module one-two-zero";
inline const std::string kBytes200 = "\x1f\x8b module two";

// The fixtures' RegistryConfig: public URL https://registry.example.com/, storage under `root`,
// kTokenKey with a 600 s lifetime, downloads recorded in `recorder`, the clock reading `now`
// (both must outlive the routes).
inline RegistryConfig fixtureConfig(const std::filesystem::path& root,
                                    RecordingRecorder& recorder,
                                    const std::chrono::system_clock::time_point& now) {
  RegistryConfig c;
  c.public_url = "https://registry.example.com/";
  c.storage_root = root.string();
  c.token_key = kTokenKey;
  c.token_ttl = std::chrono::seconds(600);
  c.recorder = &recorder;
  c.now = [&now] { return now; };
  return c;
}

struct RegistryFixture {
  std::filesystem::path root;
  proj::SnapshotHolder holder;
  RecordingRecorder recorder;
  std::chrono::system_clock::time_point now{std::chrono::seconds(1704067200)};
  Router router;

  RegistryFixture() {
    char tmpl[] = "/tmp/od-registry-XXXXXX";
    root = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root / "modules/vpc");
    std::ofstream(root / "modules/vpc" / kFile120, std::ios::binary) << kBytes120;
    std::ofstream(root / "modules/vpc" / kFile200, std::ios::binary) << kBytes200;
    publish({version("1.2.0", kFile120, 'a'), version("2.0.0", kFile200, 'b')});
    auto st = addRegistryRoutes(router, holder, config());
    if (!st.ok()) {
      std::abort();
    }
  }
  ~RegistryFixture() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

  RegistryConfig config() { return fixtureConfig(root, recorder, now); }

  static proj::ServableVersion version(std::string v, const std::string& file, char fill) {
    return proj::ServableVersion{std::move(v), core::base64Encode(std::string(32, fill)),
                                 "modules/vpc/" + file, 0};
  }

  void publish(std::vector<proj::ServableVersion> versions) {
    auto view = std::make_shared<proj::ModuleView>();
    view->name_space = "team";
    view->name = "vpc";
    view->system = "aws";
    view->versions = std::move(versions);
    std::sort(view->versions.begin(), view->versions.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    view->versions_body = proj::renderVersionsBody(view->versions);
    proj::Snapshot::Index index;
    index.emplace(proj::moduleIndexKey("team", "vpc", "aws"), view);
    holder.store(std::make_shared<const proj::Snapshot>(std::move(index), 1));
  }

  // Parses a request as the connection would, then routes it.
  Response call(const std::string& method, const std::string& target,
                const std::string& extra_headers = "") {
    RequestParser parser{Limits{}};
    parser.feed(method + " " + target + " HTTP/1.1\r\nHost: h\r\n" + extra_headers + "\r\n");
    if (parser.state() != RequestParser::State::Complete) {
      return Response::error(parser.error().status, parser.error().message);
    }
    Request request = parser.takeRequest();
    return router.dispatch(request).response;
  }

  // The path part of an X-Terraform-Get location (public URL and query removed).
  static std::string pathOf(const std::string& location) {
    std::string rest = location.substr(std::string("https://registry.example.com").size());
    return rest.substr(0, rest.find('?'));
  }
};

}  // namespace od::http::testing
