// openArtifact: reaching root/<key> without following links, and the error kinds.
#include "http/registry/artifact_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace od::http {
namespace {

// Every case runs with openat2 (where the kernel has it) and with the portable walk.
struct ArtifactFile : ::testing::TestWithParam<ArtifactWalk> {
  std::filesystem::path root;
  void SetUp() override {
    char tmpl[] = "/tmp/od-artifact-XXXXXX";
    root = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root / "a/vpc");
    std::ofstream(root / "a/vpc/f.zip") << "12345";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  core::Errc errorOf(std::string_view key) {
    auto r = openArtifact(root.string(), key, GetParam());
    EXPECT_FALSE(r.ok()) << key;
    return r.ok() ? core::Errc::Internal : r.error().code;
  }
};

TEST_P(ArtifactFile, OpensARegularFileWithItsSize) {
  auto r = openArtifact(root.string(), "a/vpc/f.zip", GetParam());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->length(), 5u);
  EXPECT_EQ(r->offset(), 0u);
}

TEST_P(ArtifactFile, RefusesDotSegmentsAndEmptyKeys) {
  EXPECT_EQ(errorOf(""), core::Errc::Invalid);
  EXPECT_EQ(errorOf("../etc/passwd"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("a/./vpc/f.zip"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("a//vpc/f.zip"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("/etc/passwd"), core::Errc::Invalid);
}

TEST_P(ArtifactFile, MissingIsNotFound) {
  EXPECT_EQ(errorOf("a/vpc/g.zip"), core::Errc::NotFound);
  EXPECT_EQ(errorOf("b/vpc/f.zip"), core::Errc::NotFound);
  EXPECT_EQ(errorOf("a/vpc/f.zip/x"), core::Errc::NotFound);  // a file where a directory should be
}

TEST_P(ArtifactFile, LinksAnywhereOnThePathAreRefused) {
  std::filesystem::create_directory_symlink("/etc", root / "escape");
  EXPECT_EQ(errorOf("escape/passwd"), core::Errc::Permission);
  std::filesystem::create_symlink(root / "a/vpc/f.zip", root / "a/vpc/link.zip");
  EXPECT_EQ(errorOf("a/vpc/link.zip"), core::Errc::Permission);
}

TEST_P(ArtifactFile, DirectoriesAndFifosAreNotServed) {
  EXPECT_EQ(errorOf("a/vpc"), core::Errc::Permission);
  ASSERT_EQ(::mkfifo((root / "a/vpc/pipe.zip").c_str(), 0600), 0);
  EXPECT_EQ(errorOf("a/vpc/pipe.zip"), core::Errc::Permission);  // and opening did not block
}

TEST_P(ArtifactFile, TheRootItselfMayBeALink) {
  const std::filesystem::path link = root.string() + "-link";
  std::filesystem::create_directory_symlink(root, link);
  auto r = openArtifact(link.string(), "a/vpc/f.zip", GetParam());
  std::filesystem::remove(link);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->length(), 5u);
}

TEST_P(ArtifactFile, ALinkToAFileInsideTheRootIsStillRefused) {
  std::filesystem::create_directory_symlink(root / "a", root / "alias");
  EXPECT_EQ(errorOf("alias/vpc/f.zip"), core::Errc::Permission);
}

TEST_P(ArtifactFile, ResponseSendsTheFileOrSaysWhatIsWrong) {
  Response ok = artifactResponse(root.string(), "a/vpc/f.zip", "f.zip");
  EXPECT_EQ(ok.status, 200);
  ASSERT_TRUE(ok.file.has_value());
  EXPECT_EQ(ok.file->length(), 5u);
  ASSERT_NE(findHeader(ok.headers, "content-type"), nullptr);
  EXPECT_EQ(*findHeader(ok.headers, "content-type"), "application/zip");
  ASSERT_NE(findHeader(ok.headers, "cache-control"), nullptr);
  EXPECT_EQ(*findHeader(ok.headers, "cache-control"), "no-store");
  Response missing = artifactResponse(root.string(), "a/vpc/gone.zip", "gone.zip");
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.file.has_value());
  std::filesystem::create_symlink(root / "a/vpc/f.zip", root / "a/vpc/link.zip");
  Response refused = artifactResponse(root.string(), "a/vpc/link.zip", "link.zip");
  EXPECT_EQ(refused.status, 500);
  EXPECT_EQ(refused.body.find(root.string()), std::string::npos) << "storage paths stay private";
}

INSTANTIATE_TEST_SUITE_P(Resolve, ArtifactFile,
                         ::testing::Values(ArtifactWalk::Auto, ArtifactWalk::Walk),
                         [](const ::testing::TestParamInfo<ArtifactWalk>& info) {
                           return info.param == ArtifactWalk::Auto ? "Openat2" : "Walk";
                         });

TEST(ArtifactContentType, ByExtension) {
  EXPECT_EQ(artifactContentType("x.zip"), "application/zip");
  EXPECT_EQ(artifactContentType("x.tar.gz"), "application/gzip");
  EXPECT_EQ(artifactContentType("x.tgz"), "application/gzip");
  EXPECT_EQ(artifactContentType("x.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace od::http
