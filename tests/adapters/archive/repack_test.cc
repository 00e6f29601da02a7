#include "adapters/archive/repack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/archive/local_source.h"
#include "adapters/archive/temp_dir.h"
#include "adapters/crypto/openssl_hasher.h"
#include "tests/adapters/archive/archive_builder.h"

namespace od::adapters::archive {
namespace {

using testing::Container;
using testing::Item;

std::vector<Item> moduleItems(const std::string& wrapper) {
  return {testing::dir(wrapper), testing::file(wrapper + "main.tf", "resource \"x\" \"y\" {}\n"),
          testing::file(wrapper + "variables.tf", "variable \"v\" {}\n"), testing::dir(wrapper + "modules/"),
          testing::file(wrapper + "modules/sub/main.tf", "# sub\n"),
          testing::file(wrapper + "scripts/run.sh", "#!/bin/sh\n", 0775)};
}

class RepackTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto dir = TempDir::create(::testing::TempDir(), "od-repack-test-");
    ASSERT_TRUE(dir.ok());
    work_.emplace(std::move(*dir));
  }
  std::string path(const std::string& name) const { return work_->path() + "/" + name; }

  core::Result<PackResult> repack(const std::vector<Item>& items, Container in, PackFormat out,
                                  const std::string& name, bool strip = true) {
    const auto src = path(name + ".src");
    EXPECT_TRUE(testing::writeArchive(src, in, items));
    RepackRequest req{src, path(name), work_->path(), out, strip, {}};
    return repackArchive(req);
  }
  std::vector<std::string> names(const std::string& archive) {
    std::vector<std::string> out;
    for (const auto& e : testing::readArchive(archive)) {
      out.push_back(e.name);
    }
    return out;
  }

  std::optional<TempDir> work_;
};

TEST_F(RepackTest, StripsGitHubWrapperFromTarGz) {
  auto r = repack(moduleItems("acme-terraform-aws-vpc-0123abc/"), Container::TarGz, PackFormat::TarGz, "a.tar.gz");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stripped, "acme-terraform-aws-vpc-0123abc");
  const std::vector<std::string> want{"main.tf", "modules/", "modules/sub/", "modules/sub/main.tf",
                                      "scripts/", "scripts/run.sh", "variables.tf"};
  EXPECT_EQ(names(path("a.tar.gz")), want);
}

TEST_F(RepackTest, StripsGitHubWrapperFromZip) {
  auto items = moduleItems("acme-mod-0123abc/");
  items.erase(items.begin());  // zipballs may list no directory entry for the wrapper
  auto r = repack(items, Container::Zip, PackFormat::Zip, "a.zip");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stripped, "acme-mod-0123abc");
  const auto got = names(path("a.zip"));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), "main.tf");
}

TEST_F(RepackTest, KeepsTreeWithFilesAtTheRoot) {
  auto r = repack({testing::file("main.tf", "x"), testing::file("sub/a.tf", "y")}, Container::TarGz,
                  PackFormat::Zip, "b.zip");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->stripped.has_value());
  EXPECT_EQ(names(path("b.zip")), (std::vector<std::string>{"main.tf", "sub/", "sub/a.tf"}));
}

TEST_F(RepackTest, EntriesHaveFixedMetadata) {
  ASSERT_TRUE(repack(moduleItems("w/"), Container::Tar, PackFormat::TarGz, "m.tar.gz").ok());
  for (const auto& e : testing::readArchive(path("m.tar.gz"))) {
    EXPECT_EQ(e.mtime, kFixedMtime) << e.name;
    EXPECT_EQ(e.uid, 0) << e.name;
    EXPECT_EQ(e.gid, 0) << e.name;
    const bool exec = e.name.ends_with("/") || e.name == "scripts/run.sh";
    EXPECT_EQ(e.mode & 07777, exec ? 0755u : 0644u) << e.name;
  }
}

TEST_F(RepackTest, GzipHeaderHasNoTimestampOrName) {
  ASSERT_TRUE(repack(moduleItems("w/"), Container::Tar, PackFormat::TarGz, "g.tar.gz").ok());
  const auto bytes = testing::readFile(path("g.tar.gz"));
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0')) << "MTIME must be zero";
  EXPECT_EQ(bytes[3] & 0x08, 0) << "FNAME must not be set";
}

void expectDeterministic(RepackTest& t, Container in, PackFormat out) {
  auto items = moduleItems("w-1/");
  auto reversed = items;
  std::reverse(reversed.begin(), reversed.end());
  ASSERT_TRUE(t.repack(items, in, out, "one").ok());
  ASSERT_TRUE(t.repack(items, in, out, "two").ok());
  auto third = moduleItems("other-wrapper/");
  std::reverse(third.begin(), third.end());
  ASSERT_TRUE(t.repack(third, in, out, "three").ok());
  const auto one = testing::readFile(t.path("one"));
  EXPECT_EQ(one, testing::readFile(t.path("two")));
  EXPECT_EQ(one, testing::readFile(t.path("three")));
  crypto::OpenSslHasher hasher;
  EXPECT_EQ(hasher.sha256Of(one).base64(), hasher.sha256Of(testing::readFile(t.path("three"))).base64());
}

