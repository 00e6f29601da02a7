// The GitHub double's routes (see github_double.h).
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "core/base64.h"
#include "core/json_writer.h"
#include "tests/adapters/github/double_util.h"
#include "tests/adapters/github/github_double.h"

namespace od::testing {

using http::Request;
using http::Response;
using namespace double_util;  // NOLINT(google-build-using-namespace)

namespace {

int intParam(const Request& request, std::string_view name, int fallback) {
  auto v = request.queryParam(name);
  if (!v || v->empty() || v->size() > 6 || v->find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  return std::stoi(*v);
}

void writeRelease(core::JsonWriter& w, const std::string& api, const std::string& slug,
                  const DoubleRelease& r, int64_t id, int64_t created) {
  std::string url = api + "/repos/" + slug + "/releases/" + std::to_string(id);
  w.beginObject()
      .member("url", url)
      .member("assets_url", url + "/assets")
      .member("html_url", "https://github.com/" + slug + "/releases/tag/" + r.tag)
      .member("id", id)
      .member("node_id", "RE_kwDO" + std::to_string(id))
      .member("tag_name", r.tag)
      .member("target_commitish", "main")
      .member("name", r.tag)
      .member("draft", r.draft)
      .member("prerelease", r.prerelease)
      .member("created_at", isoTime(created))
      .member("published_at", isoTime(created + 60))
      .key("assets").beginArray().endArray()
      .member("tarball_url", api + "/repos/" + slug + "/tarball/" + r.tag)
      .member("zipball_url", api + "/repos/" + slug + "/zipball/" + r.tag)
      .member("body", "Release " + r.tag + "\r\n\r\n* changes, \"quoted\" and <html>")
      .endObject();
}

}  // namespace

void GithubDouble::addRoutes() {
  router_.get("/repos/:owner/:repo/releases", "releases",
              [this](const Request& r) { return releases(r); });
  router_.get("/repos/:owner/:repo/zipball/:ref", "zipball",
              [this](const Request& r) { return archiveLink(r, true); });
  router_.get("/repos/:owner/:repo/tarball/:ref", "tarball",
              [this](const Request& r) { return archiveLink(r, false); });
  router_.get("/codeload/:owner/:repo/:kind/refs/tags/:ref", "codeload",
              [this](const Request& r) { return codeload(r); });
  router_.add("POST", "/_double/repos/:owner/:repo/releases", "control_release",
              [this](const Request& r) { return controlRelease(r); });
  router_.add("POST", "/_double/repos/:owner/:repo/fault", "control_fault", [this](const Request& r) {
    auto kind = faultFromName(r.queryParam("kind").value_or(""));
    if (!kind) {
      return message(422, "unknown fault kind");
    }
    FaultPlan plan;
    plan.fault = *kind;
    plan.page = intParam(r, "page", 0);
    plan.times = intParam(r, "times", 0);
    plan.retry_after = intParam(r, "retry_after", 1);
    setReleasesFault(std::string(r.param("owner")) + "/" + std::string(r.param("repo")), plan);
    return githubJson(200, "{}");
  });
  router_.add("POST", "/app/installations/:id/access_tokens", "access_tokens",
              [this](const Request& r) { return accessToken(r); });
}

Response GithubDouble::releases(const Request& request) {
  std::lock_guard lock(mu_);
  ++release_pages_;
  const Repo* repo = nullptr;
  if (auto refused = gate(request, &repo)) {
    return std::move(*refused);
  }
  std::string slug = repo->spec.owner + "/" + repo->spec.name;
  std::string api = baseUrl(request);
  int per_page = std::clamp(intParam(request, "per_page", 30), 1, per_page_cap_);
  int page = std::max(1, intParam(request, "page", 1));
  ReleasesFault fault = ReleasesFault::None;
  if (auto f = faults_.find(lower(slug)); f != faults_.end() &&
                                          (f->second.page == 0 || f->second.page == page)) {
    fault = f->second.fault;
    if (auto answer = releasesFault(slug, page)) {
      return std::move(*answer);
    }
  }
  // GitHub lists the newest release first; drafts only to those who may push (authenticated).
  std::vector<DoubleRelease> visible;
  bool authed = http::findHeader(request.headers, "authorization") != nullptr;
  for (auto it = repo->spec.releases.rbegin(); it != repo->spec.releases.rend(); ++it) {
    if (!it->draft || authed) {
      visible.push_back(*it);
    }
  }
  int pages = std::max(1, static_cast<int>((visible.size() + per_page - 1) / per_page));
  core::JsonWriter w;
  w.beginArray();
  for (size_t i = static_cast<size_t>(page - 1) * per_page;
       i < visible.size() && i < static_cast<size_t>(page) * per_page; ++i) {
    int64_t id = 1000 + static_cast<int64_t>(visible.size() - i);
    writeRelease(w, api, slug, visible[i], id, 1704067200 + id * 86400);
  }
  w.endArray();
  std::string body = w.take();
  if (fault == ReleasesFault::WrongTypes) {
    // What a broken proxy or a schema change would send: a number for tag_name.
    body = R"([{"id":1,"tag_name":100,"draft":"no","prerelease":false}])";
  }
  if (fault == ReleasesFault::Truncated) {
    body.resize(body.size() / 2);
  }
  Response r = githubJson(200, std::move(body));
  std::string base = api + "/repos/" + slug + "/releases?per_page=" + std::to_string(per_page) + "&page=";
  std::string link;
  auto add = [&](int p, const char* rel) {
    link += (link.empty() ? "" : ", ") + std::string("<") + base + std::to_string(p) + ">; rel=\"" + rel + "\"";
  };
  if (page < pages) {
    if (fault == ReleasesFault::ForeignNextLink) {
      link = "<http://attacker.invalid/repos/" + slug + "/releases?page=2>; rel=\"next\"";
    } else {
      add(page + 1, "next");
      add(pages, "last");
    }
  }
  if (page > 1) {
    add(page - 1, "prev");
    add(1, "first");
  }
  if (!link.empty()) {
    r.header("Link", link);
  }
  // Conditional requests as GitHub: a weak ETag of the answer; If-None-Match with it → 304
  // (no body), which does not count against the limit of an authorized caller.
  unsigned char digest[SHA_DIGEST_LENGTH];
  std::string tagged = r.body + "\n" + link;
  SHA1(reinterpret_cast<const unsigned char*>(tagged.data()), tagged.size(), digest);
  std::string etag = "W/\"" + core::hexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest)) + "\"";
  const std::string* presented = http::findHeader(request.headers, "if-none-match");
  if (presented != nullptr && *presented == etag) {
    ++not_modified_;
    if (authed && options_.rate_limit > 0) {
      ++rate_remaining_;
    }
    Response unchanged;
    unchanged.status = 304;
    unchanged.header("ETag", etag);
    unchanged.header("Server", "GitHub.com");
    rateHeaders(unchanged);
    return unchanged;
  }
  r.header("ETag", etag);
  rateHeaders(r);
  return r;
}

