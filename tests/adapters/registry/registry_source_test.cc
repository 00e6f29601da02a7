// OpenTofuRegistrySource against the provider registry double on 127.0.0.1:0 (in-process,
// real sockets).
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "adapters/registry/opentofu_registry_source.h"
#include "tests/adapters/registry/provider_registry_double.h"
#include "tests/adapters/registry/run_call.h"

namespace od::adapters::registry {
namespace {

using core::Errc;
using testing::DoubleProvider;
using testing::ProviderRegistryDouble;
using testing::RegistryFault;
namespace fs = std::filesystem;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Peak resident set (VmHWM) of this process in KiB.
int64_t peakRssKib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

class RegistrySourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    testing::RegistryDoubleOptions o;
    o.providers.push_back(DoubleProvider{"acme", "widget", {"1.0.0", "1.1.0"}, {{"linux", "amd64"}, {"darwin", "arm64"}}, 4096});
    double_ = new ProviderRegistryDouble(o);
    auto started = double_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  static void TearDownTestSuite() {
    delete double_;
    double_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(double_->port(), 0);
    double_->setFault(RegistryFault::None);
    double_->setDownloadBody(std::nullopt);
    options_.base_url = double_->baseUrl();
    options_.allow_plain_http = true;
    options_.upstream_allow = {"127.0.0.1"};
    char tmpl[] = "/tmp/od-regsrc-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    source_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  OpenTofuRegistrySource& source() {
    if (!source_) {
      auto made = OpenTofuRegistrySource::create(loop_, options_);
      EXPECT_TRUE(made.ok()) << made.error().message;
      source_ = std::move(*made);
    }
    return *source_;
  }

  template <typename T, typename Start>
  core::Result<T> run(Start start) {
    return od::testing::runCall<T>(loop_, std::chrono::seconds(60), std::move(start));
  }

  core::Result<std::vector<std::string>> versions(std::string ns = "acme", std::string type = "widget") {
    return run<std::vector<std::string>>([&](auto cb) { return source().listVersions({ns, type}, cb); });
  }
  core::Result<core::ProviderPackage> resolve(std::string version, std::string os = "linux",
                                              std::string arch = "amd64", std::string type = "widget") {
    return run<core::ProviderPackage>(
        [&](auto cb) { return source().resolve({"acme", type}, version, os, arch, cb); });
  }
  core::Result<core::FetchedFile> download(const std::string& url, const std::string& dest) {
    return run<core::FetchedFile>([&](auto cb) { return source().download(url, dest, cb); });
  }
  core::Result<std::string> small(const std::string& url, size_t max) {
    return run<std::string>([&](auto cb) { return source().fetchSmall(url, max, cb); });
  }

  static ProviderRegistryDouble* double_;
  RegistryOptions options_;
  loop::EventLoop loop_;
  std::unique_ptr<OpenTofuRegistrySource> source_;
  std::string dir_;
};

ProviderRegistryDouble* RegistrySourceTest::double_ = nullptr;

TEST_F(RegistrySourceTest, ListsVersions) {
  auto v = versions();
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, (std::vector<std::string>{"1.0.0", "1.1.0"}));
  auto upper = versions("ACME", "Widget");
  ASSERT_TRUE(upper.ok()) << upper.error().message << " (addresses are case-insensitive)";
  EXPECT_EQ(*upper, (std::vector<std::string>{"1.0.0", "1.1.0"}));
  auto unknown = versions("acme", "nothing");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
}

TEST_F(RegistrySourceTest, VersionsFaultsMapToErrors) {
  double_->setFault(RegistryFault::VersionsServerError);
  auto v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Unavailable);
  EXPECT_TRUE(v.error().retryable());
  double_->setFault(RegistryFault::VersionsRateLimited);
  v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Unavailable);
  EXPECT_NE(v.error().message.find("retry after 7 s"), std::string::npos) << v.error().message;
  double_->setFault(RegistryFault::VersionsHtml);
  v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Corrupt);
  EXPECT_NE(v.error().message.find("not JSON"), std::string::npos) << v.error().message;
}

