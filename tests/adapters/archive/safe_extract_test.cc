#include "adapters/archive/safe_extract.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "adapters/archive/temp_dir.h"
#include "tests/adapters/archive/archive_builder.h"

namespace od::adapters::archive {
namespace {

using testing::Container;
using testing::Item;
using testing::Kind;

class SafeExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create(::testing::TempDir(), "od-arc-test-");
    ASSERT_TRUE(dir.ok());
    work_.emplace(std::move(*dir));
  }
  std::string path(const std::string& name) const { return work_->path() + "/" + name; }

  // Builds the archive, extracts it into a fresh directory and returns the outcome.
  core::Result<Tree> extract(const std::vector<Item>& items, Container c = Container::TarGz,
                             const ArchiveLimits& limits = {}) {
    const auto archive = path("in-" + std::to_string(counter_) + ".bin");
    const auto dest = path("out-" + std::to_string(counter_++));
    EXPECT_TRUE(testing::writeArchive(archive, c, items));
    ::mkdir(dest.c_str(), 0700);
    return extractArchive(archive, dest, limits);
  }
  void expectRejected(const core::Result<Tree>& r, RejectReason reason, const std::string& words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(rejectReasonOf(r.error()), reason) << r.error().message;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, reason == RejectReason::Corrupt ? core::Errc::Corrupt : core::Errc::Invalid);
  }

  std::optional<TempDir> work_;
  int counter_ = 0;
};