std::optional<Response> GithubDouble::releasesFault(const std::string& slug, int page) {
  FaultPlan& plan = faults_[lower(slug)];
  if (plan.fault == ReleasesFault::None || (plan.page != 0 && plan.page != page)) {
    return std::nullopt;
  }
  ReleasesFault fault = plan.fault;
  if (plan.times > 0 && --plan.times == 0) {
    plan.fault = ReleasesFault::None;  // this was the last faulty answer
  }
  Response r;
  switch (fault) {
    case ReleasesFault::Html:
    case ReleasesFault::ServerError:
      r.status = fault == ReleasesFault::Html ? 200 : 502;
      r.body = "<!DOCTYPE html><html><head><title>Unicorn!</title></head><body>No server is "
               "currently available to service your request.</body></html>";
      r.header("Content-Type", "text/html; charset=utf-8");
      return r;
    case ReleasesFault::WrongShape:
      r = githubJson(200, R"({"total_count":1,"items":[{"tag_name":"v1.0.0"}]})");
      break;
    case ReleasesFault::EmptyBody:
      r = githubJson(200, "");
      break;
    case ReleasesFault::RateLimited:
      r = message(429, "You have exceeded a secondary rate limit. Please wait a few minutes before "
                       "you try again.");
      r.header("Retry-After", std::to_string(plan.retry_after));
      break;
    case ReleasesFault::SecondaryLimit:
      r = message(403, "You have exceeded a secondary rate limit. Please wait a few minutes before "
                       "you try again.");
      break;
    case ReleasesFault::PrimaryLimit: {
      r = message(403, "API rate limit exceeded for installation ID 77.",
                  "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
      r.header("x-ratelimit-limit", "5000");
      r.header("x-ratelimit-remaining", "0");
      r.header("x-ratelimit-reset", std::to_string(now() + plan.retry_after));
      r.header("x-ratelimit-used", "5000");
      r.header("x-ratelimit-resource", "core");
      return r;
    }
    default:
      return std::nullopt;  // the others change a normal answer (see releases())
  }
  rateHeaders(r);
  return r;
}

Response GithubDouble::controlRelease(const Request& request) {
  std::string slug = std::string(request.param("owner")) + "/" + std::string(request.param("repo"));
  auto tag = request.queryParam("tag");
  if (!tag || tag->empty()) {
    return message(422, "tag is required");
  }
  DoubleRelease release{*tag, request.queryParam("draft") == std::optional<std::string>("true"),
                        request.queryParam("prerelease") == std::optional<std::string>("true")};
  auto added = addRelease(slug, std::move(release));
  if (!added.ok()) {
    return message(added.error().code == core::Errc::Conflict ? 409 : 404, added.error().message);
  }
  return githubJson(201, "{}");
}

Response GithubDouble::archiveLink(const Request& request, bool zip) {
  std::lock_guard lock(mu_);
  ++archive_requests_;
  const Repo* repo = nullptr;
  if (auto refused = gate(request, &repo)) {
    return std::move(*refused);
  }
  std::string ref(request.param("ref"));
  if (repo->sha7.count(ref) == 0) {
    Response r = message(404, "Not Found");
    rateHeaders(r);
    return r;
  }
  std::string base = baseUrl(request);
  if (!options_.codeload_authority.empty()) {
    base = "http://" + options_.codeload_authority;
    if (size_t at = base.find("{port}"); at != std::string::npos) {
      base.replace(at, 6, std::to_string(port()));
    }
  }
  std::string location = base + "/codeload/" + repo->spec.owner + "/" + repo->spec.name +
                         (zip ? "/legacy.zip" : "/legacy.tar.gz") + "/refs/tags/" + ref;
  if (repo->spec.is_private) {
    std::string token = randomToken("A");
    download_tokens_[token] = now() + 300;
    location += "?token=" + token;
  }
  Response r;
  r.status = 302;
  r.header("Location", location);
  r.header("Server", "GitHub.com");
  r.header("Content-Type", "text/html;charset=utf-8");
  rateHeaders(r);
  return r;
}

Response GithubDouble::codeload(const Request& request) {
  std::lock_guard lock(mu_);
  auto it = repos_.find(lower(std::string(request.param("owner")) + "/" +
                               std::string(request.param("repo"))));
  std::string kind(request.param("kind"));
  std::string ref(request.param("ref"));
  auto notFound = [] {
    Response r;
    r.status = 404;
    r.body = "404: Not Found";
    r.header("Content-Type", "text/plain; charset=utf-8");
    return r;
  };
  if (it == repos_.end() || (kind != "legacy.zip" && kind != "legacy.tar.gz")) {
    return notFound();
  }
  const Repo& repo = *it->second;
  if (repo.spec.is_private) {
    auto token = request.queryParam("token");
    auto t = token ? download_tokens_.find(*token) : download_tokens_.end();
    if (t == download_tokens_.end() || t->second <= now()) {
      return notFound();
    }
  }
  bool zip = kind == "legacy.zip";
  const auto& archives = zip ? repo.zip : repo.tar_gz;
  auto a = archives.find(ref);
  if (a == archives.end()) {
    return notFound();
  }
  ++downloads_;
  Response r;
  r.status = 200;
  r.body = a->second;
  std::string file = repo.spec.owner + "-" + repo.spec.name + "-" + repo.sha7.at(ref) +
                     (zip ? ".zip" : ".tar.gz");
  r.header("Content-Type", zip ? "application/zip" : "application/x-gzip");
  r.header("Content-Disposition", "attachment; filename=" + file);
  r.header("ETag", "\"" + repo.sha7.at(ref) + "\"");
  return r;
}

Response GithubDouble::accessToken(const Request& request) {
  std::lock_guard lock(mu_);
  ++token_requests_;
  std::string jwt = credential(request);
  if (jwt.empty()) {
    return message(401, "A JSON web token could not be decoded");
  }
  std::string refusal = verifyAppJwt(jwt, options_.app_public_key_pem, options_.app_id, now());
  if (!refusal.empty()) {
    return message(401, refusal);
  }
  if (request.param("id") != std::to_string(options_.installation_id)) {
    return message(404, "Not Found");
  }
  std::string token = randomToken("ghs_");
  int64_t expires = now() + options_.token_lifetime_seconds;
  tokens_[token] = expires;
  ++tokens_issued_;
  core::JsonWriter w;
  w.beginObject()
      .member("token", token)
      .member("expires_at", isoTime(expires))
      .key("permissions").beginObject().member("contents", "read").member("metadata", "read").endObject()
      .member("repository_selection", "all")
      .endObject();
  return githubJson(201, w.take());
}

}  // namespace od::testing
