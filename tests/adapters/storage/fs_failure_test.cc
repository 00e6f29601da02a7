// Filesystem store under write failures (B94): ENOSPC injected through the write hook, and a
// real full tmpfs when the test may mount one.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <filesystem>

#include "adapters/storage/fs/key.h"
#include "tests/adapters/storage/fs_store_factory.h"
#include "tests/adapters/storage/object_store_contract.h"

namespace od::adapters::storage {
namespace {

namespace fs = std::filesystem;

bool hasTempFiles(const std::string& root) {
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename().string().starts_with(kTempPrefix)) {
      return true;
    }
  }
  return false;
}

// ENOSPC after 100 KiB of every put.
struct FullDiskFactory : FsStoreFactory {
  FullDiskFactory()
      : FsStoreFactory(FsObjectStoreOptions{"", 0, [](uint64_t written) { return written >= 100 * 1024 ? ENOSPC : 0; }}) {}
};

class FsFullDiskTest : public tests::storage::ObjectStoreContract<FullDiskFactory> {};

TEST_F(FsFullDiskTest, EnospcLeavesNoTempFileAndNoObject) {
  auto r = put("big/a.zip", std::string(300 * 1024, 'z'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Unavailable);
  EXPECT_TRUE(r.error().retryable());
  EXPECT_NE(r.error().message.find("No space left"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(factory_.root() + "/big/a.zip"));
  EXPECT_FALSE(hasTempFiles(factory_.root()));
  EXPECT_EQ(stat("big/a.zip").error().code, core::Errc::NotFound);
  // Small objects still fit, and reads are unaffected.
  ASSERT_TRUE(put("small.zip", "ok").ok());
  EXPECT_EQ(*get("small.zip"), "ok");
}

// A real 256 KiB tmpfs as the root, when mounting is allowed (root with CAP_SYS_ADMIN).
struct TmpfsFactory : FsStoreFactory {
  static std::string mountPoint() {
    static const std::string dir = [] {
      std::string templ = ::testing::TempDir() + "/od-tmpfs-XXXXXX";
      return std::string(::mkdtemp(templ.data()));
    }();
    return dir;
  }
  static bool mountTiny() { return ::mount("tmpfs", mountPoint().c_str(), "tmpfs", 0, "size=256k") == 0; }
  TmpfsFactory() : FsStoreFactory(FsObjectStoreOptions{mountPoint() + "/root", 0, {}}) {}
};

class FsTmpfsTest : public tests::storage::ObjectStoreContract<TmpfsFactory> {
 protected:
  static void SetUpTestSuite() { mounted_ = TmpfsFactory::mountTiny(); }
  static void TearDownTestSuite() {
    if (mounted_) {
      ::umount2(TmpfsFactory::mountPoint().c_str(), MNT_DETACH);
    }
    std::error_code ec;
    fs::remove_all(TmpfsFactory::mountPoint(), ec);
  }
  static bool mounted_;
};
bool FsTmpfsTest::mounted_ = false;

TEST_F(FsTmpfsTest, RealEnospcLeavesNoTempFile) {
  if (!mounted_) {
    GTEST_SKIP() << "cannot mount a tmpfs here; covered by the injected ENOSPC test";
  }
  auto r = put("big/a.zip", std::string(1024 * 1024, 'z'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Unavailable) << r.error().message;
  EXPECT_FALSE(fs::exists(factory_.root() + "/big/a.zip"));
  EXPECT_FALSE(hasTempFiles(factory_.root()));
  ASSERT_TRUE(put("small.zip", "ok").ok());
}

}  // namespace
}  // namespace od::adapters::storage
