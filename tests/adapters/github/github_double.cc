#include "tests/adapters/github/github_double.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <ctime>
#include <map>

#include "core/base64.h"
#include "core/json_writer.h"
#include "tests/adapters/github/double_util.h"

namespace od::testing {

using core::Errc;
using core::makeError;
using http::Request;
using http::Response;
using namespace double_util;  // NOLINT(google-build-using-namespace)

namespace {

std::string shortSha(const std::string& owner_repo, const std::string& tag) {
  std::string input = owner_repo + "@" + tag;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return core::hexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest)).substr(0, 7);
}

}  // namespace

GithubDouble::GithubDouble(DoubleOptions options)
    : options_(std::move(options)),
      log_(std::make_shared<spdlog::logger>("github-double",
                                            std::make_shared<spdlog::sinks::null_sink_mt>())) {
  rate_remaining_ = options_.rate_limit;
  addRoutes();
}

GithubDouble::~GithubDouble() { stop(); }

int64_t GithubDouble::now() const {
  if (options_.now) {
    return options_.now();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

core::Status GithubDouble::start() {
  for (const DoubleRepo& spec : options_.repos) {
    auto repo = std::make_unique<Repo>();
    repo->spec = spec;
    std::string slug = spec.owner + "/" + spec.name;
    std::vector<std::string> tags = spec.extra_tags;
    for (const auto& r : spec.releases) {
      tags.push_back(r.tag);
    }
    for (const std::string& tag : tags) {
      auto built = buildTag(*repo, tag);
      if (!built.ok()) {
        return built;
      }
    }
    repos_[lower(slug)] = std::move(repo);
  }
  rate_reset_ = now() + options_.rate_window_seconds;
  http::ServerOptions server;
  server.host = options_.host;
  server.port = options_.port;
  server.threads = 1;
  server_ = std::make_unique<http::Server>(server, router_, *log_);
  return server_->start();
}

core::Status GithubDouble::buildTag(Repo& repo, const std::string& tag) {
  std::string slug = repo.spec.owner + "/" + repo.spec.name;
  std::string sha = shortSha(slug, tag);
  std::string prefix = repo.spec.owner + "-" + repo.spec.name + "-" + sha + "/";
  auto zip = buildArchive(repo.spec.fixture_dir, prefix, true);
  auto tgz = buildArchive(repo.spec.fixture_dir, prefix, false);
  if (!zip || !tgz) {
    return zip ? tgz.error() : zip.error();
  }
  repo.sha7[tag] = sha;
  repo.zip[tag] = std::move(*zip);
  repo.tar_gz[tag] = std::move(*tgz);
  return core::okStatus();
}

core::Status GithubDouble::addRelease(const std::string& owner_repo, DoubleRelease release) {
  std::lock_guard lock(mu_);
  auto it = repos_.find(lower(owner_repo));
  if (it == repos_.end()) {
    return makeError(Errc::NotFound, "no repository " + owner_repo);
  }
  Repo& repo = *it->second;
  if (repo.sha7.count(release.tag) != 0) {
    return makeError(Errc::Conflict, owner_repo + " already has tag " + release.tag);
  }
  auto built = buildTag(repo, release.tag);
  if (!built.ok()) {
    return built;
  }
  repo.spec.releases.push_back(std::move(release));  // oldest first: the new one is the newest
  return core::okStatus();
}

void GithubDouble::stop() {
  if (server_) {
    server_->stop();
  }
}

uint16_t GithubDouble::port() const { return server_ ? server_->port() : 0; }
std::string GithubDouble::apiUrl() const {
  return "http://" + options_.host + ":" + std::to_string(port());
}

void GithubDouble::setReleasesFault(const std::string& owner_repo, ReleasesFault fault) {
  FaultPlan plan;
  plan.fault = fault;
  setReleasesFault(owner_repo, plan);
}

void GithubDouble::setReleasesFault(const std::string& owner_repo, FaultPlan plan) {
  std::lock_guard lock(mu_);
  faults_[lower(owner_repo)] = plan;
}

std::optional<ReleasesFault> faultFromName(std::string_view name) {
  static const std::map<std::string_view, ReleasesFault> kNames = {
      {"none", ReleasesFault::None},
      {"html", ReleasesFault::Html},
      {"truncated", ReleasesFault::Truncated},
      {"wrong-shape", ReleasesFault::WrongShape},
      {"server-error", ReleasesFault::ServerError},
      {"foreign-next-link", ReleasesFault::ForeignNextLink},
      {"rate-limited", ReleasesFault::RateLimited},
      {"secondary-limit", ReleasesFault::SecondaryLimit},
      {"primary-limit", ReleasesFault::PrimaryLimit},
      {"wrong-types", ReleasesFault::WrongTypes},
      {"empty-body", ReleasesFault::EmptyBody},
  };
  auto it = kNames.find(name);
  if (it == kNames.end()) {
    return std::nullopt;
  }
  return it->second;
}

void GithubDouble::setRateLimit(int64_t remaining) {
  std::lock_guard lock(mu_);
  options_.rate_limit = remaining;
  rate_remaining_ = remaining;
}

void GithubDouble::revokeTokens() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

void GithubDouble::setPerPageCap(int cap) {
  std::lock_guard lock(mu_);
  per_page_cap_ = cap;
}

std::string GithubDouble::archive(const std::string& owner_repo, const std::string& tag,
                                  bool zip) const {
  std::lock_guard lock(mu_);
  auto it = repos_.find(lower(owner_repo));
  if (it == repos_.end()) {
    return "";
  }
  const auto& m = zip ? it->second->zip : it->second->tar_gz;
  auto a = m.find(tag);
  return a == m.end() ? "" : a->second;
}

std::string GithubDouble::baseUrl(const Request& request) const {
  const std::string* host = http::findHeader(request.headers, "host");
  return "http://" + (host != nullptr ? *host : options_.host + ":" + std::to_string(port()));
}

void GithubDouble::rateHeaders(Response& response) {
  int64_t limit = options_.rate_limit > 0 ? options_.rate_limit : 5000;
  int64_t remaining = options_.rate_limit > 0 ? rate_remaining_ : 4999;
  response.header("x-ratelimit-limit", std::to_string(limit));
  response.header("x-ratelimit-remaining", std::to_string(remaining));
  response.header("x-ratelimit-reset", std::to_string(rate_reset_));
  response.header("x-ratelimit-used", std::to_string(limit - remaining));
  response.header("x-ratelimit-resource", "core");
}

std::optional<Response> GithubDouble::gate(const Request& request, const Repo** repo) {
  std::string presented = credential(request);
  bool authed = false;
  if (!presented.empty()) {
    auto t = tokens_.find(presented);
    if (t == tokens_.end() || t->second <= now()) {
      Response r = message(401, "Bad credentials");
      rateHeaders(r);
      return r;
    }
    authed = true;
  }
  if (options_.rate_limit > 0) {
    if (now() >= rate_reset_) {  // a new window: the limit is restored, as at x-ratelimit-reset
      rate_remaining_ = options_.rate_limit;
      rate_reset_ = now() + options_.rate_window_seconds;
    }
    if (rate_remaining_ <= 0) {
      Response r = message(403, "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
                                "Authenticated requests get a higher rate limit. Check out the "
                                "documentation for more details.)",
                           "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting");
      rateHeaders(r);
      return r;
    }
    --rate_remaining_;
  }
  auto it = repos_.find(lower(std::string(request.param("owner")) + "/" +
                               std::string(request.param("repo"))));
  if (it == repos_.end() || (it->second->spec.is_private && !authed)) {
    // GitHub hides private repositories: 404, not 401/403.
    Response r = message(404, "Not Found");
    rateHeaders(r);
    return r;
  }
  *repo = it->second.get();
  return std::nullopt;
}

}  // namespace od::testing
