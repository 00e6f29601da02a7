// Provider serving end to end below the socket: real zips on a temporary storage root, their
// Version observations and VersionSynced facts (h1 from the worker's own zipDirhash) folded by
// a ReadModelFeed whose signer is the real GpgmeSigner, and the registry routes on the
// published snapshot. Then, as a client would, for two platforms: the served signature
// verifies with the real gpgv against the served public key, the downloaded zip's SHA-256
// is listed in SHA256SUMS under exactly the metadata's filename and equals `shasum`, and the
// mirror's zh:/h1: equal a recomputation made here (Go dirhash Hash1, written out again).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/archive/dirhash.h"
#include "adapters/crypto/openssl_hasher.h"
#include "adapters/sign/gpgme_signer.h"
#include "core/base64.h"
#include "projections/read_model/feed.h"
#include "tests/adapters/sign/gpg_cli.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"
#include "tests/http/registry/provider_fixture.h"
#include "tests/projections/read_model/read_model_events.h"

namespace od::http {
namespace {

using namespace std::chrono_literals;
using adapters::sign::testing::GpgCli;

class ZeroRandom final : public core::Random {
 public:
  uint64_t next() override { return 0; }
};

// A provider zip as goreleaser makes them (files only, no directory entries).
std::string makeZip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) {
    archive_write_free(a);
    return "cannot open " + path;
  }
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return "";
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Go's dirhash.Hash1 over HashZip, written out here: every entry name and content, sorted by
// name, "<hex sha256>  <name>\n" each, then "h1:" + base64(sha256(lines)).
std::string independentH1(const std::string& zip) {
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  std::vector<std::pair<std::string, std::string>> entries;
  if (archive_read_open_memory(a, zip.data(), zip.size()) == ARCHIVE_OK) {
    archive_entry* e = nullptr;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string content;
      char buf[4096];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
        content.append(buf, static_cast<size_t>(n));
      }
      entries.emplace_back(archive_entry_pathname(e), testing::sha256Bytes(content));
    }
  }
  archive_read_free(a);
  std::sort(entries.begin(), entries.end());
  std::string lines;
  for (const auto& [name, digest] : entries) {
    lines += core::hexEncode(digest) + "  " + name + "\n";
  }
  return "h1:" + core::base64Encode(testing::sha256Bytes(lines));
}

// `gpgv` with `armor` as its only keyring: what a client does, without an agent or a trust
// database (a fresh gpg home may fail to start an agent just to import a public key).
bool gpgvVerifies(const std::filesystem::path& dir, const std::string& armor,
                  const std::string& document, const std::string& signature) {
  std::filesystem::create_directories(dir / "home");
  std::filesystem::permissions(dir / "home", std::filesystem::perms::owner_all);
  std::ofstream(dir / "key.asc", std::ios::binary) << armor;
  std::ofstream(dir / "doc.txt", std::ios::binary) << document;
  std::ofstream(dir / "doc.sig", std::ios::binary) << signature;
  const std::string d = dir.string();
  const std::string cmd = "gpg --homedir '" + d + "/home' --batch --dearmor <'" + d + "/key.asc' >'" + d +
                          "/key.gpg' 2>/dev/null && gpgv --keyring '" + d + "/key.gpg' '" + d +
                          "/doc.sig' '" + d + "/doc.txt' >/dev/null 2>&1";
  const bool ok = std::system(cmd.c_str()) == 0;
  std::filesystem::remove_all(dir);
  return ok;
}

