// Provider registry and network mirror routes as Request -> Response (no sockets): versions
// with platforms, package metadata of exactly the requested platform, SHA256SUMS and its
// signature, the token-guarded zip download, and the mirror's index and version documents.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include "http/registry/download_token.h"
#include "tests/http/registry/provider_fixture.h"

namespace od::http {
namespace {

using testing::ProviderFixture;

std::string readAll(const FileBody& file) {
  std::string out(file.length(), '\0');
  ssize_t n = ::pread(file.fd(), out.data(), out.size(), static_cast<off_t>(file.offset()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string headerOf(const Response& r, std::string_view name) {
  const std::string* v = findHeader(r.headers, name);
  return v == nullptr ? std::string() : *v;
}

// The string member `name` of a JSON object body ("" when absent).
std::string field(const std::string& body, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view v;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS || doc[name].get(v) != simdjson::SUCCESS) {
    return {};
  }
  return std::string(v);
}

const std::string kBase = "/opendepot/providers/v1/";
const std::string kMirror = "/opendepot/providers/mirror/v1/registry.example.com/";

struct ProviderRoutes : ::testing::Test {
  ProviderFixture f;
  Response get(const std::string& target) { return f.call("GET", target); }
  Response metadata(const std::string& os, const std::string& arch, const std::string& v = "5.80.0") {
    return get(kBase + "team/aws/" + v + "/download/" + os + "/" + arch);
  }
};

TEST_F(ProviderRoutes, VersionsListProtocolsAndOnlySyncedPlatforms) {
  Response r = get(kBase + "team/aws/versions");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(headerOf(r, "content-type"), "application/json");
  EXPECT_EQ(r.body,
            R"({"versions":[{"version":"5.80.0","protocols":["5.0"],"platforms":[{"os":"darwin","arch":"arm64"},)"
            R"({"os":"linux","arch":"amd64"}]},{"version":"1.0.0","protocols":["5.0"],"platforms":[{"os":"linux","arch":"amd64"}]}]})");
  EXPECT_EQ(get(kBase + "TEAM/AWS/versions").status, 200);  // case-insensitive
  EXPECT_EQ(get(kBase + "team/google/versions").status, 404);
  EXPECT_EQ(get(kBase + "other/aws/versions").status, 404);
}

TEST_F(ProviderRoutes, MetadataDescribesExactlyTheRequestedPlatform) {
  for (const auto& [os, arch] : {std::pair{"linux", "amd64"}, std::pair{"darwin", "arm64"}}) {
    Response r = metadata(os, arch);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(field(r.body, "os"), os);
    EXPECT_EQ(field(r.body, "arch"), arch);
    const std::string filename = "terraform-provider-aws_5.80.0_" + std::string(os) + "_" + arch + ".zip";
    EXPECT_EQ(field(r.body, "filename"), filename);
    const std::string digest =
        testing::sha256Bytes(ProviderFixture::bytesOf("5.80.0", os, arch));
    EXPECT_EQ(field(r.body, "shasum"), core::hexEncode(digest));
    EXPECT_EQ(field(r.body, "shasums_url"), "https://registry.example.com/opendepot/providers/v1/team/aws/5.80.0/SHA256SUMS/" +
                                                std::string(os) + "/" + arch);
    EXPECT_EQ(field(r.body, "shasums_signature_url"),
              "https://registry.example.com/opendepot/providers/v1/team/aws/5.80.0/SHA256SUMS.sig/" +
                  std::string(os) + "/" + arch);
    const std::string url = field(r.body, "download_url");
    EXPECT_EQ(url.rfind("https://registry.example.com/opendepot/providers/v1/artifacts/", 0), 0u) << url;
    EXPECT_EQ(url.substr(url.rfind('/') + 1), filename);
    EXPECT_NE(r.body.find(R"("protocols":["5.0"])"), std::string::npos);
    // every configured key, the current one first
    EXPECT_NE(r.body.find(R"("signing_keys":{"gpg_public_keys":[{"key_id":"ABCDEF0123456789","ascii_armor":"-----BEGIN PGP PUBLIC KEY BLOCK-----\ncurrent\n","source_url":"https://keys.example.com/current.asc"},{"key_id":"1111222233334444","ascii_armor":"-----BEGIN PGP PUBLIC KEY BLOCK-----\nold\n"}]})"),
              std::string::npos) << r.body;
    EXPECT_EQ(headerOf(r, "cache-control"), "no-store");
    // the zip behind download_url is the one of this platform
    Response zip = get(ProviderFixture::pathOf(url));
    ASSERT_EQ(zip.status, 200) << zip.body;
    ASSERT_TRUE(zip.file.has_value());
    EXPECT_EQ(readAll(*zip.file), ProviderFixture::bytesOf("5.80.0", os, arch));
    EXPECT_EQ(headerOf(zip, "content-type"), "application/zip");
  }
  EXPECT_EQ(field(metadata("linux", "amd64", "v5.80.0").body, "shasum").size(), 64u);  // 'v' accepted
}

TEST_F(ProviderRoutes, MetadataOfUnknownProviderVersionOrPlatformIs404) {
  EXPECT_EQ(metadata("windows", "amd64").status, 404);  // not synced for that platform
  EXPECT_EQ(metadata("darwin", "arm64", "1.0.0").status, 404);  // only in another release
  EXPECT_EQ(metadata("linux", "amd64", "9.9.9").status, 404);
  Response bad = metadata("linux", "amd64", "not-a-version");
  EXPECT_EQ(bad.status, 404);
  EXPECT_NE(bad.body.find("not a version"), std::string::npos);
  EXPECT_EQ(get(kBase + "team/google/5.80.0/download/linux/amd64").status, 404);
  EXPECT_EQ(metadata("LINUX", "amd64").status, 404);  // clients send lowercase platforms
}

TEST_F(ProviderRoutes, ShasumsListEveryPlatformUnderTheMetadataFileNameAndSignatureIsBinary) {
  Response meta = metadata("linux", "amd64");
  Response sums = get(ProviderFixture::pathOf(field(meta.body, "shasums_url")));
  ASSERT_EQ(sums.status, 200);
  EXPECT_EQ(headerOf(sums, "content-type"), "text/plain; charset=utf-8");
  const std::string line = field(meta.body, "shasum") + "  " + field(meta.body, "filename") + "\n";
  EXPECT_NE(sums.body.find(line), std::string::npos) << sums.body;
  EXPECT_NE(sums.body.find("terraform-provider-aws_5.80.0_darwin_arm64.zip\n"), std::string::npos);
  EXPECT_EQ(get(kBase + "team/aws/5.80.0/SHA256SUMS/darwin/arm64").body, sums.body);  // per release

  Response sig = get(ProviderFixture::pathOf(field(meta.body, "shasums_signature_url")));
  ASSERT_EQ(sig.status, 200);
  EXPECT_EQ(headerOf(sig, "content-type"), "application/octet-stream");
  EXPECT_EQ(sig.body, "\x88\x75 binary signature");

  EXPECT_EQ(get(kBase + "team/aws/5.80.0/SHA256SUMS/windows/amd64").status, 404);
  EXPECT_EQ(get(kBase + "team/aws/5.80.0/SHA256SUMS.sig/windows/amd64").status, 404);
  EXPECT_EQ(get(kBase + "team/aws/1.2.3/SHA256SUMS/linux/amd64").status, 404);
}

TEST_F(ProviderRoutes, UnsignedReleaseAsksToRetry) {
  Response r = metadata("linux", "amd64", "1.0.0");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(headerOf(r, "retry-after"), "1");
  EXPECT_EQ(get(kBase + "team/aws/1.0.0/SHA256SUMS.sig/linux/amd64").status, 503);
  EXPECT_EQ(get(kBase + "team/aws/1.0.0/SHA256SUMS/linux/amd64").status, 200);
}

TEST(ProviderRoutesWithoutKey, MetadataAndSignatureAnswer501) {
  ProviderFixture f(/*with_keys=*/false);
  Response r = f.call("GET", kBase + "team/aws/5.80.0/download/linux/amd64");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("--gpg-key-file"), std::string::npos);
  EXPECT_EQ(f.call("GET", kBase + "team/aws/5.80.0/SHA256SUMS.sig/linux/amd64").status, 501);
  EXPECT_EQ(f.call("GET", kBase + "team/aws/5.80.0/SHA256SUMS/linux/amd64").status, 200);
  EXPECT_EQ(f.call("GET", kMirror + "team/aws/5.80.0.json").status, 200);  // no signatures there
}

TEST_F(ProviderRoutes, DownloadIsRecordedWithPlatformAndHeadIsNot) {
  const std::string path = ProviderFixture::pathOf(field(metadata("darwin", "arm64").body, "download_url"));
  EXPECT_EQ(f.call("HEAD", path).status, 200);
  EXPECT_TRUE(f.recorder.records().empty());
  EXPECT_EQ(get(path).status, 200);
  auto records = f.recorder.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "Provider");
  EXPECT_EQ(records[0].name_space, "team");
  EXPECT_EQ(records[0].name, "aws");
  EXPECT_EQ(records[0].version, "5.80.0");
  EXPECT_EQ(records[0].os, "darwin");
  EXPECT_EQ(records[0].arch, "arm64");
  EXPECT_EQ(records[0].client, "Terraform/1.11.0");
}

TEST_F(ProviderRoutes, TamperedForeignOrExpiredTokensNeverServeAZip) {
  const std::string url = field(metadata("linux", "amd64").body, "download_url");
  const std::string path = ProviderFixture::pathOf(url);
  const size_t file_at = path.rfind('/');
  const std::string token = path.substr(kBase.size() + std::string("artifacts/").size(),
                                        file_at - kBase.size() - std::string("artifacts/").size());
  const std::string file = path.substr(file_at);
  std::string tampered = token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(get(kBase + "artifacts/" + tampered + file).status, 403);
  EXPECT_EQ(get(kBase + "artifacts/garbage" + file).status, 403);
  // a token for linux never opens the darwin zip, even under the darwin file name
  EXPECT_EQ(get(kBase + "artifacts/" + token + "/terraform-provider-aws_5.80.0_darwin_arm64.zip").status, 403);
  // a module token (same key, same names) is not a provider token
  const std::string module_token = signDownloadToken(
      DownloadClaims{"team", "aws", "linux_amd64", "5.80.0", 1704067200 + 60}, testing::kTokenKey);
  EXPECT_EQ(get(kBase + "artifacts/" + module_token + file).status, 403);
  // forged with another key
  const std::string forged = signDownloadToken(
      DownloadClaims{"team", "aws", "linux_amd64", "5.80.0", 1704067200 + 60, DownloadKind::Provider},
      std::string(32, 'x'));
  EXPECT_EQ(get(kBase + "artifacts/" + forged + file).status, 403);
  // a provider token on the module artifact route
  EXPECT_EQ(get("/opendepot/modules/v1/artifacts/" + token + file).status, 403);
  f.now += std::chrono::seconds(601);
  EXPECT_EQ(get(path).status, 403);  // expired
}

TEST_F(ProviderRoutes, ReleaseGoneAfterTheLinkWasMintedIs404) {
  const std::string path = ProviderFixture::pathOf(field(metadata("linux", "amd64").body, "download_url"));
  f.publish(/*with_new=*/false);
  EXPECT_EQ(get(path).status, 404);
}

TEST_F(ProviderRoutes, MirrorIndexAndVersionDocuments) {
  Response index = get(kMirror + "team/aws/index.json");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(headerOf(index, "content-type"), "application/json");
  EXPECT_EQ(index.body, R"({"versions":{"5.80.0":{},"1.0.0":{}}})");
  EXPECT_EQ(get("/opendepot/providers/mirror/v1/registry.terraform.io/team/aws/index.json").status, 200);
  EXPECT_EQ(get(kMirror + "team/google/index.json").status, 404);

  Response v = get(kMirror + "team/aws/5.80.0.json");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(headerOf(v, "content-type"), "application/json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(v.body).get(doc), simdjson::SUCCESS);
  simdjson::dom::object archives;
  ASSERT_EQ(doc["archives"].get(archives), simdjson::SUCCESS);
  EXPECT_EQ(archives.size(), 2u);
  const std::string linux_zh =
      "zh:" + core::hexEncode(testing::sha256Bytes(ProviderFixture::bytesOf("5.80.0", "linux", "amd64")));
  std::string_view url;
  ASSERT_EQ(archives["linux_amd64"]["url"].get(url), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::to_string(archives["linux_amd64"]["hashes"]),
            R"(["h1:bGludXgtaDE=",")" + linux_zh + R"("])");
  const std::string darwin_hashes = simdjson::to_string(archives["darwin_arm64"]["hashes"]);
  EXPECT_EQ(darwin_hashes.find("h1:"), std::string::npos);  // unknown: omitted
  EXPECT_NE(darwin_hashes.find("zh:"), std::string::npos);
  Response zip = get(ProviderFixture::pathOf(std::string(url)));
  ASSERT_EQ(zip.status, 200);
  EXPECT_EQ(readAll(*zip.file), ProviderFixture::bytesOf("5.80.0", "linux", "amd64"));

  EXPECT_EQ(get(kMirror + "team/aws/9.9.9.json").status, 404);
  EXPECT_EQ(get(kMirror + "team/aws/5.80.0.txt").status, 404);
  EXPECT_EQ(get(kMirror + "team/aws/.json").status, 404);
  EXPECT_EQ(get(kMirror + "team/aws/nonsense.json").status, 404);
}

}  // namespace
}  // namespace od::http
