// The EventLog contract (house style §10, Eventuous StoreAppendTests<T>): one typed suite run
// against FakeEventLog (FakeClock, time moved by hand) and ValkeyEventLog (a real
// redis-server, real short idle times). A fake that passes it can be trusted in unit tests.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/valkey_event_log.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_event_log.h"
#include "tests/integration/redis_fixture.h"

namespace od {
namespace {

using core::AppendRecord;
using core::Result;
using std::chrono::milliseconds;
template <typename T>
using Start = std::function<core::CancelablePtr(std::function<void(Result<T>)>)>;

struct FakeHarness {
  fakes::FakeClock clock;
  fakes::FakeEventLog log{clock};

  template <typename T>
  Result<T> wait(const Start<T>& start) {
    std::optional<Result<T>> result;
    auto handle = start([&](Result<T> r) { result.emplace(std::move(r)); });
    for (int i = 0; i < 100 && !result; ++i) {
      clock.advance(milliseconds(10));
    }
    if (!result) {
      return core::makeError(core::Errc::Internal, "no completion");
    }
    return std::move(*result);
  }
  void passTime(milliseconds d) { clock.advance(d); }
  core::Clock::TimePoint now() const { return clock.now(); }
  void trimThrough(const std::string& stream, const std::string& id) { log.trim(stream, id); }
};

// One server for the whole suite; every test starts from FLUSHALL.
testing::RedisServer& sharedServer() {
  static testing::RedisServer server;  // stopped by its destructor at exit
  if (!server.running() && !server.start()) {
    ADD_FAILURE() << "redis-server did not start";
  }
  return server;
}

struct ValkeyHarness {
  adapters::loop::EventLoop loop;
  std::unique_ptr<adapters::valkey::ValkeyEventLog> log_ptr;
  adapters::valkey::ValkeyEventLog& log;

  ValkeyHarness() : log_ptr(make()), log(*log_ptr) {}
  std::unique_ptr<adapters::valkey::ValkeyEventLog> make() {
    auto& server = sharedServer();
    server.text({"FLUSHALL"});
    adapters::valkey::ValkeyOptions options;
    options.port = server.port();
    return std::make_unique<adapters::valkey::ValkeyEventLog>(loop, options,
                                                              *spdlog::default_logger());
  }
  template <typename T>
  Result<T> wait(const Start<T>& start) {
    return testing::awaitResult<T>(loop, start);
  }
  void passTime(milliseconds d) { std::this_thread::sleep_for(d); }
  core::Clock::TimePoint now() const { return std::chrono::system_clock::now(); }
  void trimThrough(const std::string& stream, const std::string& id) {
    // XTRIM MINID keeps ids >= MINID: the successor of `id`.
    const auto dash = id.find('-');
    std::string next = id.substr(0, dash) + "-" + std::to_string(std::stoull(id.substr(dash + 1)) + 1);
    sharedServer().text({"XTRIM", stream, "MINID", next});
  }
};

template <typename H>
class EventLogContract : public ::testing::Test {
 protected:
  H h;
  core::EventLog& log() { return h.log; }

  AppendRecord rec(std::string stream, std::string dedupe, std::string value) {
    return AppendRecord{std::move(stream), std::move(dedupe), {{"v", std::move(value)}}};
  }
  Result<std::vector<core::AppendResult>> append(std::vector<AppendRecord> records) {
    return h.template wait<std::vector<core::AppendResult>>(
        [&](auto done) { return log().append(records, done); });
  }
  std::vector<core::StreamEntry> readAll(const std::string& stream) {
    auto r = h.template wait<std::vector<core::StreamEntry>>(
        [&](auto done) { return log().read(stream, "0", 1000, milliseconds(0), done); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    return r.ok() ? r.value() : std::vector<core::StreamEntry>{};
  }
  core::Status ensure(const std::string& stream, const std::string& group) {
    return h.template wait<void>([&](auto done) { return log().ensureGroup(stream, group, done); });
  }
  Result<std::vector<core::Delivery>> readGroup(const std::string& stream, const std::string& consumer,
                                                bool pending, size_t count = 64) {
    core::GroupRead request{stream, "g", consumer, count, milliseconds(0), pending};
    return h.template wait<std::vector<core::Delivery>>(
        [&](auto done) { return log().readGroup(request, done); });
  }
  core::Status ack(const std::string& stream, std::vector<std::string> ids) {
    return h.template wait<void>([&](auto done) { return log().ack(stream, "g", ids, done); });
  }
  Result<core::ClaimResult> claim(const std::string& stream, const std::string& consumer,
                                  milliseconds min_idle) {
    core::ClaimRequest request{stream, "g", consumer, min_idle, 64};
    return h.template wait<core::ClaimResult>(
        [&](auto done) { return log().claimIdle(request, done); });
  }
  core::Status schedule(core::Clock::TimePoint at, AppendRecord record) {
    return h.template wait<void>(
        [&](auto done) { return log().schedule(core::DueRecord{at, record}, done); });
  }
  Result<size_t> release(core::Clock::TimePoint now, size_t count = 0) {
    return h.template wait<size_t>([&](auto done) { return log().releaseDue(now, count, done); });
  }
};

using Harnesses = ::testing::Types<FakeHarness, ValkeyHarness>;
class HarnessNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, FakeHarness> ? "Fake" : "Valkey";
  }
};
TYPED_TEST_SUITE(EventLogContract, Harnesses, HarnessNames);

const std::string kS = "od:{ctl}:test";

TYPED_TEST(EventLogContract, AppendAssignsIncreasingIdsAndReadReturnsEntriesInOrder) {
  auto r = this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2")});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_LT((*r)[0].entry_id, (*r)[1].entry_id);
  auto entries = this->readAll(kS);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, (*r)[0].entry_id);
  EXPECT_EQ(entries[1].fields, (core::StreamFields{{"v", "2"}}));
}

TYPED_TEST(EventLogContract, SameDedupeIdIsAppendedOnce) {
  auto first = this->append({this->rec(kS, "evt-1", "a")});
  auto second = this->append({this->rec(kS, "evt-1", "b"), this->rec(kS, "evt-2", "c")});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE((*first)[0].duplicate);
  EXPECT_TRUE((*second)[0].duplicate);
  EXPECT_EQ((*second)[0].entry_id, "");
  EXPECT_FALSE((*second)[1].duplicate);
  auto entries = this->readAll(kS);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].fields[0].second, "a");
}