TEST_F(RepackTest, TarGzIsByteIdenticalAcrossRunsAndInputOrders) {
  expectDeterministic(*this, Container::Zip, PackFormat::TarGz);
}

TEST_F(RepackTest, ZipIsByteIdenticalAcrossRunsAndInputOrders) {
  expectDeterministic(*this, Container::TarGz, PackFormat::Zip);
}

TEST_F(RepackTest, LimitsAreConfigurable) {
  const auto src = path("big.src");
  ASSERT_TRUE(testing::writeArchive(src, Container::TarGz, moduleItems("w/")));
  RepackRequest req{src, path("big.zip"), work_->path(), PackFormat::Zip, true, {}};
  req.limits.max_entries = 3;
  auto r = repackArchive(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::TooManyEntries);
  EXPECT_FALSE(std::filesystem::exists(path("big.zip")));
}

TEST_F(RepackTest, RejectedArchiveLeavesNoExtractionBehind) {
  auto r = repack({testing::file("ok.tf", "x"), testing::file("../evil", "x")}, Container::TarGz,
                  PackFormat::Zip, "evil.zip");
  ASSERT_FALSE(r.ok());
  for (const auto& e : std::filesystem::directory_iterator(work_->path())) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".od-extract-")) << e.path();
  }
}

TEST_F(RepackTest, SweepRemovesOnlyStaleExtractionDirectories) {
  const auto stale = path(std::string(kExtractDirPrefix) + "old");
  const auto fresh = path(std::string(kExtractDirPrefix) + "new");
  std::filesystem::create_directories(stale + "/deep");
  std::filesystem::create_directories(fresh);
  std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - std::chrono::hours(3));
  EXPECT_EQ(sweepStaleTempDirs(work_->path(), kExtractDirPrefix, std::chrono::hours(1)), 1u);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
}

TEST_F(RepackTest, FileUrlsAreParsedStrictly) {
  EXPECT_EQ(*localPathFromFileUrl("file:///srv/mods/vpc-{version}.tgz", "1.2.0"), "/srv/mods/vpc-1.2.0.tgz");
  EXPECT_EQ(*localPathFromFileUrl("file://localhost/srv/a%20b", ""), "/srv/a b");
  EXPECT_FALSE(localPathFromFileUrl("https://example.com/x", "").ok());
  EXPECT_FALSE(localPathFromFileUrl("file://host/x", "").ok());
  EXPECT_FALSE(localPathFromFileUrl("file:///srv/../etc", "").ok());
  EXPECT_FALSE(localPathFromFileUrl("file:///srv/%00x", "").ok());
}

TEST_F(RepackTest, LocalFolderPackagesLikeTheSameArchive) {
  const auto folder = path("folder");
  std::filesystem::create_directories(folder + "/modules/sub");
  std::filesystem::create_directories(folder + "/scripts");
  std::filesystem::create_directories(folder + "/.git/objects");
  testing::writeFile(folder + "/main.tf", "resource \"x\" \"y\" {}\n");
  testing::writeFile(folder + "/variables.tf", "variable \"v\" {}\n");
  testing::writeFile(folder + "/modules/sub/main.tf", "# sub\n");
  testing::writeFile(folder + "/scripts/run.sh", "#!/bin/sh\n");
  testing::writeFile(folder + "/.git/HEAD", "ref\n");
  ::chmod((folder + "/scripts/run.sh").c_str(), 0755);
  LocalSourceRequest req{"file://" + folder, "", path("folder.zip"), work_->path(), PackFormat::Zip, {}};
  auto r = packageLocalSource(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The same files as an archive with a wrapper directory, through the untrusted path.
  ASSERT_TRUE(testing::writeArchive(path("same.tgz"), Container::TarGz, moduleItems("wrap/")));
  LocalSourceRequest from_archive{"file://" + path("same.tgz"), "", path("archive.zip"), work_->path(),
                                  PackFormat::Zip, {}};
  ASSERT_TRUE(packageLocalSource(from_archive).ok());
  EXPECT_EQ(testing::readFile(path("folder.zip")), testing::readFile(path("archive.zip")));
}

TEST_F(RepackTest, LocalFolderWithSymlinkIsRejected) {
  const auto folder = path("linked");
  std::filesystem::create_directories(folder);
  testing::writeFile(folder + "/main.tf", "x");
  ASSERT_EQ(::symlink("/etc/passwd", (folder + "/passwd").c_str()), 0);
  LocalSourceRequest req{"file://" + folder, "", path("l.zip"), work_->path(), PackFormat::Zip, {}};
  auto r = packageLocalSource(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::Link);
}

TEST_F(RepackTest, MissingLocalSourceIsNotFound) {
  LocalSourceRequest req{"file://" + path("nope"), "", path("n.zip"), work_->path(), PackFormat::Zip, {}};
  auto r = packageLocalSource(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::NotFound);
}

}  // namespace
}  // namespace od::adapters::archive
