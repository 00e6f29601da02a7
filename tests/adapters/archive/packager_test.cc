// ArchivePackager: the Packager port on the pool, hashing the result in bounded memory.
#include "adapters/archive/packager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "adapters/archive/repack.h"
#include "adapters/archive/temp_dir.h"
#include "adapters/crypto/openssl_hasher.h"
#include "tests/adapters/archive/archive_builder.h"

namespace od::adapters::archive {
namespace {

namespace fs = std::filesystem;
using testing::Container;

std::vector<testing::Item> githubItems(const std::string& wrapper) {
  return {testing::dir(wrapper), testing::file(wrapper + "main.tf", "resource \"x\" \"y\" {}\n"),
          testing::file(wrapper + "outputs.tf", "output \"o\" { value = 1 }\n"),
          testing::file(wrapper + "modules/sub/main.tf", "# sub\n")};
}

class PackagerTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto dir = TempDir::create(::testing::TempDir(), "od-packager-test-");
    ASSERT_TRUE(dir.ok());
    work_.emplace(std::move(*dir));
    fs::create_directories(path("tmp"));
    packager_.emplace(loop_, pool_, PackagerOptions{path("tmp"), {}, 7, {}}, hasher_);
  }
  void TearDown() override {
    packager_.reset();
    pool_.shutdown();
  }
  std::string path(const std::string& name) const { return work_->path() + "/" + name; }

  core::Result<core::PackagedArtifact> wait(std::optional<core::Result<core::PackagedArtifact>>& slot) {
    EXPECT_TRUE(loop_.runUntil([&] { return slot.has_value(); }, std::chrono::seconds(20)));
    return std::move(*slot);
  }
  core::Result<core::PackagedArtifact> repack(const std::string& src, const std::string& out,
                                              core::ArtifactFormat format) {
    std::optional<core::Result<core::PackagedArtifact>> got;
    auto h = packager_->repack(core::RepackJob{src, out, format, true},
                               [&](core::Result<core::PackagedArtifact> r) { got.emplace(std::move(r)); });
    return wait(got);
  }
  core::Result<core::PackagedArtifact> local(const std::string& url, const std::string& out) {
    std::optional<core::Result<core::PackagedArtifact>> got;
    auto h = packager_->packageLocal(core::LocalPackageJob{url, "1.2.3", out, core::ArtifactFormat::Zip},
                                     [&](core::Result<core::PackagedArtifact> r) { got.emplace(std::move(r)); });
    return wait(got);
  }
  std::vector<std::string> names(const std::string& archive) {
    std::vector<std::string> out;
    for (const auto& e : testing::readArchive(archive)) {
      out.push_back(e.name);
    }
    return out;
  }
  size_t extractionDirs() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(path("tmp"))) {
      n += e.path().filename().string().starts_with(kExtractDirPrefix) ? 1 : 0;
    }
    return n;
  }

  std::optional<TempDir> work_;
  loop::EventLoop loop_;
  exec::WorkerPool pool_{loop_, exec::WorkerPoolOptions{2, 16}};
  crypto::OpenSslHasher hasher_;
  std::optional<ArchivePackager> packager_;
};

TEST_F(PackagerTest, GitHubZipballComesOutWithTheModuleAtTheRoot) {
  ASSERT_TRUE(testing::writeArchive(path("src.zip"), Container::Zip, githubItems("acme-vpc-0123abc/")));
  auto r = repack(path("src.zip"), path("out.zip"), core::ArtifactFormat::Zip);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->path, path("out.zip"));
  EXPECT_EQ(r->stripped, std::optional<std::string>("acme-vpc-0123abc"));
  const auto bytes = testing::readFile(path("out.zip"));
  EXPECT_EQ(r->size, bytes.size());
  EXPECT_EQ(r->sha256, hasher_.sha256Of(bytes));
  EXPECT_EQ(names(path("out.zip")),
            (std::vector<std::string>{"main.tf", "modules/", "modules/sub/", "modules/sub/main.tf", "outputs.tf"}));
  EXPECT_EQ(r->entries, 5u);
  EXPECT_EQ(extractionDirs(), 0u);
}

TEST_F(PackagerTest, GitHubTarballBecomesADeterministicTarGz) {
  ASSERT_TRUE(testing::writeArchive(path("src.tgz"), Container::TarGz, githubItems("acme-vpc-0123abc/")));
  auto first = repack(path("src.tgz"), path("a.tar.gz"), core::ArtifactFormat::TarGz);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = repack(path("src.tgz"), path("b.tar.gz"), core::ArtifactFormat::TarGz);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->sha256, again->sha256);
  EXPECT_EQ(first->sha256, hasher_.sha256Of(testing::readFile(path("a.tar.gz"))));
  const auto entries = names(path("a.tar.gz"));
  EXPECT_NE(std::find(entries.begin(), entries.end(), "main.tf"), entries.end());
}

