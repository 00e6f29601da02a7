// The od_github_double executable, as the end-to-end tests run it: flags, the port line on
// stdout, serving, and a clean stop on SIGTERM (label integration).
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "adapters/github/github_module_source.h"
#include "core/base64.h"
#include "tests/adapters/github/test_support.h"

extern char** environ;

namespace od::adapters::github {
namespace {

using core::Errc;

class DoubleProcess {
 public:
  explicit DoubleProcess(std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    args.insert(args.begin(), OD_GITHUB_DOUBLE_BIN);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, OD_GITHUB_DOUBLE_BIN, &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
  }
  ~DoubleProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) {
      ::close(out_);
    }
  }
  // The first stdout line, within 10 s ("" on EOF or timeout).
  std::string firstLine() {
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) {
        return "";
      }
      char buf[64];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) {
        return "";
      }
      line.append(buf, static_cast<size_t>(n));
    }
    return line.substr(0, line.find('\n'));
  }
  // SIGTERM, then the exit status (-1 when it did not exit by itself within 10 s).
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::usleep(10000);
    }
    return -1;
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

TEST(GithubDoubleProcess, ServesReleasesArchivesAndAppTokens) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  testing::TempDir tmp;
  auto key = testing::makeRsaKey();
  std::string pub = tmp.path() + "/app.pub";
  std::ofstream(pub) << key.public_pem;
  std::string fixture = std::string(OD_GITHUB_FIXTURES) + "/example-module";
  DoubleProcess proc({"--port", "0", "--repo", "acme/example=" + fixture, "--tags",
                      "acme/example=v1.0.0,1.1.0,v2.0.0-beta1", "--repo", "acme/hidden=" + fixture,
                      "--private", "acme/hidden", "--app-public-key", pub, "--app-id", "9",
                      "--installation-id", "10"});
  ASSERT_TRUE(proc.started());
  std::string port = proc.firstLine();
  ASSERT_FALSE(port.empty());
  ASSERT_EQ(port.find_first_not_of("0123456789"), std::string::npos) << port;

  loop::EventLoop loop;
  loop::LibevClock clock(loop);
  GithubOptions options;
  options.api_url = "http://127.0.0.1:" + port;
  options.allow_plain_http = true;
  SecretData secret{{"githubAppID", "9"}, {"githubInstallID", "10"},
                    {"githubPrivateKey", core::base64Encode(key.private_pkcs1)}};
  auto made = GithubModuleSource::create(
      loop, clock,
      [&](std::string, std::string, std::function<void(core::Result<SecretData>)> done) {
        done(secret);
        return core::completedHandle();
      },
      options);
  ASSERT_TRUE(made.ok());
  auto& source = **made;

  std::optional<core::Result<std::vector<core::Release>>> releases;
  auto h1 = source.listReleases("acme", "example", {}, [&](auto r) { releases = std::move(r); });
  loop.runUntil([&] { return releases.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(releases && releases->ok());
  ASSERT_EQ((*releases)->size(), 3u);
  EXPECT_EQ((**releases)[0].tag, "v2.0.0-beta1");
  EXPECT_TRUE((**releases)[0].prerelease);

  core::ModuleFetch f;
  f.owner = "acme";
  f.repo = "example";
  f.version = "1.1.0";
  f.format = "tar";
  f.dest_path = tmp.path() + "/a.tar.gz";
  std::optional<core::Result<core::FetchedFile>> fetched;
  auto h2 = source.fetch(f, [&](auto r) { fetched = std::move(r); });
  loop.runUntil([&] { return fetched.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(fetched && fetched->ok()) << (fetched ? fetched->error().describe() : "no answer");
  EXPECT_EQ((*fetched)->ref, "1.1.0");
  EXPECT_GT((*fetched)->size, 100u);

  f.repo = "hidden";
  f.version = "1.0.0";
  f.auth = core::GithubAuth{true, "team"};
  fetched.reset();
  auto h3 = source.fetch(f, [&](auto r) { fetched = std::move(r); });
  loop.runUntil([&] { return fetched.has_value(); }, std::chrono::seconds(10));
  ASSERT_TRUE(fetched && fetched->ok()) << (fetched ? fetched->error().describe() : "no answer");
  EXPECT_EQ((*fetched)->ref, "v1.0.0");

  EXPECT_EQ(proc.terminate(), 0);
}

// POST to a control route with a blocking easy handle; the HTTP status (0 on failure).
long postControl(const std::string& url) {
  CURL* e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  long status = 0;
  if (curl_easy_perform(e) == CURLE_OK) {
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(e);
  return status;
}

TEST(GithubDoubleProcess, PagesWithARateLimitInTheMiddleAndReleasesPublishedWhileRunning) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string fixture = std::string(OD_GITHUB_FIXTURES) + "/example-module";
  DoubleProcess proc({"--repo", "acme/example=" + fixture, "--tags", "acme/example=v1.0.0,v1.1.0,v1.2.0",
                      "--per-page-cap", "1", "--releases-fault", "acme/example=rate-limited@2x1"});
  ASSERT_TRUE(proc.started());
  std::string port = proc.firstLine();
  ASSERT_FALSE(port.empty());
  loop::EventLoop loop;
  loop::LibevClock clock(loop);
  GithubOptions options;
  options.api_url = "http://127.0.0.1:" + port;
  options.allow_plain_http = true;
  auto made = GithubModuleSource::create(loop, clock, nullptr, options);
  ASSERT_TRUE(made.ok());
  auto list = [&]() -> core::Result<std::vector<core::Release>> {
    std::optional<core::Result<std::vector<core::Release>>> out;
    auto h = (*made)->listReleases("acme", "example", {}, [&](auto r) { out = std::move(r); });
    loop.runUntil([&] { return out.has_value(); }, std::chrono::seconds(10));
    return out ? std::move(*out) : core::makeError(Errc::Internal, "no answer");
  };
  auto first = list();  // three pages of one; page 2 answers 429 + Retry-After: 1 once
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[2].tag, "v1.0.0");

  std::string control = options.api_url + "/_double/repos/acme/example/";
  EXPECT_EQ(postControl(control + "releases?tag=v1.3.0"), 201);
  EXPECT_EQ(postControl(control + "releases?tag=v1.3.0"), 409);
  auto second = list();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  ASSERT_EQ(second->size(), 4u);
  EXPECT_EQ((*second)[0].tag, "v1.3.0");

  EXPECT_EQ(postControl(control + "fault?kind=html&page=3"), 200);
  EXPECT_EQ(postControl(control + "fault?kind=no-such-fault"), 422);
  auto garbage = list();
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, Errc::Corrupt);
  EXPECT_EQ(proc.terminate(), 0);
}

TEST(GithubDoubleProcess, RefusesBadFlags) {
  DoubleProcess proc({"--repo", "no-slash"});
  ASSERT_TRUE(proc.started());
  EXPECT_EQ(proc.firstLine(), "");
  EXPECT_EQ(proc.terminate(), 2);
  DoubleProcess fault({"--repo", "a/b=/tmp", "--releases-fault", "a/b=meteor@2"});
  ASSERT_TRUE(fault.started());
  EXPECT_EQ(fault.firstLine(), "");
  EXPECT_EQ(fault.terminate(), 2);
}

}  // namespace
}  // namespace od::adapters::github
