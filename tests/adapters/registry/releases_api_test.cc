// The HashiCorp releases API: its page parser (pure) and ReleasesApiSource against the provider
// registry double's /v1/releases route on 127.0.0.1:0 (pages, garbage in the middle, a stuck
// cursor, delegation of other namespaces and of packages to the registry protocol source).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <optional>

#include "adapters/registry/opentofu_registry_source.h"
#include "adapters/registry/releases_api_parse.h"
#include "adapters/registry/releases_api_source.h"
#include "tests/adapters/registry/provider_registry_double.h"
#include "tests/adapters/registry/run_call.h"

namespace od::adapters::registry {
namespace {

using core::Errc;
using testing::DoubleProvider;
using testing::ProviderRegistryDouble;
using testing::RegistryFault;

constexpr char kProduct[] = "terraform-provider-aws";

std::string entry(const std::string& version, const std::string& created) {
  return R"({"name":"terraform-provider-aws","version":")" + version + R"(","timestamp_created":")" + created +
         R"(","is_prerelease":false,"builds":[{"arch":"amd64","os":"linux","url":"https://x/y.zip"}]})";
}

TEST(ReleasesApiParse, ReadsVersionsTimesAndFlags) {
  auto page = parseReleasesApiPage(
      "[" + entry("5.1.0", "2024-03-01T10:00:00.250Z") + "," +
          R"({"name":"terraform-provider-aws","version":"5.1.0-beta1","timestamp_created":"2024-02-01T10:00:00Z","is_prerelease":true})" +
          "]",
      kProduct, 1 << 20);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].version, "5.1.0");
  EXPECT_EQ((*page)[0].timestamp_created, "2024-03-01T10:00:00.250Z");
  EXPECT_FALSE((*page)[0].prerelease);
  EXPECT_TRUE((*page)[1].prerelease);
  EXPECT_GT((*page)[0].created_ns, (*page)[1].created_ns);
  EXPECT_TRUE(parseReleasesApiPage("[]", kProduct, 10).value().empty());
}

TEST(ReleasesApiParse, TimesAreRfc3339Utc) {
  EXPECT_EQ(parseRfc3339Utc("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(parseRfc3339Utc("1970-01-01T00:00:01.5Z").value(), 1500000000);
  EXPECT_EQ(parseRfc3339Utc("2024-01-01T00:00:00.000000001Z").value(), 1704067200LL * 1000000000 + 1);
  for (const char* bad : {"", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00+01:00",
                          "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z",
                          "2024-01-01T00:00:00.1234567890Z", "yesterday at noon Z"}) {
    auto t = parseRfc3339Utc(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().code, Errc::Corrupt) << bad;
  }
}

TEST(ReleasesApiParse, EveryBadShapeIsCorrupt) {
  for (std::string body :
       {std::string("<!DOCTYPE html><html></html>"), std::string(""), std::string(R"({"code":404,"message":"x"})"),
        "[" + entry("5.1.0", "2024-03-01T10:00:00Z"), std::string(R"(["5.1.0"])"),
        std::string(R"([{"name":"terraform","version":"1.0.0","timestamp_created":"2024-01-01T00:00:00Z"}])"),
        std::string(R"([{"name":"terraform-provider-aws","version":5,"timestamp_created":"2024-01-01T00:00:00Z"}])"),
        std::string(R"([{"name":"terraform-provider-aws","version":"../x","timestamp_created":"2024-01-01T00:00:00Z"}])"),
        std::string(R"([{"name":"terraform-provider-aws","version":"1.0.0"}])"),
        std::string(R"([{"name":"terraform-provider-aws","version":"1.0.0","timestamp_created":17}])"),
        std::string(R"([{"name":"terraform-provider-aws","version":"1.0.0","timestamp_created":"soon"}])"),
        std::string(R"([{"version":"1.0.0","timestamp_created":"2024-01-01T00:00:00Z","is_prerelease":"no"}])"),
        std::string(R"([{"version":"1.0.0","timestamp_created":"2024-01-01T00:00:00Z","builds":{}}])"),
        std::string(R"([{"version":"1.0.0","timestamp_created":"2024-01-01T00:00:00Z","builds":[{"os":"linux"}]}])"),
        std::string(R"([{"version":"1.0.0","timestamp_created":"2024-01-01T00:00:00Z","builds":[{"os":"linux","arch":"AMD 64"}]}])")}) {
    auto page = parseReleasesApiPage(body, kProduct, 1 << 20);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().code, Errc::Corrupt) << body;
  }
  EXPECT_EQ(parseReleasesApiPage("[" + entry("1.0.0", "2024-01-01T00:00:00Z") + "]", kProduct, 20).error().code,
            Errc::Corrupt)
      << "over the byte bound";
}

class ReleasesApiSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    testing::RegistryDoubleOptions o;
    o.providers.push_back(DoubleProvider{"hashicorp", "aws", {"5.0.0", "5.1.0", "5.2.0-beta1", "5.2.0", "5.3.0"},
                                         {{"linux", "amd64"}}, 512});
    o.providers.push_back(DoubleProvider{"hashicorp", "random", {"3.0.0"}, {{"linux", "amd64"}}, 512});
    o.providers.push_back(DoubleProvider{"acme", "widget", {"1.0.0", "1.1.0"}, {{"linux", "amd64"}}, 512});
    double_ = new ProviderRegistryDouble(o);
    auto started = double_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  static void TearDownTestSuite() {
    delete double_;
    double_ = nullptr;
  }

  void SetUp() override {
    double_->setFault(RegistryFault::None);
    registry_options_.base_url = double_->baseUrl();
    registry_options_.allow_plain_http = true;
    registry_options_.upstream_allow = {"127.0.0.1"};
    options_.base_url = double_->baseUrl();
    options_.page_limit = 2;  // 5 releases: pages of 2, 2, 1, then the empty page
    options_.transport = transportOf(registry_options_);
  }

  ReleasesApiSource& source() {
    if (!source_) {
      auto registry = OpenTofuRegistrySource::create(loop_, registry_options_);
      EXPECT_TRUE(registry.ok());
      registry_ = std::move(*registry);
      auto made = ReleasesApiSource::create(loop_, options_, *registry_);
      EXPECT_TRUE(made.ok()) << made.error().message;
      source_ = std::move(*made);
    }
    return *source_;
  }

  template <typename T, typename Start>
  core::Result<T> run(Start start) {
    return od::testing::runCall<T>(loop_, std::chrono::seconds(20), std::move(start));
  }

  core::Result<std::vector<std::string>> versions(std::string ns = "hashicorp", std::string type = "aws") {
    return run<std::vector<std::string>>([&](auto cb) { return source().listVersions({ns, type}, cb); });
  }

  static ProviderRegistryDouble* double_;
  RegistryOptions registry_options_;
  ReleasesApiOptions options_;
  loop::EventLoop loop_;
  std::unique_ptr<OpenTofuRegistrySource> registry_;
  std::unique_ptr<ReleasesApiSource> source_;
};