std::string field(simdjson::dom::element e, std::string_view name) {
  std::string_view v;
  return e[name].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

struct ProviderSigning : ::testing::Test {
  adapters::loop::EventLoop loop;
  adapters::exec::WorkerPool pool{loop, {2, 8}};
  adapters::crypto::OpenSslHasher hasher;
  GpgCli gpg;
  fakes::FakeClock clock;
  fakes::FakeEventLog log{clock};
  ZeroRandom random;
  spdlog::logger logger{"test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  std::filesystem::path root;
  proj::SnapshotHolder holder;
  testing::RecordingRecorder recorder;
  Router router;

  ProviderSigning() {
    char tmpl[] = "/tmp/od-provider-signing-XXXXXX";
    root = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root / "providers/aws");
  }
  ~ProviderSigning() override {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

  // Stores one platform's zip and appends its Version and VersionSynced.
  void syncPlatform(const std::string& os, const std::string& arch) {
    proj::testing::ProviderVersionFixture v;
    v.version = "5.80.0";
    v.os = os;
    v.arch = arch;
    v.directory = (root / "providers").string();
    const std::filesystem::path zip = root / "providers/aws" / v.fileName();
    ASSERT_EQ(makeZip(zip.string(), {{"terraform-provider-aws_v5.80.0_x5", "ELF for " + os + "/" + arch},
                                     {"LICENSE", "MPL-2.0\n"}}),
              "");
    const std::string bytes = readFile(zip);
    auto h1 = adapters::archive::zipDirhash(zip.string(), hasher, {});
    ASSERT_TRUE(h1.ok()) << h1.error().describe();
    log.addNow(events::toAppendRecord("od:{ctl}:resources", v.observed()));
    log.addNow(events::toAppendRecord(
        "od:{ctl}:facts", v.synced(core::base64Encode(testing::sha256Bytes(bytes)), *h1, bytes.size())));
  }

  Response get(const std::string& url) {
    RequestParser parser{Limits{}};
    const std::string target = url.rfind("https://", 0) == 0 ? testing::ProviderFixture::pathOf(url) : url;
    parser.feed("GET " + target + " HTTP/1.1\r\nHost: registry.example.com\r\n\r\n");
    if (parser.state() != RequestParser::State::Complete) {
      return Response::error(400, "unparseable");
    }
    Request request = parser.takeRequest();
    return router.dispatch(request).response;
  }
  std::string body(const Response& r) {
    if (!r.file) {
      return r.body;
    }
    std::string out(r.file->length(), '\0');
    ssize_t n = ::pread(r.file->fd(), out.data(), out.size(), static_cast<off_t>(r.file->offset()));
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
  }
};

TEST_F(ProviderSigning, ClientChecksPassForTwoPlatformsFromRegistryAndMirror) {
  // the previous key, still published after the rotation, and the current one
  const std::string old_fpr = gpg.generateKey(adapters::sign::testing::KeyOptions::named("Old <old@opendepot.invalid>"));
  const std::string fpr = gpg.generateKey();
  auto signer = adapters::sign::GpgmeSigner::fromKeys(loop, pool, gpg.exportSecret(fpr),
                                                       {gpg.exportPublic(old_fpr)});
  ASSERT_TRUE(signer.ok()) << signer.error().describe();

  syncPlatform("linux", "amd64");
  syncPlatform("darwin", "arm64");
  proj::ReadModelFeedOptions fo;
  fo.model.storage_root = root.string();
  fo.publish_interval = 100ms;
  fo.signer = signer->get();
  proj::ReadModelFeed feed(events::Runtime{log, clock, random, logger}, holder, fo);
  RegistryConfig rc;
  rc.public_url = "https://registry.example.com";
  rc.storage_root = root.string();
  rc.token_key = testing::kTokenKey;
  rc.recorder = &recorder;
  rc.signing_keys = (*signer)->publicKeys();
  ASSERT_TRUE(addRegistryRoutes(router, holder, rc).ok());

  feed.start();
  clock.runReady();
  clock.advance(100ms);
  ASSERT_TRUE(loop.runUntil([&] { return feed.signaturesMade() >= 1; }, 30s));
  clock.advance(100ms);
  ASSERT_EQ(feed.signatureFailures(), 0u);

  std::string first_sums;
  for (const auto& [os, arch] : {std::pair{"linux", "amd64"}, std::pair{"darwin", "arm64"}}) {
    SCOPED_TRACE(std::string(os) + "_" + arch);
    Response meta = get("/opendepot/providers/v1/team/aws/5.80.0/download/" + std::string(os) + "/" + arch);
    ASSERT_EQ(meta.status, 200) << meta.body;
    simdjson::dom::parser parser;
    simdjson::dom::element m = parser.parse(meta.body);
    const std::string filename = field(m, "filename");
    const std::string shasum = field(m, "shasum");
    EXPECT_EQ(filename, "terraform-provider-aws_5.80.0_" + std::string(os) + "_" + arch + ".zip");

    const std::string sums = body(get(field(m, "shasums_url")));
    const std::string sig = body(get(field(m, "shasums_signature_url")));
    simdjson::dom::array keys = m["signing_keys"]["gpg_public_keys"];
    ASSERT_EQ(keys.size(), 2u);
    const std::string current_key = field(keys.at(0), "ascii_armor");
    const std::string old_key = field(keys.at(1), "ascii_armor");
    EXPECT_TRUE(gpgvVerifies(root / "v", current_key, sums, sig)) << "the served signature verifies";
    EXPECT_FALSE(gpgvVerifies(root / "v", current_key, sums + "x", sig));
    EXPECT_FALSE(gpgvVerifies(root / "v", old_key, sums, sig));  // made by the current key
    // a signature the old key made before the rotation still verifies with what is served
    EXPECT_TRUE(gpgvVerifies(root / "v", old_key, sums, gpg.sign(old_fpr, sums)));

    const std::string zip = body(get(field(m, "download_url")));
    const std::string hex = core::hexEncode(testing::sha256Bytes(zip));
    EXPECT_EQ(hex, shasum);
    EXPECT_NE(sums.find(hex + "  " + filename + "\n"), std::string::npos) << sums;
    if (first_sums.empty()) {
      first_sums = sums;
    }
    EXPECT_EQ(sums, first_sums);  // one document per release

    Response mirror = get("/opendepot/providers/mirror/v1/registry.example.com/team/aws/5.80.0.json");
    ASSERT_EQ(mirror.status, 200);
    simdjson::dom::parser mparser;
    simdjson::dom::element archive = mparser.parse(mirror.body)["archives"][std::string(os) + "_" + arch];
    std::vector<std::string> hashes;
    for (simdjson::dom::element h : archive["hashes"].get_array()) {
      hashes.emplace_back(std::string_view(h));
    }
    EXPECT_EQ(hashes, (std::vector<std::string>{independentH1(zip), "zh:" + hex}));
    EXPECT_EQ(body(get(field(archive, "url"))), zip);
  }
  EXPECT_EQ(recorder.records().size(), 4u);
  feed.stop([] {});
  clock.runReady();
}

}  // namespace
}  // namespace od::http
