// openArtifact: reaching root/<key> without following links, and the error kinds.
#include "http/registry/artifact_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace od::http {
namespace {

struct ArtifactFile : ::testing::Test {
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
    auto r = openArtifact(root.string(), key);
    EXPECT_FALSE(r.ok()) << key;
    return r.ok() ? core::Errc::Internal : r.error().code;
  }
};

TEST_F(ArtifactFile, OpensARegularFileWithItsSize) {
  auto r = openArtifact(root.string(), "a/vpc/f.zip");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->length(), 5u);
  EXPECT_EQ(r->offset(), 0u);
}

TEST_F(ArtifactFile, RefusesDotSegmentsAndEmptyKeys) {
  EXPECT_EQ(errorOf(""), core::Errc::Invalid);
  EXPECT_EQ(errorOf("../etc/passwd"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("a/./vpc/f.zip"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("a//vpc/f.zip"), core::Errc::Invalid);
  EXPECT_EQ(errorOf("/etc/passwd"), core::Errc::Invalid);
}

TEST_F(ArtifactFile, MissingIsNotFound) {
  EXPECT_EQ(errorOf("a/vpc/g.zip"), core::Errc::NotFound);
  EXPECT_EQ(errorOf("b/vpc/f.zip"), core::Errc::NotFound);
  EXPECT_EQ(errorOf("a/vpc/f.zip/x"), core::Errc::NotFound);  // a file where a directory should be
}

TEST_F(ArtifactFile, LinksAnywhereOnThePathAreRefused) {
  std::filesystem::create_directory_symlink("/etc", root / "escape");
  EXPECT_EQ(errorOf("escape/passwd"), core::Errc::Permission);
  std::filesystem::create_symlink(root / "a/vpc/f.zip", root / "a/vpc/link.zip");
  EXPECT_EQ(errorOf("a/vpc/link.zip"), core::Errc::Permission);
}

TEST_F(ArtifactFile, DirectoriesAndFifosAreNotServed) {
  EXPECT_EQ(errorOf("a/vpc"), core::Errc::Permission);
  ASSERT_EQ(::mkfifo((root / "a/vpc/pipe.zip").c_str(), 0600), 0);
  EXPECT_EQ(errorOf("a/vpc/pipe.zip"), core::Errc::Permission);  // and opening did not block
}

TEST(ArtifactContentType, ByExtension) {
  EXPECT_EQ(artifactContentType("x.zip"), "application/zip");
  EXPECT_EQ(artifactContentType("x.tar.gz"), "application/gzip");
  EXPECT_EQ(artifactContentType("x.tgz"), "application/gzip");
  EXPECT_EQ(artifactContentType("x.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace od::http