TEST_F(SafeExtractTest, ExtractsRegularFilesAndDirectories) {
  auto r = extract({testing::dir("mod/"), testing::file("mod/main.tf", "x"), testing::file("mod/run.sh", "#!", 04755)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->entries.size(), 3u);
  EXPECT_EQ(r->entries[1].path, "mod/main.tf");
  EXPECT_EQ(testing::readFile(r->root + "/mod/main.tf"), "x");
  struct stat st {};
  ASSERT_EQ(::stat((r->root + "/mod/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "setuid must be stripped";
  ASSERT_EQ(::stat((r->root + "/mod/main.tf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(SafeExtractTest, RejectsDotDotEntry) {
  expectRejected(extract({testing::file("../x", "evil")}), RejectReason::PathTraversal,
                 "archive entry '../x' escapes the archive root");
  expectRejected(extract({testing::file("a/../../x", "evil")}), RejectReason::PathTraversal, "escapes");
}

TEST_F(SafeExtractTest, RejectsAbsolutePaths) {
  expectRejected(extract({testing::file("/etc/passwd", "evil")}), RejectReason::AbsolutePath, "absolute path");
  expectRejected(extract({testing::file("C:/x", "evil")}, Container::Zip), RejectReason::AbsolutePath, "absolute");
}

TEST_F(SafeExtractTest, RejectsBackslashPaths) {
  expectRejected(extract({testing::file("..\\x", "evil")}), RejectReason::BadName, "backslash");
}

TEST_F(SafeExtractTest, RejectsSymlinks) {
  expectRejected(extract({Item{"link", "", Kind::Symlink, "/etc/passwd"}}), RejectReason::Link, "link");
  expectRejected(extract({Item{"inside", "", Kind::Symlink, "main.tf"}}, Container::Zip), RejectReason::Link,
                 "links are not allowed");
}

TEST_F(SafeExtractTest, RejectsHardlinks) {
  expectRejected(extract({testing::file("a.tf", "x"), Item{"b.tf", "", Kind::Hardlink, "a.tf"}}),
                 RejectReason::Link, "'b.tf' is a symbolic or hard link");
}

TEST_F(SafeExtractTest, RejectsDeviceFiles) {
  expectRejected(extract({Item{"null", "", Kind::CharDevice, ""}}), RejectReason::SpecialFile, "device");
}

TEST_F(SafeExtractTest, RejectsFifos) {
  expectRejected(extract({Item{"pipe", "", Kind::Fifo, ""}}), RejectReason::SpecialFile, "FIFO");
}

TEST_F(SafeExtractTest, RejectsTooManyEntries) {
  ArchiveLimits limits;
  limits.max_entries = 5;
  std::vector<Item> items;
  for (int i = 0; i < 6; ++i) {
    items.push_back(testing::file("f" + std::to_string(i), "x"));
  }
  expectRejected(extract(items, Container::TarGz, limits), RejectReason::TooManyEntries, "more than 5 entries");
  items.pop_back();
  EXPECT_TRUE(extract(items, Container::TarGz, limits).ok());
}

TEST_F(SafeExtractTest, RejectsExpandedBytesOverBudgetWhileStreaming) {
  ArchiveLimits limits;
  limits.max_expanded_bytes = 1000;
  std::string noise;
  for (int i = 0; i < 1500; ++i) {
    noise += static_cast<char>((i * 7919) % 251);
  }
  expectRejected(extract({testing::file("a", noise)}, Container::Zip, limits), RejectReason::TooLarge,
                 "expands to more than 1000 bytes");
  // Two files each under the budget, together over it.
  expectRejected(extract({testing::file("a", noise.substr(0, 600)), testing::file("b", noise.substr(0, 600))},
                         Container::Tar, limits),
                 RejectReason::TooLarge, "stopped at 'b'");
}

TEST_F(SafeExtractTest, RejectsCompressedSizeOverLimit) {
  ArchiveLimits limits;
  limits.max_compressed_bytes = 100;
  expectRejected(extract({testing::file("a", std::string(5000, 'x'))}, Container::Tar, limits),
                 RejectReason::CompressedTooLarge, "more than the limit of 100");
}

TEST_F(SafeExtractTest, RejectsBombLikeCompressionRatio) {
  ArchiveLimits limits;
  limits.ratio_allowance_bytes = 64 * 1024;
  expectRejected(extract({testing::file("zeros", std::string(2 << 20, '\0'))}, Container::TarGz, limits),
                 RejectReason::CompressionRatio, "decompression bomb");
}

TEST_F(SafeExtractTest, SmallHighlyCompressibleFilesAreAllowed) {
  auto r = extract({testing::file("zeros", std::string(200 * 1024, '\0'))}, Container::TarGz);
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST_F(SafeExtractTest, RejectsPathLongerThanLimit) {
  std::string name;
  while (name.size() < 1100) {
    name += std::string(50, 'p') + "/";
  }
  name += "x.tf";
  expectRejected(extract({testing::file(name, "x")}), RejectReason::PathTooLong, "longer than 1024 bytes");
}

TEST_F(SafeExtractTest, RejectsComponentLongerThanLimit) {
  expectRejected(extract({testing::file("d/" + std::string(300, 'c'), "x")}), RejectReason::ComponentTooLong,
                 "component longer than 255 bytes");
}

TEST_F(SafeExtractTest, RejectsTooDeepNesting) {
  std::string name;
  for (int i = 0; i < 70; ++i) {
    name += "d/";
  }
  name += "x.tf";
  expectRejected(extract({testing::file(name, "x")}), RejectReason::TooDeep, "deeper than 64");
}

TEST_F(SafeExtractTest, RejectsDuplicateEntries) {
  expectRejected(extract({testing::file("a.tf", "1"), testing::file("a.tf", "2")}), RejectReason::Duplicate,
                 "appears more than once");
  expectRejected(extract({testing::file("./a.tf", "1"), testing::file("a.tf", "2")}, Container::Zip),
                 RejectReason::Duplicate, "more than once");
}

TEST_F(SafeExtractTest, RejectsCaseOnlyAndFileDirectoryClashes) {
  expectRejected(extract({testing::file("A.tf", "1"), testing::file("a.tf", "2")}), RejectReason::Duplicate,
                 "differ only in letter case");
  expectRejected(extract({testing::file("m", "1"), testing::file("m/x.tf", "2")}), RejectReason::Duplicate,
                 "which is a file");
  expectRejected(extract({testing::file("m/x.tf", "1"), testing::file("m", "2")}), RejectReason::Duplicate,
                 "more than once");
}

TEST_F(SafeExtractTest, ImpliedDirectoryMayBeListedLater) {
  auto r = extract({testing::file("m/x.tf", "1"), testing::dir("m/")});
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST_F(SafeExtractTest, RejectsControlCharactersInNames) {
  expectRejected(extract({testing::file("a\nb.tf", "x")}), RejectReason::BadName, "control characters");
  expectRejected(extract({testing::file("a\x1b[31m.tf", "x")}), RejectReason::BadName, "'a\\x1b[31m.tf'");
}

TEST_F(SafeExtractTest, RejectsNonUtf8Names) {
  expectRejected(extract({testing::file("bad\xff.tf", "x")}), RejectReason::BadName, "not UTF-8");
  expectRejected(extract({testing::file("over\xc0\xae.tf", "x")}), RejectReason::BadName, "not UTF-8");
  EXPECT_TRUE(extract({testing::file("caf\xc3\xa9.tf", "x")}).ok());
}

TEST_F(SafeExtractTest, RejectsCorruptGzip) {
  const auto good = path("good.tgz");
  ASSERT_TRUE(testing::writeArchive(good, Container::TarGz, {testing::file("a", std::string(100000, 'q'))}));
  auto bytes = testing::readFile(good);
  testing::writeFile(path("trunc.tgz"), bytes.substr(0, bytes.size() / 2));
  ::mkdir(path("trunc").c_str(), 0700);
  auto r = extractArchive(path("trunc.tgz"), path("trunc"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::Corrupt) << r.error().message;
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
}

TEST_F(SafeExtractTest, ZipWhoseLocalHeaderNameDiffersFromCentralDirectoryIsRefused) {
  const auto plain = path("names.zip");
  ASSERT_TRUE(testing::writeArchive(plain, Container::Zip, {testing::file("a.tf", "x")}, "zip:compression=store"));
  auto bytes = testing::readFile(plain);
  const auto local = bytes.find("PK\x03\x04");
  ASSERT_NE(local, std::string::npos);
  bytes[local + 30] = 'b';  // local name "b.tf", central directory still says "a.tf"
  testing::writeFile(path("mismatch.zip"), bytes);
  ::mkdir(path("mismatch").c_str(), 0700);
  auto r = extractArchive(path("mismatch.zip"), path("mismatch"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::Corrupt) << r.error().message;
}

TEST_F(SafeExtractTest, ZipWithOverlappingEntriesIsRefused) {
  const auto plain = path("overlap-src.zip");
  ASSERT_TRUE(testing::writeArchive(plain, Container::Zip, {testing::file("a.tf", "aaaa"), testing::file("b.tf", "bbbb")},
                                    "zip:compression=store"));
  auto bytes = testing::readFile(plain);
  const auto central = bytes.find("PK\x01\x02");
  ASSERT_NE(central, std::string::npos);
  bytes[central + 20] = static_cast<char>(bytes[central + 20] + 100);  // a.tf's data now covers b.tf
  testing::writeFile(path("overlap.zip"), bytes);
  ::mkdir(path("overlap").c_str(), 0700);
  auto r = extractArchive(path("overlap.zip"), path("overlap"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::TooLarge) << r.error().message;
  EXPECT_NE(r.error().message.find("overlap"), std::string::npos);
}

TEST_F(SafeExtractTest, RejectsUnsupportedFormats) {
  testing::writeFile(path("plain.txt"), std::string(2000, 'z'));
  ::mkdir(path("plain").c_str(), 0700);
  auto r = extractArchive(path("plain.txt"), path("plain"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::Unsupported) << r.error().message;
  EXPECT_EQ(conditionFor(RejectReason::Unsupported), "UnsupportedArchive");
}

TEST_F(SafeExtractTest, RejectsEncryptedZip) {
  // A stored zip whose "encrypted" flag (general purpose bit 0) is set in the local and the
  // central headers: what an encrypted entry looks like to a reader.
  const auto plain = path("plain.zip");
  ASSERT_TRUE(testing::writeArchive(plain, Container::Zip, {testing::file("a.tf", "secret")},
                                    "zip:compression=store"));
  auto bytes = testing::readFile(plain);
  for (size_t at = bytes.find("PK\x03\x04"); at != std::string::npos; at = bytes.find("PK\x03\x04", at + 4)) {
    bytes[at + 6] = static_cast<char>(bytes[at + 6] | 1);
  }
  for (size_t at = bytes.find("PK\x01\x02"); at != std::string::npos; at = bytes.find("PK\x01\x02", at + 4)) {
    bytes[at + 8] = static_cast<char>(bytes[at + 8] | 1);
  }
  testing::writeFile(path("enc.zip"), bytes);
  ::mkdir(path("enc").c_str(), 0700);
  auto r = extractArchive(path("enc.zip"), path("enc"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(rejectReasonOf(r.error()), RejectReason::Unsupported) << r.error().message;
}

TEST_F(SafeExtractTest, ReasonCodesMapToConditions) {
  EXPECT_EQ(conditionFor(RejectReason::PathTraversal), "UnsafeArchive");
  EXPECT_EQ(conditionFor(RejectReason::CompressionRatio), "ArchiveTooLarge");
  EXPECT_EQ(conditionFor(RejectReason::Corrupt), "CorruptArchive");
  EXPECT_FALSE(rejectReasonOf(core::makeError(core::Errc::Invalid, "something: else")).has_value());
}

}  // namespace
}  // namespace od::adapters::archive
