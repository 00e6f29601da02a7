// The provider registry double's HashiCorp releases API list (see provider_registry_double.h):
// GET /v1/releases/terraform-provider-{type}?limit=N&after=T for the providers of namespace
// "hashicorp". Release i of a provider (its versions in configured order, oldest first) was
// created on 2024-01-01 + i days at 12:00:00.<i>Z; listings run newest first, as the API's.
#include <algorithm>
#include <ctime>

#include "core/json_writer.h"
#include "tests/adapters/registry/provider_registry_double.h"

namespace od::testing {

using http::Request;
using http::Response;

namespace {

std::string createdAt(size_t index) {
  std::time_t t = static_cast<std::time_t>(1704110400 + static_cast<int64_t>(index) * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(100 + index % 900) + "Z";
}

// The API's error shape: {"code": N, "message": "..."}.
Response apiError(int status, const std::string& message) {
  core::JsonWriter w;
  w.beginObject().member("code", static_cast<int64_t>(status)).member("message", message).endObject();
  return Response::json(status, w.take());
}

}  // namespace

Response ProviderRegistryDouble::releasesList(const Request& request) {
  ++releases_requests_;
  std::lock_guard lock(mu_);
  std::string product(request.param("product"));
  const std::string prefix = "terraform-provider-";
  const DoubleProvider* p = product.rfind(prefix, 0) == 0 ? find("hashicorp", product.substr(prefix.size()))
                                                          : nullptr;
  if (p == nullptr) {
    return apiError(404, "product not found");
  }
  std::string limit_text = request.queryParam("limit").value_or("10");
  int limit = limit_text.size() <= 3 && !limit_text.empty() &&
                      limit_text.find_first_not_of("0123456789") == std::string::npos
                  ? std::stoi(limit_text)
                  : -1;
  if (limit < 1 || limit > 20) {
    return apiError(400, "limit must be between 1 and 20");
  }
  auto after = request.queryParam("after");
  // Newest first; `after` keeps those created before it (the times sort as strings).
  std::vector<size_t> order;
  for (size_t i = p->versions.size(); i-- > 0;) {
    if (!after || fault_ == RegistryFault::ReleasesStuckCursor || createdAt(i) < *after) {
      order.push_back(i);
    }
  }
  int page = 1 + static_cast<int>((p->versions.size() - order.size()) / static_cast<size_t>(limit));
  RegistryFault fault = fault_page_ == 0 || fault_page_ == page ? fault_ : RegistryFault::None;
  if (fault != RegistryFault::None && fault_times_ > 0 && --fault_times_ == 0) {
    fault_ = RegistryFault::None;  // that was the last faulty answer
  }
  if (fault == RegistryFault::ReleasesHtml) {
    Response r = Response::text(200, "<!DOCTYPE html><html><body>Service Unavailable</body></html>");
    r.header("Content-Type", "text/html");
    return r;
  }
  if (fault == RegistryFault::ReleasesServerError) {
    return apiError(503, "service unavailable");
  }
  if (fault == RegistryFault::ReleasesRateLimited) {
    Response r = apiError(429, "too many requests");
    r.header("Retry-After", "7");
    return r;
  }
  core::JsonWriter w;
  w.beginArray();
  for (size_t n = 0; n < order.size() && n < static_cast<size_t>(limit); ++n) {
    size_t i = order[n];
    const std::string& v = p->versions[i];
    std::string base = "https://releases.hashicorp.com/" + product + "/" + v + "/" + product + "_" + v;
    w.beginObject()
        .member("name", fault == RegistryFault::ReleasesWrongProduct ? std::string("terraform") : product)
        .member("version", v)
        .member("timestamp_created", createdAt(i))
        .member("timestamp_updated", createdAt(i))
        .member("is_prerelease", v.find('-') != std::string::npos)
        .member("license_class", "oss");
    w.key("builds").beginArray();
    for (const auto& [os, arch] : p->platforms) {
      w.beginObject().member("arch", arch).member("os", os).member("url", base + "_" + os + "_" + arch + ".zip").endObject();
    }
    w.endArray();
    w.member("url_shasums", base + "_SHA256SUMS");
    w.key("url_shasums_signatures").beginArray().value(base + "_SHA256SUMS.sig").endArray();
    w.key("status").beginObject().member("state", "supported").member("timestamp_updated", createdAt(i)).endObject();
    w.endObject();
  }
  w.endArray();
  std::string body = w.take();
  if (fault == RegistryFault::ReleasesTruncated) {
    body.resize(body.size() / 2);
  }
  return Response::json(200, std::move(body));
}

}  // namespace od::testing
