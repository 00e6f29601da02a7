// put() with PutRequest::replace on the filesystem store: a mutable version whose upstream
// changed replaces its object atomically; everything else keeps create-or-verify.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/storage/fs/key.h"
#include "tests/adapters/storage/fs_store_factory.h"
#include "tests/adapters/storage/object_store_contract.h"

namespace od::adapters::storage {
namespace {

namespace fs = std::filesystem;

class FsReplaceTest : public tests::storage::ObjectStoreContract<FsStoreFactory> {
 protected:
  core::Result<core::PutResult> putReplacing(const std::string& key, const std::string& bytes) {
    auto request = stage(key, bytes);
    request.replace = true;
    std::optional<core::Result<core::PutResult>> got;
    auto h = store().put(std::move(request), [&](core::Result<core::PutResult> r) { got.emplace(std::move(r)); });
    return wait(got);
  }
  size_t tempFiles() {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(factory_.root())) {
      n += e.path().filename().string().starts_with(kTempPrefix) ? 1 : 0;
    }
    return n;
  }
};

TEST_F(FsReplaceTest, ReplacesADifferentObjectAndUpdatesItsChecksum) {
  ASSERT_TRUE(put("m/vpc/a.zip", "old bytes").ok());
  auto r = putReplacing("m/vpc/a.zip", "new bytes!");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(*get("m/vpc/a.zip"), "new bytes!");
  auto info = stat("m/vpc/a.zip");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 10u);
  EXPECT_EQ(info->sha256->base64(), sha("new bytes!"));
  std::ifstream meta(factory_.root() + "/.od-meta/m/vpc/a.zip");
  std::string line;
  std::getline(meta, line);
  EXPECT_EQ(line, hasher_.sha256Of("new bytes!").hex() + " 10");
  EXPECT_EQ(tempFiles(), 0u);
}

TEST_F(FsReplaceTest, SameBytesAreVerifiedNotRewritten) {
  ASSERT_TRUE(put("m/a.zip", "same").ok());
  auto r = putReplacing("m/a.zip", "same");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->created);
}

TEST_F(FsReplaceTest, MissingKeyIsCreated) {
  auto r = putReplacing("m/new.zip", "fresh");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->created);
  EXPECT_EQ(*get("m/new.zip"), "fresh");
}

TEST_F(FsReplaceTest, WithoutReplaceADifferentObjectStaysAConflict) {
  ASSERT_TRUE(put("m/a.zip", "old").ok());
  auto r = put("m/a.zip", "new");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Conflict);
  EXPECT_EQ(*get("m/a.zip"), "old");
}

TEST_F(FsReplaceTest, ADirectoryUnderTheKeyIsNeverReplaced) {
  fs::create_directories(factory_.root() + "/m/a.zip/inner");
  auto r = putReplacing("m/a.zip", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Conflict);
  EXPECT_TRUE(fs::is_directory(factory_.root() + "/m/a.zip/inner"));
  EXPECT_EQ(tempFiles(), 0u);
}

TEST_F(FsReplaceTest, ASymlinkUnderTheKeyIsRefused) {
  fs::create_directories(factory_.root() + "/m");
  fs::create_symlink("/etc/passwd", factory_.root() + "/m/a.zip");
  auto r = putReplacing("m/a.zip", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Permission);
  EXPECT_TRUE(fs::is_symlink(factory_.root() + "/m/a.zip"));
}

}  // namespace
}  // namespace od::adapters::storage