TYPED_TEST(EventLogContract, EmptyDedupeIdAlwaysAppends) {
  ASSERT_TRUE(this->append({this->rec(kS, "", "x")}).ok());
  ASSERT_TRUE(this->append({this->rec(kS, "", "x")}).ok());
  EXPECT_EQ(this->readAll(kS).size(), 2u);
}

TYPED_TEST(EventLogContract, RecordWithoutFieldsIsInvalid) {
  auto r = this->append({AppendRecord{kS, "", {}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
}

TYPED_TEST(EventLogContract, ReadAfterIdReturnsOnlyLaterEntriesUpToCount) {
  auto r = this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2"), this->rec(kS, "", "3")});
  ASSERT_TRUE(r.ok());
  auto later = this->h.template wait<std::vector<core::StreamEntry>>([&](auto done) {
    return this->log().read(kS, (*r)[0].entry_id, 1, milliseconds(0), done);
  });
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].id, (*r)[1].entry_id);
  EXPECT_TRUE(this->readAll("od:{ctl}:missing").empty());
}

TYPED_TEST(EventLogContract, GroupDeliversNewEntriesOnceWithCountOne) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  ASSERT_TRUE(this->ensure(kS, "g").ok());  // idempotent
  ASSERT_TRUE(this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2")}).ok());
  auto first = this->readGroup(kS, "c1", false);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].deliveries, 1u);
  EXPECT_EQ((*first)[1].entry.fields[0].second, "2");
  auto again = this->readGroup(kS, "c2", false);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TYPED_TEST(EventLogContract, GroupCreatedBeforeTheStreamReadsFromTheStart) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  ASSERT_TRUE(this->append({this->rec(kS, "", "1")}).ok());
  auto got = this->readGroup(kS, "c1", false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
}

TYPED_TEST(EventLogContract, ReadGroupOnUnknownGroupIsNotFound) {
  ASSERT_TRUE(this->append({this->rec(kS, "", "1")}).ok());
  auto got = this->readGroup(kS, "c1", false);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, core::Errc::NotFound);
}

TYPED_TEST(EventLogContract, PendingReadReturnsOwnUnackedEntriesWithRisingCount) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  ASSERT_TRUE(this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2")}).ok());
  ASSERT_TRUE(this->readGroup(kS, "c1", false).ok());
  auto pending = this->readGroup(kS, "c1", true);
  ASSERT_TRUE(pending.ok()) << pending.error().describe();
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].deliveries, 2u);
  EXPECT_EQ((*pending)[0].entry.fields[0].second, "1");
  auto others = this->readGroup(kS, "c2", true);
  ASSERT_TRUE(others.ok());
  EXPECT_TRUE(others->empty());
  ASSERT_TRUE(this->ack(kS, {(*pending)[0].entry.id}).ok());
  auto after_ack = this->readGroup(kS, "c1", true);
  ASSERT_TRUE(after_ack.ok());
  ASSERT_EQ(after_ack->size(), 1u);
  EXPECT_EQ((*after_ack)[0].entry.fields[0].second, "2");
  EXPECT_EQ((*after_ack)[0].deliveries, 3u);
}

TYPED_TEST(EventLogContract, PendingReadPagesAfterAnId) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  ASSERT_TRUE(this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2"), this->rec(kS, "", "3")}).ok());
  ASSERT_TRUE(this->readGroup(kS, "c1", false).ok());
  auto first = this->readGroup(kS, "c1", true, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  core::GroupRead request{kS, "g", "c1", 2, milliseconds(0), true, (*first)[1].entry.id};
  auto rest = this->h.template wait<std::vector<core::Delivery>>(
      [&](auto done) { return this->log().readGroup(request, done); });
  ASSERT_TRUE(rest.ok()) << rest.error().describe();
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].entry.fields[0].second, "3");
}

