// GithubModuleSource::listReleases against the GitHub double on 127.0.0.1:0: several pages with a
// rate-limit answer in the middle (429 + Retry-After, a 403 primary limit, a secondary limit
// without headers, a limit used up before the next page), bounded waits, garbage in the middle,
// App auth seeing drafts, and releases published while the double runs.
// Waits run through a clock that records each delay and moves both the source's and the
// double's time forward by it, so no test sleeps.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapters/github/app_auth.h"
#include "adapters/github/github_module_source.h"
#include "core/base64.h"
#include "tests/adapters/github/github_double.h"
#include "tests/adapters/github/test_support.h"

namespace od::adapters::github {
namespace {

using core::Errc;
using std::chrono::seconds;
using testing::DoubleRepo;
using testing::FaultPlan;
using testing::GithubDouble;
using testing::ReleasesFault;

// after(): records the delay, moves `shared` (the double's time) and its own time by it, then
// runs the function from the loop at once — or keeps it when held (cancel tests).
class JumpClock final : public core::Clock {
 public:
  JumpClock(loop::EventLoop& loop, testing::OffsetClock& shared) : own_(loop), shared_(shared) {}
  TimePoint now() const override { return own_.now(); }
  core::CancelablePtr after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    delays.push_back(std::chrono::duration_cast<seconds>(delay));
    if (hold) {
      held.push_back(std::move(fn));
      return core::completedHandle();
    }
    int64_t jump = (delay.count() + 999) / 1000;
    own_.shift(jump);
    shared_.shift(jump);
    return own_.after(std::chrono::milliseconds(0), std::move(fn));
  }
  std::vector<seconds> delays;
  bool hold = false;
  std::vector<std::function<void()>> held;

 private:
  testing::OffsetClock own_;
  testing::OffsetClock& shared_;
};

const testing::RsaKeyPair& appKey() {
  static const testing::RsaKeyPair key = testing::makeRsaKey();
  return key;
}

class GithubListingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    fixture_ = tmp_.path() + "/fixture";
    std::filesystem::create_directories(fixture_);
    std::ofstream(fixture_ + "/main.tf") << "variable \"x\" {}\n";
    DoubleRepo many{"acme", "many", fixture_, {}, {}, false};
    for (int i = 0; i < 250; ++i) {  // three pages of 100: 100, 100, 50 (49 for anonymous)
      many.releases.push_back({"v0.0." + std::to_string(i), i == 7, i % 50 == 3});
    }
    options_double_.repos.push_back(many);
    options_double_.app_public_key_pem = appKey().public_pem;
    options_double_.app_id = 4242;
    options_double_.installation_id = 77;
    options_double_.now = [this] { return server_clock_.unixSeconds(); };
    options_.allow_plain_http = true;
  }

  void startDouble() {
    double_ = std::make_unique<GithubDouble>(options_double_);
    ASSERT_TRUE(double_->start().ok());
    options_.api_url = double_->apiUrl();
  }

  GithubModuleSource& source() {
    if (!source_) {
      SecretReader secrets = [](std::string, std::string, std::function<void(core::Result<SecretData>)> done) {
        done(SecretData{{"githubAppID", "4242"},
                        {"githubInstallID", "77"},
                        {"githubPrivateKey", core::base64Encode(appKey().private_pkcs1)}});
        return core::completedHandle();
      };
      auto made = GithubModuleSource::create(loop_, clock_, std::move(secrets), options_);
      EXPECT_TRUE(made.ok());
      source_ = std::move(*made);
    }
    return *source_;
  }

  core::Result<std::vector<core::Release>> list(core::GithubAuth auth = {}) {
    std::optional<core::Result<std::vector<core::Release>>> out;
    auto handle = source().listReleases("acme", "many", auth, [&](auto r) { out = std::move(r); });
    loop_.runUntil([&] { return out.has_value(); }, seconds(20));
    if (!out) {
      return core::makeError(Errc::Internal, "no answer within 20 s");
    }
    return std::move(*out);
  }

  void fault(ReleasesFault kind, int page, int times, int64_t retry_after = 1) {
    FaultPlan plan;
    plan.fault = kind;
    plan.page = page;
    plan.times = times;
    plan.retry_after = retry_after;
    double_->setReleasesFault("acme/many", plan);
  }

  testing::TempDir tmp_;
  std::string fixture_;
  loop::EventLoop loop_;
  testing::OffsetClock server_clock_{loop_};
  JumpClock clock_{loop_, server_clock_};
  testing::DoubleOptions options_double_;
  std::unique_ptr<GithubDouble> double_;
  GithubOptions options_;
  std::unique_ptr<GithubModuleSource> source_;
};