ProviderRegistryDouble* ReleasesApiSourceTest::double_ = nullptr;

TEST_F(ReleasesApiSourceTest, ListsEveryPageNewestFirstUntilAnEmptyPage) {
  int64_t before = double_->releasesRequests();
  auto v = versions();
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, (std::vector<std::string>{"5.3.0", "5.2.0", "5.2.0-beta1", "5.1.0", "5.0.0"}));
  EXPECT_EQ(double_->releasesRequests() - before, 4);
}

TEST_F(ReleasesApiSourceTest, AddressesAreCaseInsensitive) {
  int64_t before = double_->releasesRequests();
  auto v = versions("HashiCorp", "AWS");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->size(), 5u);
  EXPECT_EQ(double_->releasesRequests() - before, 4) << "listed by the releases API";
}

TEST_F(ReleasesApiSourceTest, OtherNamespacesAreListedByTheRegistry) {
  int64_t before = double_->releasesRequests();
  auto v = versions("acme", "widget");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, (std::vector<std::string>{"1.0.0", "1.1.0"}));
  EXPECT_EQ(double_->releasesRequests(), before);
}

TEST_F(ReleasesApiSourceTest, GarbageOnAPageInTheMiddleFailsTheListing) {
  for (auto fault : {RegistryFault::ReleasesHtml, RegistryFault::ReleasesTruncated,
                     RegistryFault::ReleasesWrongProduct}) {
    double_->setFault(fault, 2);
    auto v = versions();
    ASSERT_FALSE(v.ok()) << static_cast<int>(fault);
    EXPECT_EQ(v.error().code, Errc::Corrupt) << v.error().message;
    EXPECT_NE(v.error().message.find("page 2"), std::string::npos) << v.error().message;
  }
  double_->setFault(RegistryFault::ReleasesServerError, 3);
  auto unavailable = versions();
  ASSERT_FALSE(unavailable.ok());
  EXPECT_EQ(unavailable.error().code, Errc::Unavailable);
  double_->setFault(RegistryFault::ReleasesRateLimited, 2);
  auto limited = versions();
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::Unavailable);
  EXPECT_NE(limited.error().message.find("retry after 7 s"), std::string::npos) << limited.error().message;
}

