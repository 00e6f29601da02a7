#include "tests/fakes/fake_event_log_state.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace od::fakes {

using core::AppendRecord;
using core::AppendResult;
using core::Errc;
using core::Error;
using core::makeError;
using core::okStatus;
using core::Result;
using core::Status;
using core::StreamEntry;
using TimePoint = core::Clock::TimePoint;
using Id = StreamId;

namespace {

constexpr auto kSeenRetention = std::chrono::hours(24 * 7);

bool parseNumber(std::string_view s, uint64_t& out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<Id> parseIdImpl(std::string_view s) {
  Id id;
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    return parseNumber(s, id.ms) ? std::optional<Id>(id) : std::nullopt;
  }
  if (!parseNumber(s.substr(0, dash), id.ms) || !parseNumber(s.substr(dash + 1), id.seq)) {
    return std::nullopt;
  }
  return id;
}

std::string formatIdImpl(Id id) { return std::to_string(id.ms) + "-" + std::to_string(id.seq); }

Error badId(std::string_view s) {
  return makeError(Errc::Invalid, "Invalid stream ID specified as stream command argument: " +
                                      std::string(s));
}

}  // namespace

std::optional<StreamId> parseStreamId(std::string_view s) { return parseIdImpl(s); }
std::string formatStreamId(StreamId id) { return formatIdImpl(id); }

Id FakeLogState::nextId(Stream& s) {
  const int64_t now_ms = std::max<int64_t>(0, core::unixMillis(clock.now()));
  const auto ms = static_cast<uint64_t>(now_ms);
  s.last_id = ms > s.last_id.ms ? Id{ms, 0} : Id{s.last_id.ms, s.last_id.seq + 1};
  return s.last_id;
}

Result<AppendResult> FakeLogState::appendOne(const AppendRecord& record) {
  if (record.stream.empty() || record.fields.empty()) {
    return makeError(Errc::Invalid, "append needs a stream and at least one field");
  }
  const TimePoint now = clock.now();
  if (!record.dedupe_id.empty()) {
    auto it = seen.find(record.dedupe_id);
    if (it != seen.end() && it->second > now) {
      return AppendResult{"", true};
    }
  }
  Stream& s = streams[record.stream];
  const Id id = nextId(s);
  s.entries.emplace(id, record.fields);
  if (!record.dedupe_id.empty()) {
    seen[record.dedupe_id] = now + kSeenRetention;
  }
  wake(record.stream);
  return AppendResult{formatStreamId(id), false};
}

Result<std::vector<StreamEntry>> FakeLogState::readNow(const std::string& stream, const std::string& after,
                                         size_t count) {
  auto after_id = parseStreamId(after);
  if (!after_id) {
    return badId(after);
  }
  std::vector<StreamEntry> out;
  auto sit = streams.find(stream);
  if (sit == streams.end()) {
    return out;
  }
  for (auto it = sit->second.entries.upper_bound(*after_id);
       it != sit->second.entries.end() && (count == 0 || out.size() < count); ++it) {
    out.push_back(StreamEntry{formatStreamId(it->first), it->second});
  }
  return out;
}

Result<Group*> FakeLogState::findGroup(const std::string& stream, const std::string& group) {
  auto sit = streams.find(stream);
  if (sit != streams.end()) {
    auto git = sit->second.groups.find(group);
    if (git != sit->second.groups.end()) {
      return &git->second;
    }
  }
  return makeError(Errc::NotFound, "NOGROUP No such key '" + stream +
                                       "' or consumer group '" + group + "'");
}

Result<std::vector<core::Delivery>> FakeLogState::readGroupNow(const core::GroupRead& req) {
  OD_TRY(Group* g, findGroup(req.stream, req.group));
  Stream& s = streams[req.stream];
  const TimePoint now = clock.now();
  std::vector<core::Delivery> out;
  const auto full = [&] { return req.count != 0 && out.size() >= req.count; };
  if (req.pending) {
    auto after = parseStreamId(req.after_id);
    if (!after) {
      return badId(req.after_id);
    }
    for (auto it = g->pel.upper_bound(*after); it != g->pel.end() && !full(); ++it) {
      const Id& id = it->first;
      PelEntry& pe = it->second;
      if (pe.consumer != req.consumer) {
        continue;
      }
      auto eit = s.entries.find(id);
      if (eit == s.entries.end()) {
        out.push_back(core::Delivery{StreamEntry{formatStreamId(id), {}}, pe.deliveries});
        continue;
      }
      ++pe.deliveries;
      pe.last_delivery = now;
      out.push_back(core::Delivery{StreamEntry{formatStreamId(id), eit->second}, pe.deliveries});
    }
    return out;
  }
  for (auto it = s.entries.upper_bound(g->last_delivered); it != s.entries.end() && !full();
       ++it) {
    g->last_delivered = it->first;
    g->pel[it->first] = PelEntry{req.consumer, 1, now};
    out.push_back(core::Delivery{StreamEntry{formatStreamId(it->first), it->second}, 1});
  }
  return out;
}

Result<core::ClaimResult> FakeLogState::claimNow(const core::ClaimRequest& req) {
  OD_TRY(Group* g, findGroup(req.stream, req.group));
  Stream& s = streams[req.stream];
  const TimePoint now = clock.now();
  core::ClaimResult out;
  for (auto it = g->pel.begin(); it != g->pel.end();) {
    if (req.count != 0 && out.claimed.size() >= req.count) {
      break;
    }
    PelEntry& pe = it->second;
    if (now - pe.last_delivery < req.min_idle) {
      ++it;
      continue;
    }
    auto eit = s.entries.find(it->first);
    if (eit == s.entries.end()) {
      out.deleted_ids.push_back(formatStreamId(it->first));
      it = g->pel.erase(it);
      continue;
    }
    pe.consumer = req.consumer;
    ++pe.deliveries;
    pe.last_delivery = now;
    out.claimed.push_back(core::Delivery{StreamEntry{formatStreamId(it->first), eit->second},
                                         pe.deliveries});
    ++it;
  }
  return out;
}

Status FakeLogState::ackNow(const std::string& stream, const std::string& group,
              const std::vector<std::string>& ids) {
  std::vector<Id> parsed;
  for (const auto& raw : ids) {
    auto id = parseStreamId(raw);
    if (!id) {
      return badId(raw);
    }
    parsed.push_back(*id);
  }
  auto g = findGroup(stream, group);
  if (!g.ok()) {
    return okStatus();  // XACK on a missing key or group acknowledges nothing
  }
  for (const Id& id : parsed) {
    (*g)->acked += (*g)->pel.erase(id);
  }
  return okStatus();
}

Result<size_t> FakeLogState::releaseNow(TimePoint now, size_t count) {
  std::vector<std::map<std::string, DueItem>::iterator> ready;
  for (auto it = due_set.begin(); it != due_set.end(); ++it) {
    if (it->second.at <= now) {
      ready.push_back(it);
    }
  }
  std::sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) {
    return std::pair(a->second.at, a->second.seq) < std::pair(b->second.at, b->second.seq);
  });
  size_t released = 0;
  for (auto it : ready) {
    if (count != 0 && released >= count) {
      break;
    }
    auto appended = appendOne(it->second.record);
    if (!appended.ok()) {
      return std::move(appended).takeError();
    }
    due_set.erase(it);
    ++released;
  }
  return released;
}
}  // namespace od::fakes