TEST_F(PackagerTest, TraversalArchiveIsRefusedWithItsReasonAndNoOutputIsLeft) {
  ASSERT_TRUE(testing::writeArchive(path("evil.tar.gz"), Container::TarGz,
                                    {testing::file("ok.tf", "x"), testing::file("../escape.tf", "y")}));
  auto r = repack(path("evil.tar.gz"), path("out.zip"), core::ArtifactFormat::Zip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
  EXPECT_NE(r.error().message.find("path-traversal"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("../escape.tf"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(path("out.zip")));
  EXPECT_FALSE(fs::exists(path("../escape.tf")));
  EXPECT_EQ(extractionDirs(), 0u);
}

TEST_F(PackagerTest, GarbageIsRefusedAsInvalidNotRetried) {
  testing::writeFile(path("junk.zip"), std::string(4096, 'j'));
  auto r = repack(path("junk.zip"), path("out.zip"), core::ArtifactFormat::Zip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
  EXPECT_FALSE(r.error().retryable());
  EXPECT_FALSE(fs::exists(path("out.zip")));
}

TEST_F(PackagerTest, MissingDownloadIsALocalIoErrorNotARejection) {
  auto r = repack(path("never-written.zip"), path("out.zip"), core::ArtifactFormat::Zip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Unavailable);
  EXPECT_FALSE(rejectReasonOf(r.error()).has_value());
  EXPECT_FALSE(fs::exists(path("out.zip")));
}

TEST_F(PackagerTest, FileUrlFolderIsPackagedWithVersionSubstituted) {
  fs::create_directories(path("modules/vpc-1.2.3/.git"));
  testing::writeFile(path("modules/vpc-1.2.3/main.tf"), "variable \"a\" {}\n");
  testing::writeFile(path("modules/vpc-1.2.3/.git/HEAD"), "ref\n");
  auto r = local("file://" + path("modules/vpc-{version}"), path("local.zip"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(names(path("local.zip")), (std::vector<std::string>{"main.tf"}));
  EXPECT_EQ(r->sha256, hasher_.sha256Of(testing::readFile(path("local.zip"))));
}

TEST_F(PackagerTest, FileUrlToAMissingPathIsNotFound) {
  auto r = local("file://" + path("nowhere"), path("local.zip"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::NotFound);
  EXPECT_FALSE(fs::exists(path("local.zip")));
}

TEST_F(PackagerTest, NonFileUrlIsInvalid) {
  auto r = local("https://example.com/x.zip", path("local.zip"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
}

TEST_F(PackagerTest, CancelledHandleNeverCallsBack) {
  ASSERT_TRUE(testing::writeArchive(path("src.zip"), Container::Zip, githubItems("w/")));
  bool called = false;
  {
    auto h = packager_->repack(core::RepackJob{path("src.zip"), path("out.zip"), core::ArtifactFormat::Zip, true},
                               [&](core::Result<core::PackagedArtifact>) { called = true; });
  }
  pool_.shutdown();
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
}

TEST_F(PackagerTest, SweepRemovesOnlyStaleExtractionDirectories) {
  fs::create_directories(path("tmp") + "/" + kExtractDirPrefix + "old");
  fs::last_write_time(path("tmp") + "/" + kExtractDirPrefix + "old",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::create_directories(path("tmp") + "/" + kExtractDirPrefix + "live");
  EXPECT_EQ(packager_->sweepStale(std::chrono::hours(1)), 1u);
  EXPECT_EQ(extractionDirs(), 1u);
}

TEST_F(PackagerTest, ZipDirhashRunsOnThePoolAndRefusalsAreInvalid) {
  auto dirhash = [&](const std::string& zip) {
    std::optional<core::Result<std::string>> got;
    auto h = packager_->zipDirhash(zip, [&](core::Result<std::string> r) { got.emplace(std::move(r)); });
    EXPECT_FALSE(got.has_value());  // never inline: the work runs on the pool
    EXPECT_TRUE(loop_.runUntil([&] { return got.has_value(); }, std::chrono::seconds(20)));
    return std::move(*got);
  };
  ASSERT_TRUE(testing::writeArchive(path("p.zip"), Container::Zip, {testing::file("LICENSE", "MIT\n")}));
  auto h1 = dirhash(path("p.zip"));
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  // The summary "<hex>  LICENSE\n" hashed and base64-encoded.
  EXPECT_EQ(*h1, "h1:" + hasher_.sha256Of(hasher_.sha256Of("MIT\n").hex() + "  LICENSE\n").base64());

  testing::writeFile(path("bad.zip"), "PK\x03\x04 not really a zip");
  auto bad = dirhash(path("bad.zip"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, core::Errc::Invalid);
  EXPECT_TRUE(rejectReasonOf(bad.error()).has_value()) << bad.error().message;

  auto missing = dirhash(path("missing.zip"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Errc::Unavailable);
}

TEST(HashFile, HashesInSmallChunks) {
  crypto::OpenSslHasher hasher;
  auto dir = TempDir::create(::testing::TempDir(), "od-hashfile-");
  ASSERT_TRUE(dir.ok());
  const std::string data(100003, 'q');
  testing::writeFile(dir->path() + "/f", data);
  auto d = hashFile(hasher, dir->path() + "/f", 7);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size, data.size());
  EXPECT_EQ(d->sha256, hasher.sha256Of(data));
  EXPECT_EQ(hashFile(hasher, dir->path() + "/missing", 7).error().code, core::Errc::Unavailable);
}

}  // namespace
}  // namespace od::adapters::archive
