#include "core/storage_key.h"

#include <gtest/gtest.h>

namespace od::core {
namespace {

VersionSpec moduleSpec(std::optional<std::string> dir) {
  VersionSpec spec;
  spec.type = "Module";
  spec.version = "1.0.0";
  spec.file_name = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip";
  ModuleConfig config;
  config.name = "vpc";
  if (dir) {
    StorageConfig storage;
    storage.file_system = FileSystemConfig{dir};
    config.storage_config = storage;
  }
  spec.module_config_ref = config;
  return spec;
}

TEST(ArtifactKey, DirectoryRelativeToTheRoot) {
  auto key = artifactKey(moduleSpec("/data/modules/"), "/data");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, "modules/vpc/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
  EXPECT_EQ(*artifactKey(moduleSpec("/data"), "/data/"), "vpc/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
  EXPECT_EQ(*artifactKey(moduleSpec(std::nullopt), "/data"), "vpc/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
  EXPECT_EQ(*artifactKey(moduleSpec("/data/./a//b"), "/data"), "a/b/vpc/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
}

TEST(ArtifactKey, DirectoriesOutsideTheRootAreRefused) {
  for (const char* dir : {"/etc", "/data2/x", "/data/../etc", "relative/dir", "/"}) {
    auto key = artifactKey(moduleSpec(dir), "/data");
    ASSERT_FALSE(key.ok()) << dir;
    EXPECT_EQ(key.error().code, Errc::Invalid);
  }
}

TEST(ArtifactKey, NamesMustBePlainSegments) {
  auto spec = moduleSpec(std::nullopt);
  spec.file_name = "../../etc/passwd";
  EXPECT_FALSE(artifactKey(spec, "/data").ok());
  spec = moduleSpec(std::nullopt);
  spec.module_config_ref->name = "a/b";
  EXPECT_FALSE(artifactKey(spec, "/data").ok());
  spec = moduleSpec(std::nullopt);
  spec.file_name.reset();
  EXPECT_FALSE(artifactKey(spec, "/data").ok());
  spec = moduleSpec(std::nullopt);
  spec.type = "Provider";
  EXPECT_FALSE(artifactKey(spec, "/data").ok());
}

TEST(ArtifactKey, ProvidersUseTheirConfigName) {
  VersionSpec spec;
  spec.type = "Provider";
  spec.file_name = "x.zip";
  ProviderConfig config;
  config.name = "aws";
  spec.provider_config_ref = config;
  EXPECT_EQ(*artifactKey(spec, "/data"), "aws/x.zip");
}

TEST(ArtifactKey, CloudBackendsAreNotSupportedYet) {
  auto spec = moduleSpec(std::nullopt);
  StorageConfig storage;
  storage.s3 = S3Config{};
  spec.module_config_ref->storage_config = storage;
  auto key = artifactKey(spec, "/data");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("s3"), std::string::npos);
}

TEST(NormalizeAbsolutePath, Cases) {
  EXPECT_EQ(*normalizeAbsolutePath("/"), "/");
  EXPECT_EQ(*normalizeAbsolutePath("//a/./b/"), "/a/b");
  EXPECT_FALSE(normalizeAbsolutePath("").ok());
  EXPECT_FALSE(normalizeAbsolutePath("a/b").ok());
  EXPECT_FALSE(normalizeAbsolutePath("/a/../b").ok());
}

}  // namespace
}  // namespace od::core
