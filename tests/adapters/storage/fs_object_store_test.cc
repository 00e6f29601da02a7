#include "adapters/storage/fs/fs_object_store.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "adapters/storage/fs/key.h"
#include "tests/adapters/storage/fs_store_factory.h"
#include "tests/adapters/storage/object_store_contract.h"

namespace od::tests::storage {
using FsStores = ::testing::Types<adapters::storage::FsStoreFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(FsObjectStoreContract, ObjectStoreContract, FsStores);
}  // namespace od::tests::storage

namespace od::adapters::storage {
namespace {

namespace fs = std::filesystem;

class FsObjectStoreTest : public tests::storage::ObjectStoreContract<FsStoreFactory> {
 protected:
  const std::string& root() { return factory_.root(); }
  std::vector<std::string> tempFiles() {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(root()); it != fs::recursive_directory_iterator(); ++it) {
      if (it->path().filename().string().starts_with(kTempPrefix)) {
        out.push_back(it->path().string());
      }
    }
    return out;
  }
};

TEST_F(FsObjectStoreTest, StoresObjectsUnderTheRootWithAChecksumSideFile) {
  ASSERT_TRUE(put("vpc/0190.zip", "bytes").ok());
  EXPECT_TRUE(fs::is_regular_file(root() + "/vpc/0190.zip"));
  std::ifstream meta(root() + "/.od-meta/vpc/0190.zip");
  std::string line;
  std::getline(meta, line);
  EXPECT_EQ(line, hasher_.sha256Of("bytes").hex() + " 5");
  EXPECT_TRUE(tempFiles().empty());
}

TEST_F(FsObjectStoreTest, ReservedNamesAreInvalidKeys) {
  EXPECT_EQ(put(".od-meta/x", "x").error().code, core::Errc::Invalid);
  EXPECT_EQ(put("a/.od-tmp-123", "x").error().code, core::Errc::Invalid);
  EXPECT_TRUE(splitKey(std::string(255, 'c')).ok());
  std::string long_key;
  while (long_key.size() < 1020) {
    long_key += "abcd/";
  }
  EXPECT_TRUE(splitKey(long_key.substr(0, 1024 - 1) + "z").ok());
}

TEST_F(FsObjectStoreTest, SymlinkPlantedAsObjectIsRefused) {
  fs::create_directories(root() + "/mods");
  fs::create_symlink("/etc/passwd", root() + "/mods/evil.zip");
  auto got = get("mods/evil.zip");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, core::Errc::Permission);
  EXPECT_NE(got.error().message.find("storage escape"), std::string::npos);
  EXPECT_EQ(stat("mods/evil.zip").error().code, core::Errc::Permission);
  EXPECT_EQ(put("mods/evil.zip", "x").error().code, core::Errc::Permission);
}

TEST_F(FsObjectStoreTest, SymlinkPlantedAsDirectoryIsRefused) {
  const auto outside = factory_.dir() + "/outside";
  fs::create_directories(outside);
  std::ofstream(outside + "/secret.zip") << "secret";
  fs::create_symlink(outside, root() + "/linked");
  EXPECT_EQ(get("linked/secret.zip").error().code, core::Errc::Permission);
  EXPECT_EQ(put("linked/new.zip", "x").error().code, core::Errc::Permission);
  EXPECT_FALSE(fs::exists(outside + "/new.zip"));
}

TEST_F(FsObjectStoreTest, RootThatIsASymlinkIsRefused) {
  const auto real = factory_.dir() + "/real-root";
  fs::create_directories(real);
  fs::create_symlink(real, factory_.dir() + "/link-root");
  exec::WorkerPool pool(factory_.loop(), {1, 4});
  auto store = FsObjectStore::open(factory_.loop(), pool, {factory_.dir() + "/link-root", 0, {}});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, core::Errc::Permission);
}

TEST_F(FsObjectStoreTest, PresignIsNotSupported) {
  auto r = store().presign("a.zip", std::chrono::seconds(60));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
  EXPECT_NE(r.error().message.find("not supported by filesystem storage"), std::string::npos);
}

