#include "http/metrics.h"

#include <fmt/format.h>

namespace od::http {

void Metrics::onRequest(std::string_view route, int status, uint64_t bytes, double seconds) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{std::string(route), status}];
  }
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP opendepot_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE opendepot_http_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, count] : requests_) {
      out += fmt::format("opendepot_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         key.first, key.second, count);
    }
  }
  out += "# HELP opendepot_http_response_bytes_total Response body bytes sent.\n";
  out += "# TYPE opendepot_http_response_bytes_total counter\n";
  out += fmt::format("opendepot_http_response_bytes_total {}\n", bytes_.load());
  out += "# HELP opendepot_http_open_connections Open client connections.\n";
  out += "# TYPE opendepot_http_open_connections gauge\n";
  out += fmt::format("opendepot_http_open_connections {}\n", open_connections_.load());
  out += "# HELP opendepot_http_rejected_connections_total Connections refused at max-connections.\n";
  out += "# TYPE opendepot_http_rejected_connections_total counter\n";
  out += fmt::format("opendepot_http_rejected_connections_total {}\n", rejected_connections_.load());
  out += "# HELP opendepot_http_parse_errors_total Requests refused by the parser.\n";
  out += "# TYPE opendepot_http_parse_errors_total counter\n";
  out += fmt::format("opendepot_http_parse_errors_total {}\n", parse_errors_.load());
  out += "# HELP opendepot_http_request_duration_seconds Time from first byte to response queued.\n";
  out += "# TYPE opendepot_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load();
    out += fmt::format("opendepot_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       kBuckets[i], cumulative);
  }
  cumulative += buckets_[kBuckets.size()].load();
  out += fmt::format("opendepot_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("opendepot_http_request_duration_seconds_sum {}\n",
                     static_cast<double>(latency_sum_us_.load()) / 1e6);
  out += fmt::format("opendepot_http_request_duration_seconds_count {}\n", latency_count_.load());
  return out;
}

}  // namespace od::http
