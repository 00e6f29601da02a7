#include "core/reconcile/merge_patch.h"

#include <cstdio>
#include <utility>

#include "core/json.h"
#include "core/json_writer.h"

namespace od::core {
namespace {

std::optional<simdjson::dom::element> member(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element e;
  if (object.at_key(key).get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return e;
}

// The merge patch between two objects, or "" when they are equal.
std::string objectDiff(simdjson::dom::object from, simdjson::dom::object to) {
  JsonWriter w;
  w.beginObject();
  bool any = false;
  for (simdjson::dom::key_value_pair m : from) {
    if (!member(to, m.key)) {
      w.key(m.key).null();
      any = true;
    }
  }
  for (simdjson::dom::key_value_pair m : to) {
    auto old = member(from, m.key);
    simdjson::dom::object old_object;
    simdjson::dom::object new_object;
    if (old && old->get(old_object) == simdjson::SUCCESS &&
        m.value.get(new_object) == simdjson::SUCCESS) {
      std::string sub = objectDiff(old_object, new_object);
      if (!sub.empty()) {
        w.key(m.key).raw(sub);
        any = true;
      }
      continue;
    }
    std::string value = toJson(m.value);
    if (!old || toJson(*old) != value) {
      w.key(m.key).raw(value);
      any = true;
    }
  }
  w.endObject();
  return any ? w.take() : std::string();
}

Result<simdjson::dom::object> asObject(const JsonDocument& doc, std::string_view what) {
  simdjson::dom::object object;
  if (doc.root().get(object) != simdjson::SUCCESS) {
    return makeError(Errc::Invalid, std::string(what) + " is not a JSON object");
  }
  return object;
}

// Patches between two renderings of the same object; our own writer's output always parses.
std::string diffOrEmpty(const std::string& from, const std::string& to) {
  if (from == to) {
    return {};
  }
  auto patch = jsonMergePatch(from, to);
  return patch.ok() ? std::move(patch).value() : std::string();
}

}  // namespace

Result<std::string> jsonMergePatch(std::string_view from, std::string_view to) {
  OD_TRY(JsonDocument from_doc, JsonDocument::parse(from));
  OD_TRY(JsonDocument to_doc, JsonDocument::parse(to));
  OD_TRY(simdjson::dom::object from_object, asObject(from_doc, "the current document"));
  OD_TRY(simdjson::dom::object to_object, asObject(to_doc, "the desired document"));
  return objectDiff(from_object, to_object);
}

std::string formatRfc3339(Clock::TimePoint t) {
  const int64_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

std::vector<Condition> carryTransitionTimes(const std::vector<Condition>& current,
                                            std::vector<Condition> desired,
                                            std::string_view now) {
  for (auto& d : desired) {
    d.last_transition_time = std::string(now);
    for (const auto& c : current) {
      if (c.type == d.type && c.status == d.status && !c.last_transition_time.empty()) {
        d.last_transition_time = c.last_transition_time;
      }
    }
  }
  return desired;
}

std::string moduleStatusPatch(const Module& current, ModuleStatus desired, std::string_view now) {
  desired.conditions = carryTransitionTimes(current.status.conditions,
                                            std::move(desired.conditions), now);
  Module next = current;
  next.status = std::move(desired);
  return diffOrEmpty(toJson(current), toJson(next));
}

std::string providerStatusPatch(const Provider& current, ProviderStatus desired,
                                std::string_view now) {
  desired.conditions = carryTransitionTimes(current.status.conditions,
                                            std::move(desired.conditions), now);
  Provider next = current;
  next.status = std::move(desired);
  return diffOrEmpty(toJson(current), toJson(next));
}

std::string versionStatusPatch(const Version& current, VersionStatus desired,
                               std::string_view now) {
  desired.conditions = carryTransitionTimes(current.status.conditions,
                                            std::move(desired.conditions), now);
  Version next = current;
  next.status = std::move(desired);
  return diffOrEmpty(toJson(current), toJson(next));
}

std::string versionPatch(const Version& current, const Version& desired) {
  return diffOrEmpty(toJson(current), toJson(desired));
}

std::string forceSyncResetPatch() {
  JsonWriter w;
  w.beginObject().key("spec").beginObject().member("forceSync", false).endObject().endObject();
  return w.take();
}

}  // namespace od::core