TEST_F(FsObjectStoreTest, MissingSideFileIsRepairedByHashing) {
  ASSERT_TRUE(put("m/a.zip", "content").ok());
  fs::remove(root() + "/.od-meta/m/a.zip");
  auto info = stat("m/a.zip");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sha256->base64(), sha("content"));
  EXPECT_TRUE(fs::exists(root() + "/.od-meta/m/a.zip"));
  fs::remove(root() + "/.od-meta/m/a.zip");
  auto again = put("m/a.zip", "content");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  fs::remove(root() + "/.od-meta/m/a.zip");
  EXPECT_EQ(put("m/a.zip", "different").error().code, core::Errc::Conflict);
}

TEST_F(FsObjectStoreTest, ConcurrentPutsOfSameBytesCreateOnce) {
  for (int round = 0; round < 20; ++round) {
    const std::string key = "race/same-" + std::to_string(round);
    std::optional<core::Result<core::PutResult>> a, b;
    auto ha = store().put(stage(key, "payload"), [&](auto r) { a.emplace(std::move(r)); });
    auto hb = store().put(stage(key, "payload"), [&](auto r) { b.emplace(std::move(r)); });
    ASSERT_TRUE(factory_.loop().runUntil([&] { return a && b; }, std::chrono::seconds(10)));
    ASSERT_TRUE(a->ok() && b->ok());
    EXPECT_EQ(int((*a)->created) + int((*b)->created), 1);
  }
  EXPECT_TRUE(tempFiles().empty());
}

TEST_F(FsObjectStoreTest, ConcurrentPutsOfDifferentBytesConflictOnce) {
  for (int round = 0; round < 20; ++round) {
    const std::string key = "race/diff-" + std::to_string(round);
    std::optional<core::Result<core::PutResult>> a, b;
    auto ha = store().put(stage(key, "alpha"), [&](auto r) { a.emplace(std::move(r)); });
    auto hb = store().put(stage(key, "bravo"), [&](auto r) { b.emplace(std::move(r)); });
    ASSERT_TRUE(factory_.loop().runUntil([&] { return a && b; }, std::chrono::seconds(10)));
    ASSERT_NE(a->ok(), b->ok());
    const auto& loser = a->ok() ? *b : *a;
    EXPECT_EQ(loser.error().code, core::Errc::Conflict);
    EXPECT_EQ(*get(key), a->ok() ? "alpha" : "bravo");
  }
  EXPECT_TRUE(tempFiles().empty());
}

TEST_F(FsObjectStoreTest, FullPoolAnswersUnavailableThroughTheCallback) {
  exec::WorkerPool tiny(factory_.loop(), {1, 0});
  auto store = FsObjectStore::open(factory_.loop(), tiny, {root(), 0, {}});
  ASSERT_TRUE(store.ok());
  std::optional<core::Result<core::ObjectInfo>> got;
  auto h = (*store)->stat("x", [&](auto r) { got.emplace(std::move(r)); });
  EXPECT_FALSE(got.has_value()) << "never re-entrant";
  auto r = wait(got);
  EXPECT_EQ(r.error().code, core::Errc::Unavailable);
}

TEST_F(FsObjectStoreTest, SweepRemovesOnlyStaleTempFiles) {
  fs::create_directories(root() + "/m");
  const auto stale = root() + "/m/" + std::string(kTempPrefix) + "0000000000000001";
  const auto fresh = root() + "/m/" + std::string(kTempPrefix) + "0000000000000002";
  std::ofstream(stale) << "left by a killed writer";
  std::ofstream(fresh) << "being written";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(put("m/kept.zip", "x").ok());
  std::optional<core::Result<size_t>> got;
  auto h = static_cast<FsObjectStore&>(store()).sweepTempFiles(std::chrono::hours(1),
                                                                [&](auto r) { got.emplace(std::move(r)); });
  auto r = wait(got);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1u);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(root() + "/m/kept.zip"));
}

}  // namespace
}  // namespace od::adapters::storage