TEST_F(RegistrySourceTest, ResolvesDownloadsAndFetchesSums) {
  auto pkg = resolve("1.1.0");
  ASSERT_TRUE(pkg.ok()) << pkg.error().message;
  EXPECT_EQ(pkg->filename, "terraform-provider-widget_1.1.0_linux_amd64.zip");
  ASSERT_EQ(pkg->signing_keys_armored.size(), 1u);
  EXPECT_EQ(pkg->signing_keys_armored[0], double_->publicKeyArmored());
  auto file = download(pkg->download_url, dir_ + "/p.zip");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->sha256, pkg->shasum);
  EXPECT_EQ(file->size, fs::file_size(dir_ + "/p.zip"));
  EXPECT_EQ(file->path, dir_ + "/p.zip");
  DoubleProvider widget{"acme", "widget", {}, {}, 0};
  EXPECT_EQ(readFile(dir_ + "/p.zip"), readFile(double_->filePath(widget, "1.1.0", pkg->filename)));
  auto sums = small(pkg->shasums_url, 64 * 1024);
  ASSERT_TRUE(sums.ok()) << sums.error().message;
  EXPECT_NE(sums->find(pkg->shasum.hex() + "  " + pkg->filename + "\n"), std::string::npos) << *sums;
  std::string darwin = double_->zipSha256(widget, "1.1.0", "darwin", "arm64");
  EXPECT_NE(darwin, pkg->shasum.hex());  // every platform's zip is its own
  EXPECT_NE(sums->find(darwin + "  terraform-provider-widget_1.1.0_darwin_arm64.zip\n"), std::string::npos);
  auto sig = small(pkg->shasums_signature_url, 8 * 1024);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_FALSE(sig->empty());
}

TEST_F(RegistrySourceTest, DoubleSignaturesVerifyAndFaultsBreakThem) {
  auto pkg = resolve("1.0.0");
  ASSERT_TRUE(pkg.ok()) << pkg.error().message;
  auto sums = small(pkg->shasums_url, 64 * 1024);
  auto good = small(pkg->shasums_signature_url, 8 * 1024);
  double_->setFault(RegistryFault::BadSignature);
  auto bad = small(pkg->shasums_signature_url, 8 * 1024);
  double_->setFault(RegistryFault::TamperedZip);
  auto tampered = download(pkg->download_url, dir_ + "/t.zip");
  ASSERT_TRUE(sums.ok() && good.ok() && bad.ok() && tampered.ok());
  EXPECT_NE(tampered->sha256, pkg->shasum);  // the caller's check sees the tampering
  std::ofstream(dir_ + "/key.asc") << pkg->signing_keys_armored[0];
  std::ofstream(dir_ + "/SHA256SUMS") << *sums;
  std::ofstream(dir_ + "/good.sig") << *good;
  std::ofstream(dir_ + "/bad.sig") << *bad;
  fs::create_directories(dir_ + "/gpg");
  fs::permissions(dir_ + "/gpg", fs::perms::owner_all);
  std::string gpg = "gpg --batch --quiet --homedir '" + dir_ + "/gpg' ";
  ASSERT_EQ(std::system((gpg + "--import '" + dir_ + "/key.asc' >/dev/null 2>&1").c_str()), 0);
  std::string verify = gpg + "--verify '" + dir_ + "/%s' '" + dir_ + "/SHA256SUMS' >/dev/null 2>&1";
  char cmd[1024];
  std::snprintf(cmd, sizeof cmd, verify.c_str(), "good.sig");
  EXPECT_EQ(std::system(cmd), 0);
  std::snprintf(cmd, sizeof cmd, verify.c_str(), "bad.sig");
  EXPECT_NE(std::system(cmd), 0);
  (void)std::system(("gpgconf --homedir '" + dir_ + "/gpg' --kill all >/dev/null 2>&1").c_str());
}

TEST_F(RegistrySourceTest, ResolveRefusesBadAnswersAndNames) {
  double_->setFault(RegistryFault::MissingPlatform);
  auto missing = resolve("1.0.0", "darwin", "arm64");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_TRUE(resolve("1.0.0", "linux", "amd64").ok());
  EXPECT_EQ(resolve("9.9.9").error().code, Errc::NotFound);
  double_->setFault(RegistryFault::DownloadHtml);
  auto html = resolve("1.0.0");
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().code, Errc::Corrupt);
  double_->setFault(RegistryFault::None);
  double_->setDownloadBody(R"({"filename":"p.zip","download_url":"https://x/p.zip","shasums_url":"https://x/S",)"
                           R"("shasums_signature_url":"https://x/S.sig","shasum":"zz","signing_keys":{"gpg_public_keys":[]}})");
  auto bad = resolve("1.0.0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::Corrupt);
  EXPECT_NE(bad.error().message.find("shasum"), std::string::npos) << bad.error().message;
  for (auto [version, os, arch, type] : {std::tuple{"../1", "linux", "amd64", "widget"},
                                         {"1.0.0", "linux/..", "amd64", "widget"},
                                         {"1.0.0", "linux", "", "widget"},
                                         {"1.0.0", "linux", "amd64", "a/b"}}) {
    auto r = resolve(version, os, arch, type);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::Invalid) << r.error().message;
  }
}

TEST_F(RegistrySourceTest, DownloadOverTheLimitIsRefusedAndRemoved) {
  options_.max_download_bytes = 1000;
  auto pkg = resolve("1.0.0");
  ASSERT_TRUE(pkg.ok());
  auto file = download(pkg->download_url, dir_ + "/big.zip");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::Invalid);
  EXPECT_FALSE(fs::exists(dir_ + "/big.zip"));
  auto sums = small(pkg->shasums_url, 10);
  ASSERT_FALSE(sums.ok());
  EXPECT_EQ(sums.error().code, Errc::Corrupt);
}

