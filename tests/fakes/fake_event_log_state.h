#pragma once
// The synchronous state of FakeEventLog: streams, consumer groups with their PELs, the
// seen-markers of idempotent append, the due set and checkpoints, as plain data plus the
// operations the fake applies when a call arrives. Split out of fake_event_log.cc to keep
// files short; nothing here is asynchronous.
// Thread affinity: the test thread only. *clock must outlive this object.

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/event_log.h"

namespace od::fakes {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
};
std::optional<StreamId> parseStreamId(std::string_view s);
std::string formatStreamId(StreamId id);

struct PelEntry {
  std::string consumer;
  uint64_t deliveries = 0;
  core::Clock::TimePoint last_delivery;
};

struct Group {
  StreamId last_delivered;
  std::map<StreamId, PelEntry> pel;
  size_t acked = 0;
};

struct Stream {
  std::map<StreamId, core::StreamFields> entries;
  StreamId last_id;
  std::map<std::string, Group> groups;
};

struct DueItem {
  core::Clock::TimePoint at;
  uint64_t seq = 0;
  core::AppendRecord record;
};

class FakeLogState {
 public:
  explicit FakeLogState(core::Clock& c) : clock(c) {}
  virtual ~FakeLogState() = default;

  core::Result<core::AppendResult> appendOne(const core::AppendRecord& record);
  core::Result<std::vector<core::StreamEntry>> readNow(const std::string& stream,
                                                       const std::string& after, size_t count);
  core::Result<Group*> findGroup(const std::string& stream, const std::string& group);
  core::Result<std::vector<core::Delivery>> readGroupNow(const core::GroupRead& req);
  core::Result<core::ClaimResult> claimNow(const core::ClaimRequest& req);
  core::Status ackNow(const std::string& stream, const std::string& group,
                      const std::vector<std::string>& ids);
  core::Result<size_t> releaseNow(core::Clock::TimePoint now, size_t count);

  core::Clock& clock;
  std::map<std::string, Stream> streams;
  std::map<std::string, core::Clock::TimePoint> seen;  // dedupe id -> expiry
  std::map<std::string, DueItem> due_set;
  uint64_t due_seq = 0;
  std::map<std::string, std::string> checkpoints;

 protected:
  // Called after an entry was appended to `stream` (wakes blocked readers).
  virtual void wake(const std::string& stream) = 0;

 private:
  StreamId nextId(Stream& s);
};

}  // namespace od::fakes
