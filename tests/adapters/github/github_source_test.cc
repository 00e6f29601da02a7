// GithubModuleSource against the GitHub double on 127.0.0.1:0 (in-process, real sockets).
#include <curl/curl.h>
#include <openssl/evp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "adapters/github/app_auth.h"
#include "adapters/github/github_module_source.h"
#include "core/base64.h"
#include "tests/adapters/github/github_double.h"
#include "tests/adapters/github/test_support.h"

namespace od::adapters::github {
namespace {

using core::Errc;
using testing::DoubleRelease;
using testing::DoubleRepo;
using testing::GithubDouble;
using testing::ReleasesFault;
namespace fs = std::filesystem;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const testing::RsaKeyPair& appKey() {
  static const testing::RsaKeyPair key = testing::makeRsaKey();
  return key;
}

class GithubSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    fixture_ = tmp_.path() + "/fixture";
    fs::create_directories(fixture_ + "/modules/inner");
    std::ofstream(fixture_ + "/main.tf") << "variable \"x\" {}\n";
    std::ofstream(fixture_ + "/modules/inner/main.tf") << "output \"y\" { value = 1 }\n";
    testing::DoubleOptions o;
    o.repos.push_back(DoubleRepo{"acme", "vmod", fixture_,
                                 {{"v1.0.0"}, {"v1.1.0"}, {"2.0.0"}, {"v3.0.0-rc1", false, true}},
                                 {}, false});
    o.repos.push_back(DoubleRepo{"acme", "secret-mod", fixture_, {{"v0.1.0"}}, {}, true});
    DoubleRepo many{"acme", "many", fixture_, {}, {}, false};
    for (int i = 0; i < 250; ++i) {
      many.releases.push_back({"v0.0." + std::to_string(i), i == 7, i % 50 == 3});
    }
    o.repos.push_back(many);
    o.app_public_key_pem = appKey().public_pem;
    o.app_id = 4242;
    o.installation_id = 77;
    o.now = [this] { return server_clock_.unixSeconds(); };
    double_ = std::make_unique<GithubDouble>(o);
    ASSERT_TRUE(double_->start().ok());
    options_.api_url = double_->apiUrl();
    options_.allow_plain_http = true;
    secrets_["team"] = validSecret();
  }

  SecretData validSecret() const {
    return {{"githubAppID", "4242"},
            {"githubInstallID", "77"},
            {"githubPrivateKey", core::base64Encode(appKey().private_pkcs1)}};
  }

  SecretReader reader() {
    return [this](std::string ns, std::string name,
                  std::function<void(core::Result<SecretData>)> done) {
      ++secret_reads_;
      auto it = secrets_.find(ns);
      if (name != kAppSecretName || it == secrets_.end()) {
        done(core::makeError(Errc::NotFound, "secrets \"" + name + "\" not found"));
      } else {
        done(it->second);  // answers inside the call, like the dev store
      }
      return core::completedHandle();
    };
  }

  GithubModuleSource& source() {
    if (!source_) {
      auto made = GithubModuleSource::create(loop_, clock_, reader(), options_);
      EXPECT_TRUE(made.ok());
      source_ = std::move(*made);
    }
    return *source_;
  }

  core::ModuleFetch request(std::string repo, std::string version, std::string format = "zip") {
    core::ModuleFetch f;
    f.owner = "acme";
    f.repo = std::move(repo);
    f.version = std::move(version);
    f.format = std::move(format);
    f.dest_path = tmp_.path() + "/out-" + std::to_string(++files_);
    return f;
  }

  core::Result<core::FetchedFile> fetch(core::ModuleFetch f) {
    std::optional<core::Result<core::FetchedFile>> out;
    bool returned = false;
    auto handle = source().fetch(std::move(f), [&](core::Result<core::FetchedFile> r) {
      EXPECT_TRUE(returned) << "callback ran inside fetch()";
      out = std::move(r);
    });
    returned = true;
    loop_.runUntil([&] { return out.has_value(); }, std::chrono::seconds(20));
    if (!out) {
      return core::makeError(Errc::Internal, "no answer within 20 s");
    }
    return std::move(*out);
  }