TEST_F(ReleasesApiSourceTest, OneRateLimitedAnswerFailsOnceThenTheListingHeals) {
  double_->setFault(RegistryFault::ReleasesRateLimited, 2, 1);
  auto limited = versions();
  ASSERT_FALSE(limited.ok());
  EXPECT_TRUE(limited.error().retryable()) << limited.error().describe();
  auto healed = versions();
  ASSERT_TRUE(healed.ok()) << healed.error().message;
  EXPECT_EQ(healed->size(), 5u);
}

TEST_F(ReleasesApiSourceTest, CursorThatDoesNotAdvanceIsCorruptNotEndless) {
  double_->setFault(RegistryFault::ReleasesStuckCursor);
  int64_t before = double_->releasesRequests();
  auto v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Corrupt);
  EXPECT_NE(v.error().message.find("does not advance"), std::string::npos) << v.error().message;
  EXPECT_EQ(double_->releasesRequests() - before, 2);
}

TEST_F(ReleasesApiSourceTest, PageCapStopsTheListing) {
  options_.max_pages = 2;
  auto v = versions();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::Corrupt);
  EXPECT_NE(v.error().message.find("more than 2 pages"), std::string::npos) << v.error().message;
}

TEST_F(ReleasesApiSourceTest, UnknownProductIsNotFoundAndBadNamesAreInvalid) {
  auto unknown = versions("hashicorp", "nothing");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  int64_t before = double_->releasesRequests();
  auto bad = versions("hashicorp", "a/../b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::Invalid);
  EXPECT_EQ(double_->releasesRequests(), before) << "refused before any request";
}

TEST_F(ReleasesApiSourceTest, VersionPublishedLaterAppearsInTheNextListing) {
  auto first = versions("hashicorp", "random");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, std::vector<std::string>{"3.0.0"});
  ASSERT_TRUE(double_->addVersion("hashicorp", "random", "3.1.0").ok());
  EXPECT_EQ(double_->addVersion("hashicorp", "random", "3.1.0").error().code, Errc::Conflict);
  auto second = versions("hashicorp", "random");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, (std::vector<std::string>{"3.1.0", "3.0.0"}));
  auto package = run<core::ProviderPackage>(
      [&](auto cb) { return source().resolve({"hashicorp", "random"}, "3.1.0", "linux", "amd64", cb); });
  ASSERT_TRUE(package.ok()) << package.error().message;
  EXPECT_EQ(package->filename, "terraform-provider-random_3.1.0_linux_amd64.zip") << "packages come from the registry";
}

TEST_F(ReleasesApiSourceTest, CancelledListingNeverCallsBack) {
  bool called = false;
  auto handle = source().listVersions({"hashicorp", "aws"}, [&](auto) { called = true; });
  EXPECT_EQ(source().inFlight(), 1u);
  handle->cancel();
  EXPECT_EQ(source().inFlight(), 0u);
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_FALSE(called);
}

TEST_F(ReleasesApiSourceTest, DestroyingTheSourceCancelsItsListings) {
  bool called = false;
  auto handle = source().listVersions({"hashicorp", "aws"}, [&](auto) { called = true; });
  EXPECT_EQ(source().inFlight(), 1u);  // the first page's transfer has started
  source_.reset();
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_FALSE(called);
  handle.reset();  // a handle outliving its source is a no-op
}

TEST_F(ReleasesApiSourceTest, OptionsAreValidated) {
  ReleasesApiOptions o;
  EXPECT_TRUE(validateOptions(o).ok());
  o.page_limit = 21;
  EXPECT_EQ(validateOptions(o).error().code, Errc::Invalid);
  o.page_limit = 0;
  EXPECT_FALSE(validateOptions(o).ok());
  o.page_limit = 20;
  o.base_url = "http://127.0.0.1:1";
  EXPECT_FALSE(validateOptions(o).ok()) << "plain http needs the option";
  o.transport.allow_plain_http = true;
  EXPECT_TRUE(validateOptions(o).ok());
  o.base_url = "https://x/?q";
  EXPECT_FALSE(validateOptions(o).ok());
  o.base_url = "https://x";
  o.max_pages = 0;
  EXPECT_FALSE(validateOptions(o).ok());
}

TEST_F(ReleasesApiSourceTest, RegistryVersionsGarbageIsCorrupt) {
  for (auto fault : {RegistryFault::VersionsTruncated, RegistryFault::VersionsWrongTypes}) {
    double_->setFault(fault);
    auto v = versions("acme", "widget");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, Errc::Corrupt) << v.error().message;
  }
}

}  // namespace
}  // namespace od::adapters::registry
