// The "h1:" dirhash of provider zips (protocol-conformance §4.2), read by streaming.
//
// Fixed vectors, and where they come from:
// - h1:47DEQ... is the hash of an empty package (OpenTofu's internal/getproviders/hash.go and
//   Go's dirhash: sha256 of the empty summary).
// - kDemoH1 / kDemoFilesOnlyH1 were computed for the kDemo* names and contents with an
//   independent Python implementation of Go's dirhash.HashZip (zipfile names as stored,
//   sorted, "<sha256 hex>  <name>\n" lines) and then checked against the real Terraform
//   1.11 CLI: a filesystem-mirror `terraform init` with a lock file holding only kDemoH1
//   accepted a zip of those entries, and one holding only kDemoFilesOnlyH1 was refused
//   ("doesn't match any of the checksums"): Terraform checks a zip against the hash that
//   includes its directory entries.
#include "adapters/archive/dirhash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/archive/archive_limits.h"
#include "adapters/archive/temp_dir.h"
#include "adapters/crypto/openssl_hasher.h"
#include "tests/adapters/archive/archive_builder.h"

namespace od::adapters::archive {
namespace {

namespace fs = std::filesystem;
using testing::Container;

constexpr const char* kEmptyH1 = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
constexpr const char* kDemoH1 = "h1:49s5OGX6RUmue6kVO6Ud1cpCAGNSV2r62YwtQFe28GQ=";
constexpr const char* kDemoFilesOnlyH1 = "h1:w+kIeBLa7dQw5Bh28YsoHzSHkisVthDRek9BGUHLlU4=";

std::vector<testing::Item> demoItems(bool with_dir) {
  std::vector<testing::Item> items{
      testing::file("terraform-provider-demo_v1.0.0", "#!/bin/sh\necho demo provider\n", 0755),
      testing::file("LICENSE", "MIT\n")};
  if (with_dir) {
    items.push_back(testing::dir("docs/"));
  }
  items.push_back(testing::file("docs/README.md", "# demo\n"));
  return items;
}

class DirhashTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto dir = TempDir::create(::testing::TempDir(), "od-dirhash-test-");
    ASSERT_TRUE(dir.ok());
    work_.emplace(std::move(*dir));
  }
  std::string path(const std::string& name) const { return work_->path() + "/" + name; }

  // Writes `items` as a zip (with libarchive options) and hashes it.
  core::Result<std::string> hashOf(const std::vector<testing::Item>& items, const std::string& options = "",
                                   const ZipHashLimits& limits = {}) {
    const std::string zip = path("p.zip");
    EXPECT_TRUE(testing::writeArchive(zip, Container::Zip, items, options));
    return zipDirhash(zip, hasher_, limits);
  }
  // The expected h1 spelled out from the definition, for contents the test chose.
  std::string expected(std::vector<std::pair<std::string, std::string>> files) const {
    std::sort(files.begin(), files.end());
    std::string summary;
    for (const auto& [name, content] : files) {
      summary += hasher_.sha256Of(content).hex() + "  " + name + "\n";
    }
    return "h1:" + hasher_.sha256Of(summary).base64();
  }
  std::optional<RejectReason> reasonOf(const core::Result<std::string>& r) {
    EXPECT_FALSE(r.ok()) << (r.ok() ? *r : "");
    return r.ok() ? std::nullopt : rejectReasonOf(r.error());
  }

  std::optional<TempDir> work_;
  crypto::OpenSslHasher hasher_;
};

TEST_F(DirhashTest, EmptyPackageHasTheKnownHash) {
  auto h1 = dirhash1({}, hasher_);
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(*h1, kEmptyH1);
}

TEST_F(DirhashTest, ZipWithADirectoryEntryMatchesTheHashTerraformAccepts) {
  auto h1 = hashOf(demoItems(true));
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  EXPECT_EQ(*h1, kDemoH1);
}

TEST_F(DirhashTest, ZipOfFilesOnlyHashesOnlyTheFiles) {
  auto h1 = hashOf(demoItems(false));
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  EXPECT_EQ(*h1, kDemoFilesOnlyH1);
}

TEST_F(DirhashTest, EntryOrderAndCompressionDoNotMatter) {
  auto items = demoItems(true);
  std::reverse(items.begin(), items.end());
  auto deflated = hashOf(items);
  auto stored = hashOf(items, "zip:compression=store");
  ASSERT_TRUE(deflated.ok() && stored.ok());
  EXPECT_EQ(*deflated, kDemoH1);
  EXPECT_EQ(*stored, kDemoH1);
}