TYPED_TEST(EventLogContract, ClaimIdleTakesOverOnlyIdleEntries) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  ASSERT_TRUE(this->append({this->rec(kS, "", "1")}).ok());
  ASSERT_TRUE(this->readGroup(kS, "dead", false).ok());
  auto early = this->claim(kS, "alive", milliseconds(10000));
  ASSERT_TRUE(early.ok()) << early.error().describe();
  EXPECT_TRUE(early->claimed.empty());
  this->h.passTime(milliseconds(60));
  auto claimed = this->claim(kS, "alive", milliseconds(50));
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->claimed.size(), 1u);
  EXPECT_EQ(claimed->claimed[0].deliveries, 2u);
  EXPECT_EQ(claimed->claimed[0].entry.fields[0].second, "1");
  EXPECT_TRUE(claimed->deleted_ids.empty());
  auto mine = this->readGroup(kS, "alive", true);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 1u);
  auto theirs = this->readGroup(kS, "dead", true);
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->empty());
}

TYPED_TEST(EventLogContract, TrimmedPendingEntriesAreReportedDeletedByClaim) {
  ASSERT_TRUE(this->ensure(kS, "g").ok());
  auto ids = this->append({this->rec(kS, "", "1"), this->rec(kS, "", "2")});
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE(this->readGroup(kS, "dead", false).ok());
  this->h.trimThrough(kS, (*ids)[0].entry_id);
  auto pending = this->readGroup(kS, "dead", true);  // a trimmed entry has no body
  ASSERT_TRUE(pending.ok()) << pending.error().describe();
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_TRUE((*pending)[0].entry.fields.empty());
  this->h.passTime(milliseconds(60));
  auto claimed = this->claim(kS, "alive", milliseconds(50));
  ASSERT_TRUE(claimed.ok()) << claimed.error().describe();
  EXPECT_EQ(claimed->deleted_ids, std::vector<std::string>{(*ids)[0].entry_id});
  ASSERT_EQ(claimed->claimed.size(), 1u);
  EXPECT_EQ(claimed->claimed[0].entry.id, (*ids)[1].entry_id);
}

TYPED_TEST(EventLogContract, DueRecordsAreReleasedWhenTheirTimeComes) {
  const auto now = this->h.now();
  ASSERT_TRUE(this->schedule(now + std::chrono::seconds(10), this->rec(kS, "later", "L")).ok());
  ASSERT_TRUE(this->schedule(now - milliseconds(1), this->rec(kS, "", "N")).ok());
  auto first = this->release(now);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, 1u);
  auto entries = this->readAll(kS);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields[0].second, "N");
  auto second = this->release(now + std::chrono::seconds(11));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1u);
  EXPECT_EQ(this->readAll(kS).size(), 2u);
  EXPECT_EQ(*this->release(now + std::chrono::seconds(20)), 0u);
}

TYPED_TEST(EventLogContract, SchedulingTheSameDedupeIdReplaces) {
  const auto now = this->h.now();
  ASSERT_TRUE(this->schedule(now + std::chrono::seconds(1), this->rec(kS, "retry-1", "old")).ok());
  ASSERT_TRUE(this->schedule(now + std::chrono::seconds(5), this->rec(kS, "retry-1", "new")).ok());
  EXPECT_EQ(*this->release(now + std::chrono::seconds(2)), 0u);
  EXPECT_EQ(*this->release(now + std::chrono::seconds(6)), 1u);
  auto entries = this->readAll(kS);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields[0].second, "new");
}

TYPED_TEST(EventLogContract, ReleaseDedupesAgainstAppendedRecordsAndHonoursCount) {
  const auto now = this->h.now();
  ASSERT_TRUE(this->append({this->rec(kS, "same", "appended")}).ok());
  ASSERT_TRUE(this->schedule(now - milliseconds(3), this->rec(kS, "same", "scheduled")).ok());
  ASSERT_TRUE(this->schedule(now - milliseconds(2), this->rec(kS, "b", "b")).ok());
  ASSERT_TRUE(this->schedule(now - milliseconds(1), this->rec(kS, "c", "c")).ok());
  EXPECT_EQ(*this->release(now, 2), 2u);
  EXPECT_EQ(*this->release(now, 2), 1u);
  auto entries = this->readAll(kS);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].fields[0].second, "appended");
  EXPECT_EQ(entries[1].fields[0].second, "b");
}

TYPED_TEST(EventLogContract, CheckpointsStoreAndLoad) {
  auto load = [&] {
    return this->h.template wait<std::optional<std::string>>(
        [&](auto done) { return this->log().loadCheckpoint("readmodel", done); });
  };
  auto missing = load();
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  for (std::string id : {"5-0", "7-1"}) {
    ASSERT_TRUE(this->h.template wait<void>([&](auto done) {
                        return this->log().storeCheckpoint("readmodel", id, done);
                      }).ok());
    auto got = load();
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->value_or(""), id);
  }
}

}  // namespace
}  // namespace od