TEST_F(GithubListingTest, RetryAfterInTheMiddleIsWaitedOutAndEveryPageArrives) {
  startDouble();
  fault(ReleasesFault::RateLimited, 2, 1, 7);
  auto r = list();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 249u);
  EXPECT_EQ(r->back().tag, "v0.0.0");
  EXPECT_EQ(double_->releasePageRequests(), 4) << "page 2 was asked twice";
  EXPECT_EQ(clock_.delays, std::vector<seconds>{seconds(7)});
}

TEST_F(GithubListingTest, PrimaryLimitInTheMiddleWaitsUntilTheReset) {
  startDouble();
  fault(ReleasesFault::PrimaryLimit, 3, 1, 30);
  auto r = list();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 249u);
  ASSERT_EQ(clock_.delays.size(), 1u);
  EXPECT_NEAR(clock_.delays[0].count(), 30, 1);
}

TEST_F(GithubListingTest, SecondaryLimitWithoutHeadersWaitsAMinute) {
  startDouble();
  fault(ReleasesFault::SecondaryLimit, 1, 1);
  auto r = list();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 249u);
  EXPECT_EQ(clock_.delays, std::vector<seconds>{seconds(60)});
}

TEST_F(GithubListingTest, WaitLongerThanTheBoundIsUnavailableNamingWhenToRetry) {
  startDouble();
  fault(ReleasesFault::RateLimited, 2, 0, 3600);
  auto r = list();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_TRUE(r.error().retryable());
  EXPECT_NE(r.error().message.find("retry after 3600 s"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("page 2"), std::string::npos) << r.error().message;
  EXPECT_TRUE(clock_.delays.empty()) << "an hour is not slept through";
  EXPECT_EQ(double_->releasePageRequests(), 2);
}

TEST_F(GithubListingTest, WaitsAreBoundedPerListing) {
  options_.max_rate_limit_waits = 3;
  startDouble();
  fault(ReleasesFault::RateLimited, 0, 0, 2);  // every page, forever
  auto r = list();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_NE(r.error().message.find("after 3 bounded waits"), std::string::npos) << r.error().message;
  EXPECT_EQ(clock_.delays.size(), 3u);
  EXPECT_EQ(double_->releasePageRequests(), 4);
}

TEST_F(GithubListingTest, ZeroBoundNeverWaits) {
  options_.max_rate_limit_wait = seconds(0);
  startDouble();
  fault(ReleasesFault::RateLimited, 1, 1, 1);
  auto r = list();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_TRUE(clock_.delays.empty());
}

TEST_F(GithubListingTest, LimitUsedUpBeforeTheNextPageWaitsForTheNewWindow) {
  options_double_.rate_limit = 2;
  options_double_.rate_window_seconds = 20;
  startDouble();
  auto r = list();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 249u);
  ASSERT_EQ(clock_.delays.size(), 1u);
  EXPECT_NEAR(clock_.delays[0].count(), 20, 1);
  EXPECT_EQ(double_->releasePageRequests(), 3) << "no request is spent on a certain refusal";
}

