#include "adapters/stats/stats_keys.h"

#include <cstdio>

#include "core/names.h"

namespace od::adapters::stats {
namespace {

using core::Errc;

constexpr int64_t kMillisPerDay = 86400000;
// 9999-12-31T23:59:59.999Z: keeps years at four digits in dates and keys.
constexpr int64_t kMaxUnixMillis = 253402300799999;
constexpr size_t kMaxVersionLength = 128;
constexpr size_t kMaxEventIdLength = 128;

core::Error invalid(std::string_view field, std::string why) {
  return core::makeError(Errc::Invalid, "ArtifactDownloaded " + std::string(field) + ": " + why);
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Letters, digits and `extra`; never ':' or '/' (the key and member separators).
bool onlyTokenChars(std::string_view s, std::string_view extra) {
  for (char c : s) {
    if (!isAlnum(c) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> kindProblem(std::string_view kind, std::string* lower) {
  if (kind == "Module" || kind == "module") {
    *lower = "module";
  } else if (kind == "Provider" || kind == "provider") {
    *lower = "provider";
  } else {
    return "'" + std::string(kind) + "' is not Module or Provider";
  }
  return std::nullopt;
}

std::optional<std::string> versionProblem(std::string_view v) {
  if (v.empty()) {
    return "empty";
  }
  if (v.size() > kMaxVersionLength) {
    return "longer than " + std::to_string(kMaxVersionLength) + " characters";
  }
  if (!onlyTokenChars(v, ".+-_")) {
    return "only letters, digits, '.', '+', '-' and '_' are allowed";
  }
  return std::nullopt;
}

std::optional<std::string> eventIdProblem(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventIdLength || !onlyTokenChars(id, "-_.")) {
    return "must be 1-" + std::to_string(kMaxEventIdLength) +
           " letters, digits, '-', '_' or '.'";
  }
  return std::nullopt;
}

std::chrono::year_month_day civilDay(int64_t unix_ms) {
  return std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::days{unix_ms / kMillisPerDay}}};
}

}  // namespace

std::string utcDate(int64_t unix_ms) {
  auto ymd = civilDay(unix_ms);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string formatRfc3339Millis(int64_t unix_ms) {
  int64_t in_day = unix_ms % kMillisPerDay;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", utcDate(unix_ms).c_str(),
                static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60),
                static_cast<int>(in_day / 1000 % 60), static_cast<int>(in_day % 1000));
  return buf;
}

core::Result<StatsUpdate> planStatsUpdate(std::string_view event_id,
                                          const events::ArtifactDownloaded& d,
                                          const StatsKeyOptions& options) {
  std::string kind;
  if (auto p = eventIdProblem(event_id)) {
    return invalid("event id", *p);
  }
  if (auto p = kindProblem(d.kind, &kind)) {
    return invalid("kind", *p);
  }
  if (auto p = core::dns1123LabelProblem(d.name_space)) {
    return invalid("namespace", *p);
  }
  if (auto p = core::dns1123SubdomainProblem(d.name)) {
    return invalid("name", *p);
  }
  if (auto p = versionProblem(d.version)) {
    return invalid("version", *p);
  }
  if (d.at <= 0 || d.at > kMaxUnixMillis) {
    return invalid("at", "out of range: " + std::to_string(d.at));
  }
  const std::string& ns = d.name_space;
  std::string resource = ns + ":" + kind + ":" + d.name;
  std::string version = resource + ":" + d.version;
  StatsUpdate u;
  u.counted_key = std::string(kCountedPrefix) + std::string(event_id);
  u.total_key = "stats:total";
  u.ns_key = "stats:ns:" + ns;
  u.resource_key = "stats:resource:" + resource;
  u.version_key = "stats:version:" + version;
  u.leaderboard_global_key = "stats:leaderboard:global";
  u.leaderboard_ns_key = "stats:leaderboard:" + ns;
  u.day_key = "stats:day:" + utcDate(d.at) + ":" + version;
  u.member = ns + "/" + kind + "/" + d.name + "/" + d.version;
  u.last_at = formatRfc3339Millis(d.at);
  int64_t day = d.at / kMillisPerDay;
  u.day_expire_at = (day + options.day_retention_days) * (kMillisPerDay / 1000);
  u.counted_ttl_seconds = options.counted_ttl.count();
  return u;
}

}  // namespace od::adapters::stats
