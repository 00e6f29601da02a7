#pragma once
// Metrics: the server's counters, rendered for /metrics in the Prometheus text format:
// requests by route and status, response bytes, open connections, rejected connections,
// parse errors and a request-latency histogram.
// Thread affinity: any thread (every HTTP loop updates the same object; counters are atomic,
// the per-route map takes a short mutex).

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace od::http {

class Metrics {
 public:
  void onRequest(std::string_view route, int status, uint64_t bytes, double seconds);
  void onParseError() { parse_errors_.fetch_add(1, std::memory_order_relaxed); }
  void onConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void onConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void onConnectionRejected() { rejected_connections_.fetch_add(1, std::memory_order_relaxed); }
  int64_t openConnections() const { return open_connections_.load(std::memory_order_relaxed); }
  uint64_t parseErrors() const { return parse_errors_.load(std::memory_order_relaxed); }

  std::string render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, status) → count
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> parse_errors_{0};
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> latency_count_{0};
  std::atomic<uint64_t> latency_sum_us_{0};
};

}  // namespace od::http