TEST_F(GithubListingTest, LimitUsedUpForAnHourIsUnavailableWithoutAFurtherRequest) {
  options_double_.rate_limit = 2;
  startDouble();
  auto r = list();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_NE(r.error().message.find("used up before the next page"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(double_->releasePageRequests(), 2);
}

TEST_F(GithubListingTest, GarbageInTheMiddleFailsTheWholeListing) {
  startDouble();
  for (auto kind : {ReleasesFault::Html, ReleasesFault::Truncated, ReleasesFault::WrongTypes,
                    ReleasesFault::EmptyBody, ReleasesFault::WrongShape}) {
    fault(kind, 2, 1);
    auto r = list();
    ASSERT_FALSE(r.ok()) << static_cast<int>(kind);
    EXPECT_EQ(r.error().code, Errc::Corrupt) << r.error().describe();
    EXPECT_NE(r.error().message.find("page 2"), std::string::npos) << r.error().message;
  }
  fault(ReleasesFault::ServerError, 3, 1);
  auto bad_gateway = list();
  ASSERT_FALSE(bad_gateway.ok());
  EXPECT_EQ(bad_gateway.error().code, Errc::Unavailable);
  EXPECT_TRUE(clock_.delays.empty()) << "a 502 is retried by the caller's backoff, not here";
  EXPECT_TRUE(list().ok()) << "the faults were one answer each";
}

TEST_F(GithubListingTest, AppAuthenticatedListingSeesAndFlagsTheDraft) {
  startDouble();
  fault(ReleasesFault::RateLimited, 2, 1, 3);
  auto r = list(core::GithubAuth{true, "team"});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 250u);
  size_t drafts = 0;
  for (const auto& rel : *r) {
    drafts += rel.draft ? 1 : 0;
    if (rel.draft) {
      EXPECT_EQ(rel.tag, "v0.0.7");
    }
  }
  EXPECT_EQ(drafts, 1u);
  EXPECT_EQ(double_->tokensIssued(), 1);
}

TEST_F(GithubListingTest, ReleasePublishedLaterAppearsInTheNextListing) {
  startDouble();
  ASSERT_TRUE(list().ok());
  ASSERT_TRUE(double_->addRelease("acme/many", {"v1.0.0"}).ok());
  EXPECT_EQ(double_->addRelease("acme/many", {"v1.0.0"}).error().code, Errc::Conflict);
  EXPECT_EQ(double_->addRelease("acme/none", {"v1.0.0"}).error().code, Errc::NotFound);
  auto r = list();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 250u);
  EXPECT_EQ(r->front().tag, "v1.0.0") << "GitHub lists the newest first";
  EXPECT_FALSE(double_->archive("acme/many", "v1.0.0", true).empty());
}

TEST_F(GithubListingTest, UnchangedPagesAreRevalidatedWithEtagsAndCostNoRateLimit) {
  options_double_.rate_limit = 7;  // three listings of three pages would need 9
  startDouble();
  auto first = list(core::GithubAuth{true, "team"});
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(double_->notModified(), 0);
  auto second = list(core::GithubAuth{true, "team"});
  ASSERT_TRUE(second.ok()) << second.error().describe() << " (304s must not spend the limit)";
  EXPECT_EQ(double_->notModified(), 3);
  ASSERT_EQ(second->size(), first->size());
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ((*second)[i].tag, (*first)[i].tag);
    EXPECT_EQ((*second)[i].draft, (*first)[i].draft);
  }
  ASSERT_TRUE(double_->addRelease("acme/many", {"v2.0.0"}).ok());
  auto third = list(core::GithubAuth{true, "team"});
  ASSERT_TRUE(third.ok()) << third.error().describe();
  EXPECT_EQ(third->size(), 251u);
  EXPECT_EQ(third->front().tag, "v2.0.0") << "a changed page is fetched again, not taken from the cache";
}

TEST_F(GithubListingTest, KeptPagesAreSeparatePerAuthScope) {
  startDouble();
  auto anonymous = list();
  ASSERT_TRUE(anonymous.ok()) << anonymous.error().describe();
  EXPECT_EQ(anonymous->size(), 249u);
  auto app = list(core::GithubAuth{true, "team"});
  ASSERT_TRUE(app.ok()) << app.error().describe();
  EXPECT_EQ(app->size(), 250u) << "the draft, which an anonymous page never had";
  EXPECT_EQ(double_->notModified(), 0);
}

TEST_F(GithubListingTest, NoKeptPagesWhenTheCacheIsOff) {
  options_.max_cached_pages = 0;
  startDouble();
  ASSERT_TRUE(list().ok());
  ASSERT_TRUE(list().ok());
  EXPECT_EQ(double_->notModified(), 0);
}

TEST_F(GithubListingTest, CancelDuringARateLimitWaitNeverCallsBack) {
  startDouble();
  fault(ReleasesFault::RateLimited, 1, 0, 5);
  clock_.hold = true;
  bool called = false;
  auto handle = source().listReleases("acme", "many", {}, [&](auto) { called = true; });
  loop_.runUntil([&] { return !clock_.held.empty(); }, seconds(20));
  ASSERT_EQ(clock_.held.size(), 1u);
  handle->cancel();
  EXPECT_EQ(source().inFlight(), 0u);
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace od::adapters::github
