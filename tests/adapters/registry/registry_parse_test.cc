// registry_parse: every field of the provider registry protocol's answers is validated.
#include "adapters/registry/registry_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace od::adapters::registry {
namespace {

using core::Errc;

const std::string kArmor = "-----BEGIN PGP PUBLIC KEY BLOCK-----\\n\\nmDMEZ\\n-----END PGP PUBLIC KEY BLOCK-----\\n";
const std::string kSha = std::string(64, 'a');

// A valid download answer with one field replaced (name → raw JSON value) or removed (empty).
std::string download(const std::string& field = "", const std::string& value = "\x01") {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"protocols", "[\"5.0\"]"},
      {"os", "\"linux\""},
      {"arch", "\"amd64\""},
      {"filename", "\"terraform-provider-aws_5.1.0_linux_amd64.zip\""},
      {"download_url", "\"https://github.com/x/releases/download/v5.1.0/p.zip\""},
      {"shasums_url", "\"https://github.com/x/SHA256SUMS\""},
      {"shasums_signature_url", "\"https://github.com/x/SHA256SUMS.sig\""},
      {"shasum", "\"" + kSha + "\""},
      {"signing_keys", "{\"gpg_public_keys\":[{\"key_id\":\"ABC\",\"ascii_armor\":\"" + kArmor + "\"}]}"}};
  std::string out = "{";
  for (const auto& [name, v] : fields) {
    std::string use = name == field ? value : v;
    if (name == field && value == "\x01") {
      continue;  // removed
    }
    out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":" + use);
  }
  return out + "}";
}

TEST(RegistryParse, ValidDownloadGivesEveryField) {
  auto pkg = parseDownload(download(), "linux", "amd64", false);
  ASSERT_TRUE(pkg.ok()) << pkg.error().message;
  EXPECT_EQ(pkg->filename, "terraform-provider-aws_5.1.0_linux_amd64.zip");
  EXPECT_EQ(pkg->download_url, "https://github.com/x/releases/download/v5.1.0/p.zip");
  EXPECT_EQ(pkg->shasums_url, "https://github.com/x/SHA256SUMS");
  EXPECT_EQ(pkg->shasums_signature_url, "https://github.com/x/SHA256SUMS.sig");
  EXPECT_EQ(pkg->shasum.hex(), kSha);
  ASSERT_EQ(pkg->signing_keys_armored.size(), 1u);
  EXPECT_NE(pkg->signing_keys_armored[0].find("BEGIN PGP PUBLIC KEY BLOCK"), std::string::npos);
}

struct BadField {
  std::string field;
  std::string value;  // "\x01" = missing
  std::string names;  // what the message must mention
};

TEST(RegistryParse, EveryBadFieldIsRefusedNamingIt) {
  const std::vector<BadField> cases = {
      {"filename", "\x01", "filename"},
      {"filename", "42", "filename"},
      {"filename", "\"../evil.zip\"", "filename"},
      {"filename", "\"dir/p.zip\"", "filename"},
      {"filename", "\"p.tar.gz\"", "filename"},
      {"filename", "\".zip\"", "filename"},
      {"filename", "\"p\\\\x.zip\"", "filename"},
      {"download_url", "\x01", "download_url"},
      {"download_url", "\"/relative/p.zip\"", "download_url"},
      {"download_url", "\"http://plain.example/p.zip\"", "download_url"},
      {"download_url", "\"ftp://x/p.zip\"", "download_url"},
      {"download_url", "\"https://user:pw@x/p.zip\"", "download_url"},
      {"download_url", "\"https://x/a b.zip\"", "download_url"},
      {"shasums_url", "\"file:///etc/passwd\"", "shasums_url"},
      {"shasums_signature_url", "null", "shasums_signature_url"},
      {"shasum", "\x01", "shasum"},
      {"shasum", "\"abc\"", "shasum"},
      {"shasum", "\"" + std::string(64, 'g') + "\"", "shasum"},
      {"shasum", "\"" + std::string(128, 'a') + "\"", "shasum"},
      {"signing_keys", "\x01", "signing_keys"},
      {"signing_keys", "{\"gpg_public_keys\":[]}", "signing_keys"},
      {"signing_keys", "{\"gpg_public_keys\":[{\"key_id\":\"A\"}]}", "ascii_armor"},
      {"signing_keys", "{\"gpg_public_keys\":[{\"ascii_armor\":\"not a key\"}]}", "ascii_armor"},
      {"os", "\"windows\"", "os"},
      {"arch", "\"arm64\"", "arch"},
  };
  for (const auto& c : cases) {
    auto pkg = parseDownload(download(c.field, c.value), "linux", "amd64", false);
    ASSERT_FALSE(pkg.ok()) << c.field << "=" << c.value;
    EXPECT_EQ(pkg.error().code, Errc::Corrupt) << c.field;
    EXPECT_NE(pkg.error().message.find(c.names), std::string::npos) << pkg.error().message;
  }
}