  core::Result<std::vector<core::Release>> list(std::string repo, core::GithubAuth auth = {}) {
    std::optional<core::Result<std::vector<core::Release>>> out;
    auto handle = source().listReleases("acme", std::move(repo), auth,
                                        [&](auto r) { out = std::move(r); });
    loop_.runUntil([&] { return out.has_value(); }, std::chrono::seconds(20));
    if (!out) {
      return core::makeError(Errc::Internal, "no answer within 20 s");
    }
    return std::move(*out);
  }

  static core::GithubAuth app(std::string ns = "team") { return core::GithubAuth{true, std::move(ns)}; }

  testing::TempDir tmp_;
  std::string fixture_;
  loop::EventLoop loop_;
  testing::OffsetClock clock_{loop_};
  testing::OffsetClock server_clock_{loop_};
  std::unique_ptr<GithubDouble> double_;
  GithubOptions options_;
  std::map<std::string, SecretData> secrets_;
  int secret_reads_ = 0;
  int files_ = 0;
  std::unique_ptr<GithubModuleSource> source_;
};

TEST_F(GithubSourceTest, FetchesTheVPrefixedTagThroughTheCodeloadRedirect) {
  auto r = fetch(request("vmod", "1.0.0"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  std::string expected = double_->archive("acme/vmod", "v1.0.0", true);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(r->ref, "v1.0.0");
  EXPECT_EQ(readFile(r->path), expected);
  EXPECT_EQ(r->size, expected.size());
  EXPECT_EQ(double_->archiveRequests(), 1);
  EXPECT_EQ(double_->downloads(), 1);
  EXPECT_NE(expected.find("acme-vmod-"), std::string::npos) << "GitHub's wrapper directory";
}

TEST_F(GithubSourceTest, HashIsTheSha256OfTheWrittenBytes) {
  auto r = fetch(request("vmod", "v1.1.0", "tar"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  std::string bytes = readFile(r->path);
  EXPECT_EQ(bytes, double_->archive("acme/vmod", "v1.1.0", false));
  unsigned char digest[32];
  EVP_Digest(bytes.data(), bytes.size(), digest, nullptr, EVP_sha256(), nullptr);
  EXPECT_EQ(r->sha256.raw(), std::string_view(reinterpret_cast<char*>(digest), 32));
  EXPECT_EQ(r->ref, "v1.1.0");
}

TEST_F(GithubSourceTest, FallsBackToTheBareTagAfterA404) {
  auto r = fetch(request("vmod", "2.0.0"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->ref, "2.0.0");
  EXPECT_EQ(readFile(r->path), double_->archive("acme/vmod", "2.0.0", true));
  EXPECT_EQ(double_->archiveRequests(), 2);
}

TEST_F(GithubSourceTest, MissingTagIsNotFoundNamingBothRefsAndTheRepository) {
  auto f = request("vmod", "9.9.9");
  std::string dest = f.dest_path;
  auto r = fetch(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_NE(r.error().message.find("\"v9.9.9\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\"9.9.9\""), std::string::npos);
  EXPECT_NE(r.error().message.find("acme/vmod"), std::string::npos);
  EXPECT_FALSE(fs::exists(dest)) << "no partial file is left";
}

TEST_F(GithubSourceTest, ArchiveOverTheSizeLimitIsRefusedAndRemoved) {
  options_.max_archive_bytes = 100;
  auto f = request("vmod", "1.0.0");
  std::string dest = f.dest_path;
  auto r = fetch(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Invalid);
  EXPECT_NE(r.error().message.find("larger than 100 bytes"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(GithubSourceTest, RedirectOffTheApiOriginToALoopbackAddressIsRefused) {
  double_.reset();
  testing::DoubleOptions o;
  o.repos.push_back(DoubleRepo{"acme", "vmod", fixture_, {{"v1.0.0"}}, {}, false});
  o.codeload_authority = "localhost:{port}";  // another origin (by name), the same server
  double_ = std::make_unique<GithubDouble>(o);
  ASSERT_TRUE(double_->start().ok());
  uint16_t port = double_->port();
  options_.api_url = double_->apiUrl();
  auto f = request("vmod", "1.0.0");
  std::string dest = f.dest_path;
  auto r = fetch(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Permission) << r.error().describe();
  EXPECT_NE(r.error().message.find("upstream_allow"), std::string::npos);
  EXPECT_EQ(double_->downloads(), 0);
  EXPECT_FALSE(fs::exists(dest));

  source_.reset();
  options_.upstream_allow = {"localhost:" + std::to_string(port)};
  auto allowed = fetch(request("vmod", "1.0.0"));
  ASSERT_TRUE(allowed.ok()) << allowed.error().describe();
  EXPECT_EQ(readFile(allowed->path), double_->archive("acme/vmod", "v1.0.0", true));
}

TEST_F(GithubSourceTest, BadNamesAreInvalidBeforeAnyRequest) {
  for (auto f : {request("vmod", "1.0.0/../../x"), request("../etc", "1.0.0"), request("vmod", ""),
                 request("vmod", "1.0.0", "rar"), request("vmod", "1.0.0 x")}) {
    auto r = fetch(f);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::Invalid) << r.error().describe();
  }
  auto bad_owner = request("vmod", "1.0.0");
  bad_owner.owner = "-acme";
  EXPECT_EQ(fetch(bad_owner).error().code, Errc::Invalid);
  auto local = request("vmod", "1.0.0");
  local.repo_url = "file:///tmp/module";
  EXPECT_EQ(fetch(local).error().code, Errc::Invalid);
  EXPECT_EQ(double_->archiveRequests(), 0);
}

TEST_F(GithubSourceTest, ListsEveryPageOfReleases) {
  auto r = list("many");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->size(), 249u) << "the draft is hidden from anonymous callers, as on GitHub";
  EXPECT_EQ(double_->releasePageRequests(), 3);
  EXPECT_EQ(r->front().tag, "v0.0.249");
  size_t prereleases = 0;
  for (const auto& rel : *r) {
    prereleases += rel.prerelease ? 1 : 0;
  }
  EXPECT_EQ(prereleases, 5u);
}

TEST_F(GithubSourceTest, ListsReleasesWithDraftAndPrereleaseFlags) {
  auto r = list("vmod");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].tag, "v3.0.0-rc1");
  EXPECT_TRUE((*r)[0].prerelease);
  EXPECT_EQ((*r)[1].tag, "2.0.0");
  EXPECT_FALSE((*r)[1].prerelease);
}

TEST_F(GithubSourceTest, GarbageReleasePagesAreCorrupt) {
  for (auto fault : {ReleasesFault::Html, ReleasesFault::Truncated, ReleasesFault::WrongShape}) {
    double_->setReleasesFault("acme/vmod", fault);
    auto r = list("vmod");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::Corrupt) << r.error().describe();
  }
  double_->setReleasesFault("acme/many", ReleasesFault::ForeignNextLink);
  auto foreign = list("many");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, Errc::Corrupt);
  EXPECT_NE(foreign.error().message.find("leaves"), std::string::npos);
  double_->setReleasesFault("acme/vmod", ReleasesFault::ServerError);
  auto bad_gateway = list("vmod");
  ASSERT_FALSE(bad_gateway.ok());
  EXPECT_EQ(bad_gateway.error().code, Errc::Unavailable);
  EXPECT_TRUE(bad_gateway.error().retryable());
}

TEST_F(GithubSourceTest, PageLimitStopsEndlessPagination) {
  options_.max_release_pages = 2;
  auto r = list("many");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Corrupt);
  EXPECT_EQ(double_->releasePageRequests(), 2);
}

TEST_F(GithubSourceTest, RateLimitIsRetryableWithTheResetTime) {
  double_->setRateLimit(1);
  ASSERT_TRUE(list("vmod").ok());
  auto r = list("vmod");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_TRUE(r.error().retryable());
  EXPECT_NE(r.error().message.find("rate limit"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("resets at 20"), std::string::npos) << r.error().message;
  auto f = fetch(request("vmod", "1.0.0"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::Unavailable) << f.error().describe();
}

TEST_F(GithubSourceTest, PrivateRepositoryIsNotFoundWithoutAppAuth) {
  auto r = fetch(request("secret-mod", "0.1.0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_EQ(list("secret-mod").error().code, Errc::NotFound);
}

TEST_F(GithubSourceTest, AppAuthFetchesPrivateRepositoryAndCachesTheToken) {
  auto f = request("secret-mod", "0.1.0");
  f.auth = app();
  auto r = fetch(f);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(readFile(r->path), double_->archive("acme/secret-mod", "v0.1.0", true));
  auto g = request("secret-mod", "0.1.0", "tar");
  g.auth = app();
  ASSERT_TRUE(fetch(g).ok());
  auto releases = list("secret-mod", app());
  ASSERT_TRUE(releases.ok()) << releases.error().describe();
  EXPECT_EQ(releases->size(), 1u);
  EXPECT_EQ(double_->tokenRequests(), 1);
  EXPECT_EQ(secret_reads_, 1);
  EXPECT_EQ(source().tokens()->minted(), 1u);
}

TEST_F(GithubSourceTest, ConcurrentCallsShareOneTokenMint) {
  std::vector<core::CancelablePtr> handles;
  int ok = 0;
  for (int i = 0; i < 3; ++i) {
    auto f = request("secret-mod", "0.1.0");
    f.auth = app();
    handles.push_back(source().fetch(f, [&](core::Result<core::FetchedFile> r) {
      EXPECT_TRUE(r.ok()) << r.error().describe();
      ++ok;
    }));
  }
  loop_.runUntil([&] { return ok == 3; }, std::chrono::seconds(20));
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(double_->tokenRequests(), 1);
}

TEST_F(GithubSourceTest, TokenIsMintedAgainNearItsExpiry) {
  ASSERT_TRUE(list("secret-mod", app()).ok());
  clock_.shift(3600 - 4 * 60);  // within the refresh margin of the 1 h token
  server_clock_.shift(3600 - 4 * 60);
  ASSERT_TRUE(list("secret-mod", app()).ok());
  EXPECT_EQ(double_->tokenRequests(), 2);
}

TEST_F(GithubSourceTest, RevokedTokenIsDroppedAndMintedAgain) {
  ASSERT_TRUE(list("secret-mod", app()).ok());
  double_->revokeTokens();
  auto refused = list("secret-mod", app());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::Permission);
  EXPECT_NE(refused.error().message.find("Bad credentials"), std::string::npos);
  ASSERT_TRUE(list("secret-mod", app()).ok());
  EXPECT_EQ(double_->tokenRequests(), 2);
}

TEST_F(GithubSourceTest, SecretReaderAnsweringLaterIsAwaited) {
  std::function<void(core::Result<SecretData>)> pending;
  auto made = GithubModuleSource::create(
      loop_, clock_,
      [&](std::string, std::string, std::function<void(core::Result<SecretData>)> done) {
        pending = std::move(done);
        return core::completedHandle();
      },
      options_);
  ASSERT_TRUE(made.ok());
  source_ = std::move(*made);
  std::optional<core::Result<std::vector<core::Release>>> out;
  auto handle = source_->listReleases("acme", "secret-mod", app(), [&](auto r) { out = std::move(r); });
  loop_.runUntil([&] { return static_cast<bool>(pending); }, std::chrono::seconds(5));
  ASSERT_TRUE(pending);
  EXPECT_FALSE(out.has_value());
  pending(validSecret());
  loop_.runUntil([&] { return out.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(out && out->ok()) << (out ? out->error().describe() : "no answer");
}

TEST_F(GithubSourceTest, ExpiredJwtIsRefusedByTheApi) {
  clock_.shift(-3600);  // our clock an hour behind: the JWT expired 50 minutes ago
  auto r = list("secret-mod", app());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Permission) << r.error().describe();
  EXPECT_NE(r.error().message.find("'exp'"), std::string::npos) << r.error().message;
  EXPECT_EQ(double_->tokensIssued(), 0);
}

TEST_F(GithubSourceTest, JwtSignedWithAnotherKeyIsRefused) {
  auto other = testing::makeRsaKey();
  secrets_["team"]["githubPrivateKey"] = core::base64Encode(other.private_pkcs8);
  auto r = list("secret-mod", app());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Permission);
  EXPECT_NE(r.error().message.find("could not be decoded"), std::string::npos) << r.error().message;
  EXPECT_EQ(double_->tokensIssued(), 0);
}

TEST_F(GithubSourceTest, WrongInstallationIsNotFound) {
  secrets_["team"]["githubInstallID"] = "78";
  EXPECT_EQ(list("secret-mod", app()).error().code, Errc::NotFound);
}

TEST_F(GithubSourceTest, MissingSecretOrKeyNamesTheSecretAndKey) {
  secrets_["team"].erase("githubPrivateKey");
  auto r = list("secret-mod", app());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_NE(r.error().message.find("opendepot-github-application-secret"), std::string::npos);
  EXPECT_NE(r.error().message.find("githubPrivateKey"), std::string::npos) << r.error().message;
  auto none = list("secret-mod", app("elsewhere"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::NotFound);
  EXPECT_NE(none.error().message.find("opendepot-github-application-secret"), std::string::npos);
  EXPECT_EQ(double_->tokenRequests(), 0);
}

TEST_F(GithubSourceTest, BadKeyPemIsInvalid) {
  secrets_["team"]["githubPrivateKey"] = core::base64Encode("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n");
  auto r = list("secret-mod", app());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Invalid);
  EXPECT_NE(r.error().message.find("githubPrivateKey"), std::string::npos) << r.error().message;
}

TEST_F(GithubSourceTest, AppAuthWithoutASecretReaderIsInvalid) {
  auto made = GithubModuleSource::create(loop_, clock_, nullptr, options_);
  ASSERT_TRUE(made.ok());
  source_ = std::move(*made);
  EXPECT_EQ(list("secret-mod", app()).error().code, Errc::Invalid);
}

TEST_F(GithubSourceTest, CancelledFetchNeverCallsBackAndLeavesNoFile) {
  auto f = request("vmod", "1.0.0");
  std::string dest = f.dest_path;
  bool called = false;
  auto handle = source().fetch(f, [&](auto) { called = true; });
  loop_.runUntil([&] { return fs::exists(dest); }, std::chrono::seconds(5));
  handle->cancel();
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(300));
  EXPECT_FALSE(called);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_EQ(source().inFlight(), 0u);
}

TEST_F(GithubSourceTest, DestroyingTheSourceCancelsEverything) {
  bool called = false;
  auto handle = source().listReleases("acme", "many", {}, [&](auto) { called = true; });
  auto f = request("secret-mod", "0.1.0");
  f.auth = app();
  auto handle2 = source().fetch(f, [&](auto) { called = true; });
  loop_.runOnce(false);
  source_.reset();
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(300));
  EXPECT_FALSE(called);
  handle->cancel();  // handles outlive the source safely
}

TEST_F(GithubSourceTest, ClosedPortIsUnavailable) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);  // bound then closed: nobody listens there
  options_.api_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto r = list("vmod");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Unavailable) << r.error().describe();
}

TEST_F(GithubSourceTest, SilentServerTimesOut) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(s, 4), 0);  // the kernel accepts; nobody ever answers
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  options_.api_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options_.request_timeout = std::chrono::milliseconds(300);
  options_.download_timeout = std::chrono::milliseconds(300);
  auto r = list("vmod");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout) << r.error().describe();
  auto f = fetch(request("vmod", "1.0.0"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::Timeout) << f.error().describe();
  ::close(s);
}

TEST_F(GithubSourceTest, PlainHttpNeedsTheOption) {
  options_.allow_plain_http = false;
  auto made = GithubModuleSource::create(loop_, clock_, reader(), options_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, Errc::Invalid);
}

}  // namespace
}  // namespace od::adapters::github