TEST_F(DirhashTest, LargeEntryIsStreamedInSmallChunks) {
  std::string big;
  for (int i = 0; big.size() < 300 * 1024; ++i) {
    big += std::to_string(i * 7919) + ",";
  }
  ZipHashLimits limits;
  limits.chunk_bytes = 4096;
  auto h1 = hashOf({testing::file("bin/provider", big), testing::file("a", "")}, "", limits);
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  EXPECT_EQ(*h1, expected({{"bin/provider", big}, {"a", ""}}));
}

TEST_F(DirhashTest, NamesSortByteWise) {
  // 'B' (0x42) < '_' (0x5f) < 'a' (0x61), and "\xc3\xa9" (é) after all of them.
  auto h1 = hashOf({testing::file("a", "1"), testing::file("\xc3\xa9", "2"), testing::file("B", "3"),
                    testing::file("_", "4")});
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  EXPECT_EQ(*h1, expected({{"a", "1"}, {"\xc3\xa9", "2"}, {"B", "3"}, {"_", "4"}}));
}

TEST_F(DirhashTest, SymlinkContentIsItsTarget) {
  testing::Item link{"current", "", testing::Kind::Symlink, "terraform-provider-demo_v1.0.0", 0777};
  auto h1 = hashOf({testing::file("terraform-provider-demo_v1.0.0", "bin"), link});
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  EXPECT_EQ(*h1, expected({{"terraform-provider-demo_v1.0.0", "bin"}, {"current", "terraform-provider-demo_v1.0.0"}}));
}

TEST_F(DirhashTest, NewlineInANameIsRefused) {
  EXPECT_EQ(reasonOf(hashOf({testing::file("a\nb", "x")})), RejectReason::BadName);
  EXPECT_FALSE(dirhash1({{"x\n", core::Sha256{}}}, hasher_).ok());
}

TEST_F(DirhashTest, DuplicateNameIsRefused) {
  auto r = hashOf({testing::file("bin", "one"), testing::file("bin", "two")});
  EXPECT_EQ(reasonOf(r), RejectReason::Duplicate);
  EXPECT_NE(r.error().message.find("'bin' appears twice"), std::string::npos) << r.error().message;
}

TEST_F(DirhashTest, TarIsNotAZip) {
  const std::string tgz = path("p.tar.gz");
  ASSERT_TRUE(testing::writeArchive(tgz, Container::TarGz, demoItems(false)));
  EXPECT_EQ(reasonOf(zipDirhash(tgz, hasher_, {})), RejectReason::Unsupported);
  testing::writeFile(path("text"), "PK is not enough\n");
  EXPECT_EQ(reasonOf(zipDirhash(path("text"), hasher_, {})), RejectReason::Unsupported);
  testing::writeFile(path("empty"), "");
  EXPECT_FALSE(zipDirhash(path("empty"), hasher_, {}).ok());
}

TEST_F(DirhashTest, MissingFileIsUnavailable) {
  auto r = zipDirhash(path("nope.zip"), hasher_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Unavailable);
}

TEST_F(DirhashTest, ChangedContentFailsItsCrc) {
  const std::string content(10'000, 'q');
  auto ok = hashOf({testing::file("bin", content)}, "zip:compression=store");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  std::string bytes = testing::readFile(path("p.zip"));
  const size_t at = bytes.find(content);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5000] = 'Q';
  testing::writeFile(path("p.zip"), bytes);
  auto r = zipDirhash(path("p.zip"), hasher_, {});
  EXPECT_EQ(reasonOf(r), RejectReason::Corrupt);
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
}

TEST_F(DirhashTest, TruncatedZipIsCorrupt) {
  ASSERT_TRUE(hashOf({testing::file("bin", std::string(50'000, 'z'))}, "zip:compression=store").ok());
  std::string bytes = testing::readFile(path("p.zip"));
  testing::writeFile(path("p.zip"), bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(zipDirhash(path("p.zip"), hasher_, {}).ok());
}

TEST_F(DirhashTest, LimitsStopTheRead) {
  ZipHashLimits few;
  few.max_entries = 2;
  EXPECT_EQ(reasonOf(hashOf(demoItems(true), "", few)), RejectReason::TooManyEntries);

  ZipHashLimits small;
  small.max_expanded_bytes = 1000;
  EXPECT_EQ(reasonOf(hashOf({testing::file("bin", std::string(1001, 'x'))}, "zip:compression=store", small)),
            RejectReason::TooLarge);

  // 4 MiB of zeros deflate to a few KiB: over the ratio once past the allowance.
  EXPECT_EQ(reasonOf(hashOf({testing::file("bomb", std::string(4u << 20, '\0'))})), RejectReason::CompressionRatio);
}

}  // namespace
}  // namespace od::adapters::archive
