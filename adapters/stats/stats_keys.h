#pragma once
// The reference's download-statistics keys (inventory §3.5, kept byte-compatible so its
// readers and dashboards work unchanged) and the plan of one download's update.
//
//   stats:total                                   INCR
//   stats:ns:{ns}                                 INCR
//   stats:resource:{ns}:{kind}:{name}             HINCRBY count 1, lastAt (RFC 3339, UTC)
//   stats:version:{ns}:{kind}:{name}:{version}    same
//   stats:leaderboard:global, stats:leaderboard:{ns}
//                                                 ZINCRBY 1 "{ns}/{kind}/{name}/{version}"
//   stats:day:{YYYY-MM-DD}:{ns}:{kind}:{name}:{version}
//                                                 INCR + EXPIREAT (that UTC midnight + 90 d)
// plus our own exactly-once marker od:{stats}:counted:<event id> (SET NX EX 7 days).
//
// kind is written as the reference writes it: "module" or "provider". Every part of a key
// is validated first (':' and '/' are separators, so they can never come from input).
// lastAt is written with a fixed three-digit fraction ("2024-01-01T00:00:00.000Z"), which is
// valid RFC 3339 for the reference's parser and compares lexicographically, so the update
// can keep the later of two times when events arrive out of order.
//
// Thread affinity: pure functions, any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "events/codec.h"

namespace od::adapters::stats {

inline constexpr std::string_view kCountedPrefix = "od:{stats}:counted:";

struct StatsKeyOptions {
  std::chrono::seconds counted_ttl{std::chrono::hours(24 * 7)};
  int day_retention_days = 90;
};

// Everything one download changes, in the order the server-side function takes it.
struct StatsUpdate {
  std::string counted_key;
  std::string total_key;
  std::string ns_key;
  std::string resource_key;
  std::string version_key;
  std::string leaderboard_global_key;
  std::string leaderboard_ns_key;
  std::string day_key;
  std::string member;         // "{ns}/{kind}/{name}/{version}"
  std::string last_at;        // RFC 3339 UTC with milliseconds
  int64_t day_expire_at = 0;  // unix seconds
  int64_t counted_ttl_seconds = 0;
};

// Errors: Invalid naming the field (event id, kind, namespace, name, version, at).
core::Result<StatsUpdate> planStatsUpdate(std::string_view event_id,
                                          const events::ArtifactDownloaded& download,
                                          const StatsKeyOptions& options = {});

// "2024-01-01T00:00:00.123Z" (proleptic Gregorian, UTC). REQUIRES: unix_ms >= 0.
std::string formatRfc3339Millis(int64_t unix_ms);
// "2024-01-01". REQUIRES: unix_ms >= 0.
std::string utcDate(int64_t unix_ms);

}  // namespace od::adapters::stats