TEST_F(RegistrySourceTest, DownloadErrorsMapAndLeaveNoFile) {
  auto missing = download(double_->baseUrl() + "/files/acme/widget/1.0.0/nope.zip", dir_ + "/m.zip");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_FALSE(fs::exists(dir_ + "/m.zip"));
  auto relative = download("/files/x.zip", dir_ + "/r.zip");
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.error().code, Errc::Invalid);
  auto refused = download("http://127.0.0.1:1/x.zip", dir_ + "/c.zip");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::Unavailable);
  EXPECT_FALSE(fs::exists(dir_ + "/c.zip"));
}

TEST_F(RegistrySourceTest, CancelledDownloadRemovesTheFileAndNeverCallsBack) {
  auto pkg = resolve("1.0.0");
  ASSERT_TRUE(pkg.ok());
  bool called = false;
  auto handle = source().download(pkg->download_url, dir_ + "/x.zip", [&](auto) { called = true; });
  EXPECT_TRUE(fs::exists(dir_ + "/x.zip"));
  handle->cancel();
  EXPECT_FALSE(fs::exists(dir_ + "/x.zip"));
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_FALSE(called);
}

TEST_F(RegistrySourceTest, NonPublicAddressesNeedUpstreamAllow) {
  options_.upstream_allow.clear();
  auto v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Permission) << v.error().message;
}

TEST_F(RegistrySourceTest, OptionsAreValidated) {
  RegistryOptions o;
  EXPECT_TRUE(validateOptions(o).ok());
  o.base_url = "http://registry.example";
  EXPECT_FALSE(validateOptions(o).ok());
  o.allow_plain_http = true;
  EXPECT_TRUE(validateOptions(o).ok());
  o.base_url = "registry.example";
  EXPECT_FALSE(validateOptions(o).ok());
  o.base_url = "https://r.example/?x=1";
  EXPECT_FALSE(validateOptions(o).ok());
  o = RegistryOptions{};
  o.max_download_bytes = 0;
  EXPECT_FALSE(validateOptions(o).ok());
  EXPECT_FALSE(OpenTofuRegistrySource::create(loop_, o).ok());
}

// 64 MiB streamed to disk and hashed while the peak RSS stays within a few MiB of where it was.
TEST(RegistryLargeDownload, StreamsAndHashesInBoundedMemory) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  testing::RegistryDoubleOptions o;
  constexpr uint64_t kPayload = 64ull << 20;
  o.providers.push_back(DoubleProvider{"acme", "huge", {"2.0.0"}, {{"linux", "amd64"}}, kPayload});
  ProviderRegistryDouble big(o);
  ASSERT_TRUE(big.start().ok());
  loop::EventLoop loop;
  RegistryOptions options;
  options.base_url = big.baseUrl();
  options.allow_plain_http = true;
  options.upstream_allow = {"127.0.0.1"};
  auto source = OpenTofuRegistrySource::create(loop, options);
  ASSERT_TRUE(source.ok());
  std::optional<core::Result<core::ProviderPackage>> pkg;
  auto h1 = (*source)->resolve({"acme", "huge"}, "2.0.0", "linux", "amd64", [&](auto r) { pkg = std::move(r); });
  loop.runUntil([&] { return pkg.has_value(); }, std::chrono::seconds(30));
  ASSERT_TRUE(pkg && pkg->ok());
  char tmpl[] = "/tmp/od-reglarge-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dest = std::string(tmpl) + "/huge.zip";
  // Reset the peak to the current RSS (Linux clear_refs "5"), so VmHWM shows this download only.
  bool reset = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
  int64_t before = peakRssKib();
  std::optional<core::Result<core::FetchedFile>> file;
  auto h2 = (*source)->download((*pkg)->download_url, dest, [&](auto r) { file = std::move(r); });
  loop.runUntil([&] { return file.has_value(); }, std::chrono::seconds(120));
  int64_t after = peakRssKib();
  ASSERT_TRUE(file && file->ok()) << (file ? file->error().message : "timeout");
  EXPECT_GT((*file)->size, kPayload);
  EXPECT_EQ((*file)->sha256, (*pkg)->shasum);
  EXPECT_EQ(fs::file_size(dest), (*file)->size);
  ::testing::Test::RecordProperty("peak_rss_growth_kib", std::to_string(after - before));
  EXPECT_LT(after - before, 16 * 1024) << "peak RSS grew by " << (after - before) << " KiB (reset "
                                       << reset << ")";
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

}  // namespace
}  // namespace od::adapters::registry
