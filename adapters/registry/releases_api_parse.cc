#include "adapters/registry/releases_api_parse.h"

#include <cctype>

#include "adapters/registry/registry_parse.h"
#include "core/json.h"

namespace od::adapters::registry {

using core::Errc;
using core::makeError;

namespace {

core::Error corrupt(const std::string& problem) {
  return makeError(Errc::Corrupt, "releases API page: " + problem);
}

std::string printable(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (s.size() > 80 ? "...\"" : "\"");
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t at, size_t n, int& out) {
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || std::isdigit(static_cast<unsigned char>(s[i])) == 0) {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

core::Status checkEntry(simdjson::dom::object release, const std::string& field) {
  simdjson::dom::element e;
  if (release["is_prerelease"].get(e) == simdjson::SUCCESS && !e.is_null() && !e.is_bool()) {
    return corrupt(field + ".is_prerelease is a " + std::string(core::jsonTypeName(e)) + ", want a boolean");
  }
  if (release["builds"].get(e) != simdjson::SUCCESS || e.is_null()) {
    return core::okStatus();
  }
  simdjson::dom::array builds;
  if (e.get(builds) != simdjson::SUCCESS) {
    return corrupt(field + ".builds is a " + std::string(core::jsonTypeName(e)) + ", want an array");
  }
  size_t index = 0;
  for (simdjson::dom::element build : builds) {
    std::string at = field + ".builds[" + std::to_string(index++) + "]";
    for (const char* name : {"os", "arch"}) {
      std::string_view value;
      if (build[name].get(value) != simdjson::SUCCESS || !checkPlatform(value).ok()) {
        return corrupt(at + "." + name + ": want a platform name string");
      }
    }
  }
  return core::okStatus();
}

}  // namespace

core::Result<int64_t> parseRfc3339Utc(std::string_view t) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool shape = t.size() >= 20 && digits(t, 0, 4, year) && t[4] == '-' && digits(t, 5, 2, month) &&
               t[7] == '-' && digits(t, 8, 2, day) && (t[10] == 'T' || t[10] == 't') &&
               digits(t, 11, 2, hour) && t[13] == ':' && digits(t, 14, 2, minute) && t[16] == ':' &&
               digits(t, 17, 2, second) && (t.back() == 'Z' || t.back() == 'z');
  int64_t nanos = 0;
  if (shape && t.size() > 20) {
    std::string_view fraction = t.substr(19, t.size() - 20);
    shape = fraction.size() >= 2 && fraction.size() <= 10 && fraction[0] == '.';
    for (size_t i = 1; shape && i < 10; ++i) {
      int digit = 0;
      if (i < fraction.size() && !digits(fraction, i, 1, digit)) {
        shape = false;
      }
      nanos = nanos * 10 + (i < fraction.size() ? digit : 0);
    }
  }
  if (!shape || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return corrupt("time " + printable(t) + " is not an RFC 3339 UTC time");
  }
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000000000) + nanos;
}

core::Result<std::vector<ReleasesApiEntry>> parseReleasesApiPage(std::string_view body,
                                                                 std::string_view product,
                                                                 size_t max_bytes) {
  core::JsonLimits limits;
  limits.max_bytes = max_bytes;
  limits.max_depth = 16;
  auto doc = core::JsonDocument::parse(body, limits);
  if (!doc) {
    return corrupt("not JSON (" + printable(body) + "): " + doc.error().message);
  }
  simdjson::dom::array array;
  if (doc->root().get(array) != simdjson::SUCCESS) {
    return corrupt("the answer is a " + std::string(core::jsonTypeName(doc->root())) + ", want an array");
  }
  std::vector<ReleasesApiEntry> out;
  size_t index = 0;
  for (simdjson::dom::element item : array) {
    std::string field = "[" + std::to_string(index++) + "]";
    simdjson::dom::object release;
    if (item.get(release) != simdjson::SUCCESS) {
      return corrupt(field + " is a " + std::string(core::jsonTypeName(item)) + ", want an object");
    }
    std::string_view name;
    if (release["name"].get(name) == simdjson::SUCCESS && name != product) {
      return corrupt(field + ".name " + printable(name) + " is not the asked product " + printable(product));
    }
    std::string_view version;
    std::string_view created;
    if (release["version"].get(version) != simdjson::SUCCESS || !checkVersion(version).ok()) {
      return corrupt(field + ".version: want a version string");
    }
    if (release["timestamp_created"].get(created) != simdjson::SUCCESS) {
      return corrupt(field + ".timestamp_created: want a time string");
    }
    ReleasesApiEntry entry;
    OD_TRY(entry.created_ns, parseRfc3339Utc(created));
    auto checked = checkEntry(release, field);
    if (!checked.ok()) {
      return checked.error();
    }
    entry.version = std::string(version);
    entry.timestamp_created = std::string(created);
    bool pre = false;
    entry.prerelease = release["is_prerelease"].get(pre) == simdjson::SUCCESS && pre;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace od::adapters::registry
