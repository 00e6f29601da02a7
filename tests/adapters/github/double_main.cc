// od_github_double: the GitHub API double as a process (end-to-end tests, `make dev` by hand).
//   od_github_double [--host 127.0.0.1] [--port 0] --repo owner/name=DIR ... [--tags owner/name=T1,T2]
//                    [--private owner/name] [--app-public-key FILE] [--app-id N]
//                    [--installation-id N] [--rate-limit N] [--rate-window SECONDS]
//                    [--per-page-cap N] [--releases-fault owner/name=KIND[@PAGE][xTIMES]]
// KIND is one of faultFromName's names (github_double.h); e.g. rate-limited@2x1 answers 429 +
// Retry-After: 1 once, on page 2. Releases and faults can also be changed while it runs
// through the POST /_double/... control routes.
// Every tag of --tags gets a release (tags with '-' are prereleases); a repo without --tags has
// the release v1.0.0. Prints the bound port on its own line on stdout once it serves, then runs
// until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include "tests/adapters/github/github_double.h"

namespace {

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "od_github_double: " << problem << "\n"
            << "usage: od_github_double [--host H] [--port P] --repo owner/name=DIR... "
               "[--tags owner/name=T1,T2]... [--private owner/name]... [--app-public-key FILE] "
               "[--app-id N] [--installation-id N] [--rate-limit N] [--rate-window S] "
               "[--per-page-cap N] [--releases-fault owner/name=KIND[@PAGE][xTIMES]]...\n";
  std::exit(2);
}

std::pair<std::string, std::string> splitEq(const std::string& arg, const char* flag) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || arg.find('/') > eq) {
    usage(std::string(flag) + " wants owner/name=VALUE, got \"" + arg + "\"");
  }
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

int64_t number(const std::string& text, const char* flag) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0) {
    usage(std::string(flag) + " wants a non-negative integer, got \"" + text + "\"");
  }
  return v;
}

// "KIND[@PAGE][xTIMES]" → a plan; exits with usage() when it does not parse.
od::testing::FaultPlan faultPlan(const std::string& text) {
  od::testing::FaultPlan plan;
  std::string kind = text;
  size_t x = kind.rfind('x');
  size_t at = kind.find('@');
  if (x != std::string::npos && x > 0 && (at == std::string::npos || x > at)) {
    plan.times = static_cast<int>(number(kind.substr(x + 1), "--releases-fault times"));
    kind.resize(x);
  }
  if (at != std::string::npos) {
    plan.page = static_cast<int>(number(kind.substr(at + 1), "--releases-fault page"));
    kind.resize(at);
  }
  auto fault = od::testing::faultFromName(kind);
  if (!fault) {
    usage("--releases-fault: unknown fault \"" + kind + "\"");
  }
  plan.fault = *fault;
  return plan;
}

}  // namespace

int main(int argc, char** argv) {
  od::testing::DoubleOptions options;
  std::map<std::string, od::testing::DoubleRepo> repos;
  std::map<std::string, std::string> tags;
  std::vector<std::string> privates;
  std::map<std::string, od::testing::FaultPlan> faults;
  int per_page_cap = 0;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      usage(flag + " needs a value");
    }
    std::string value = argv[++i];
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = static_cast<uint16_t>(number(value, "--port"));
    } else if (flag == "--repo") {
      auto [slug, dir] = splitEq(value, "--repo");
      auto& repo = repos[slug];
      repo.owner = slug.substr(0, slug.find('/'));
      repo.name = slug.substr(slug.find('/') + 1);
      repo.fixture_dir = dir;
    } else if (flag == "--tags") {
      auto [slug, list] = splitEq(value, "--tags");
      tags[slug] = list;
    } else if (flag == "--private") {
      privates.push_back(value);
    } else if (flag == "--app-public-key") {
      std::ifstream in(value);
      if (!in) {
        usage("cannot read " + value);
      }
      options.app_public_key_pem.assign(std::istreambuf_iterator<char>(in), {});
    } else if (flag == "--app-id") {
      options.app_id = number(value, "--app-id");
    } else if (flag == "--installation-id") {
      options.installation_id = number(value, "--installation-id");
    } else if (flag == "--rate-limit") {
      options.rate_limit = number(value, "--rate-limit");
    } else if (flag == "--rate-window") {
      options.rate_window_seconds = number(value, "--rate-window");
    } else if (flag == "--per-page-cap") {
      per_page_cap = static_cast<int>(number(value, "--per-page-cap"));
    } else if (flag == "--releases-fault") {
      auto [slug, plan] = splitEq(value, "--releases-fault");
      faults[slug] = faultPlan(plan);
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (repos.empty()) {
    usage("at least one --repo is needed");
  }
  for (const auto& slug : privates) {
    if (repos.count(slug) == 0) {
      usage("--private " + slug + " names no --repo");
    }
    repos[slug].is_private = true;
  }
  for (auto& [slug, repo] : repos) {
    std::string list = tags.count(slug) != 0 ? tags[slug] : "v1.0.0";
    std::stringstream ss(list);
    for (std::string tag; std::getline(ss, tag, ',');) {
      if (!tag.empty()) {
        repo.releases.push_back({tag, false, tag.find('-') != std::string::npos});
      }
    }
    options.repos.push_back(repo);
  }
  // Block the stop signals before the server threads start, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  od::testing::GithubDouble server(options);
  auto started = server.start();
  if (!started.ok()) {
    std::cerr << "od_github_double: " << started.error().describe() << "\n";
    return 1;
  }
  for (const auto& [slug, plan] : faults) {
    server.setReleasesFault(slug, plan);
  }
  if (per_page_cap > 0) {
    server.setPerPageCap(per_page_cap);
  }
  std::cout << server.port() << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  return 0;
}