TEST(RegistryParse, PlainHttpUrlsOnlyWhenAllowed) {
  std::string body = download("download_url", "\"http://127.0.0.1:9/p.zip\"");
  EXPECT_FALSE(parseDownload(body, "linux", "amd64", false).ok());
  EXPECT_TRUE(parseDownload(body, "linux", "amd64", true).ok());
}

TEST(RegistryParse, GarbageIsCorrupt) {
  for (std::string body : std::vector<std::string>{"<html>Maintenance</html>", "", "[1,2]", "{\"versions\":5}", "{\"versions\":[{}]}",
                           "{\"versions\":[{\"version\":7}]}", "{\"versions\":[{\"version\":\"../x\"}]}",
                           "{\"versions\":[{\"version\":\"v1\"}]}", "{\"versions\":"}) {
    auto v = parseVersions(body);
    ASSERT_FALSE(v.ok()) << body;
    EXPECT_EQ(v.error().code, Errc::Corrupt) << body;
  }
  auto d = parseDownload("<!DOCTYPE html>", "linux", "amd64", false);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::Corrupt);
  EXPECT_NE(d.error().message.find("not JSON"), std::string::npos);
}

TEST(RegistryParse, VersionsInOrderWithoutDuplicates) {
  auto v = parseVersions(
      R"({"versions":[{"version":"1.0.0","protocols":["5.0"],"platforms":[]},{"version":"2.0.0-beta1"},{"version":"1.0.0"}],"warnings":null})");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, (std::vector<std::string>{"1.0.0", "2.0.0-beta1"}));
  auto empty = parseVersions(R"({"versions":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(RegistryParse, VersionPlatformsAndProtocolsMustHaveTheProtocolsShape) {
  auto good = parseVersions(
      R"({"versions":[{"version":"1.0.0","protocols":["5.0","6.0"],"platforms":[{"os":"linux","arch":"amd64"},{"os":"windows","arch":"386"}]},{"version":"1.1.0","platforms":null}]})");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->size(), 2u);
  for (std::string bad : {R"({"versions":[{"version":"1.0.0","platforms":"linux"}]})",
                          R"({"versions":[{"version":"1.0.0","platforms":[{"os":"linux"}]}]})",
                          R"({"versions":[{"version":"1.0.0","platforms":[{"os":"Linux","arch":"amd64"}]}]})",
                          R"({"versions":[{"version":"1.0.0","platforms":[{"os":"linux","arch":"../x"}]}]})",
                          R"({"versions":[{"version":"1.0.0","platforms":[["linux","amd64"]]}]})",
                          R"({"versions":[{"version":"1.0.0","protocols":"5.0"}]})",
                          R"({"versions":[{"version":"1.0.0","protocols":[5]}]})"}) {
    auto v = parseVersions(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, Errc::Corrupt) << bad;
    EXPECT_NE(v.error().message.find("versions[0]"), std::string::npos) << v.error().message;
  }
}

TEST(RegistryParse, VersionListsHaveABound) {
  std::string many = R"({"versions":[)";
  for (int i = 0; i < 20001; ++i) {
    many += (i ? "," : "") + std::string(R"({"version":"1.0.)") + std::to_string(i) + "\"}";
  }
  many += "]}";
  auto v = parseVersions(many);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Corrupt);
  EXPECT_NE(v.error().message.find("more than 20000"), std::string::npos) << v.error().message;
}

bool invalid(const core::Status& s) { return !s.ok() && s.error().code == Errc::Invalid; }

TEST(RegistryParse, NameChecks) {
  EXPECT_TRUE(checkNamespace("hashicorp").ok());
  EXPECT_TRUE(checkType("aws").ok());
  EXPECT_TRUE(checkVersion("5.1.0-rc1+meta").ok());
  EXPECT_TRUE(checkPlatform("amd64").ok());
  for (std::string bad : std::vector<std::string>{"", "a/b", "..", "a b", "a%2f", std::string(65, 'a')}) {
    EXPECT_TRUE(invalid(checkNamespace(bad))) << bad;
    EXPECT_TRUE(invalid(checkType(bad))) << bad;
  }
  for (std::string bad : {"", "v1.0", "1/0", "../1", "1.0 "}) {
    EXPECT_TRUE(invalid(checkVersion(bad))) << bad;
  }
  for (std::string bad : {"", "Linux", "amd64/..", "x-y"}) {
    EXPECT_TRUE(invalid(checkPlatform(bad))) << bad;
  }
}

TEST(RegistryParse, AcceptableUrls) {
  EXPECT_TRUE(isAcceptableUrl("https://registry.opentofu.org/v1", false));
  EXPECT_FALSE(isAcceptableUrl("http://registry.opentofu.org", false));
  EXPECT_TRUE(isAcceptableUrl("http://127.0.0.1:8080/x", true));
  EXPECT_FALSE(isAcceptableUrl("https://", false));
  EXPECT_FALSE(isAcceptableUrl("https:///path", false));
  EXPECT_FALSE(isAcceptableUrl("https://a/\x01", false));
  EXPECT_FALSE(isAcceptableUrl("registry.opentofu.org", false));
}

}  // namespace
}  // namespace od::adapters::registry
