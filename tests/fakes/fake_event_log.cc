#include "tests/fakes/fake_event_log.h"

#include <algorithm>
#include <charconv>
#include <compare>
#include <deque>
#include <string_view>
#include <utility>

namespace od::fakes {

using core::AppendRecord;
using core::AppendResult;
using core::CancelablePtr;
using core::Error;
using core::okStatus;
using core::Errc;
using core::makeError;
using core::Result;
using core::Status;
using core::StreamEntry;
using core::StreamFields;
using Millis = std::chrono::milliseconds;
using TimePoint = core::Clock::TimePoint;

namespace {

constexpr auto kSeenRetention = std::chrono::hours(24 * 7);

struct Id {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const Id&) const = default;
};

bool parseNumber(std::string_view s, uint64_t& out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<Id> parseId(std::string_view s) {
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

std::string formatId(Id id) { return std::to_string(id.ms) + "-" + std::to_string(id.seq); }

Error badId(std::string_view s) {
  return makeError(Errc::Invalid, "Invalid stream ID specified as stream command argument: " +
                                      std::string(s));
}

struct PelEntry {
  std::string consumer;
  uint64_t deliveries = 0;
  TimePoint last_delivery;
};

struct Group {
  Id last_delivered;
  std::map<Id, PelEntry> pel;
  size_t acked = 0;
};

struct Stream {
  std::map<Id, StreamFields> entries;
  Id last_id;
  std::map<std::string, Group> groups;
};

// The shared state of one call: the handle cancels it, the queued completion checks it.
struct CallState {
  bool cancelled = false;
  bool done = false;
  CancelablePtr timer;
};

class CallHandle final : public core::Cancelable {
 public:
  explicit CallHandle(std::shared_ptr<CallState> state) : state_(std::move(state)) {}
  ~CallHandle() override { cancel(); }
  void cancel() override {
    if (state_) {
      state_->cancelled = true;
      state_->timer.reset();
      state_.reset();
    }
  }

 private:
  std::shared_ptr<CallState> state_;
};

struct Waiter {
  std::shared_ptr<CallState> state;
  std::function<bool()> attempt;  // true once the waiter completed (or is dead)
};

struct DueItem {
  TimePoint at;
  uint64_t seq = 0;
  AppendRecord record;
};

}  // namespace

struct FakeEventLog::Impl {
  struct Fault {
    Errc code;
    Op op;
    FaultMode mode;
  };

  explicit Impl(core::Clock& c) : clock(c) {}

  core::Clock& clock;
  std::map<std::string, Stream> streams;
  std::map<std::string, TimePoint> seen;  // dedupe id -> expiry
  std::map<std::string, DueItem> due_set;
  uint64_t due_seq = 0;
  std::map<std::string, std::string> checkpoints;
  std::map<std::string, std::vector<Waiter>> waiters;  // by stream
  std::deque<Fault> faults;
  std::map<Op, size_t> call_counts;

  std::optional<Fault> takeFault(Op op) {
    ++call_counts[op];
    ++call_counts[Op::Any];
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->op == Op::Any || it->op == op) {
        Fault f = *it;
        faults.erase(it);
        return f;
      }
    }
    return std::nullopt;
  }

  // Queues `done(result)` as a zero-delay timer unless the call is cancelled first.
  template <typename T>
  void post(const std::shared_ptr<CallState>& state, Callback<T> done, Result<T> result) {
    state->done = true;
    state->timer = clock.after(Millis(0), [state, done = std::move(done),
                                           result = std::move(result)]() mutable {
      if (!state->cancelled) {
        done(std::move(result));
      }
    });
  }

  // The common shape of a call: fault injection, the effect, a queued completion.
  template <typename T, typename Effect>
  CancelablePtr run(Op op, Callback<T> done, Effect effect) {
    auto state = std::make_shared<CallState>();
    auto fault = takeFault(op);
    if (fault && fault->mode == FaultMode::BeforeEffect) {
      post<T>(state, std::move(done), makeError(fault->code, "injected fault"));
    } else {
      Result<T> result = effect();
      if (fault) {
        result = Result<T>(makeError(fault->code, "injected fault (after effect)"));
      }
      post<T>(state, std::move(done), std::move(result));
    }
    return std::make_unique<CallHandle>(state);
  }

  Id nextId(Stream& s) {
    const int64_t now_ms = std::max<int64_t>(0, core::unixMillis(clock.now()));
    const auto ms = static_cast<uint64_t>(now_ms);
    s.last_id = ms > s.last_id.ms ? Id{ms, 0} : Id{s.last_id.ms, s.last_id.seq + 1};
    return s.last_id;
  }

  Result<AppendResult> appendOne(const AppendRecord& record) {
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
    return AppendResult{formatId(id), false};
  }

  void wake(const std::string& stream) {
    auto it = waiters.find(stream);
    if (it == waiters.end()) {
      return;
    }
    std::vector<Waiter> list = std::move(it->second);
    waiters.erase(it);
    std::vector<Waiter> keep;
    for (auto& w : list) {
      if (!w.attempt()) {
        keep.push_back(std::move(w));
      }
    }
    auto& slot = waiters[stream];
    for (auto& w : keep) {
      slot.push_back(std::move(w));
    }
  }

  Result<std::vector<StreamEntry>> readNow(const std::string& stream, const std::string& after,
                                           size_t count) {
    auto after_id = parseId(after);
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
      out.push_back(StreamEntry{formatId(it->first), it->second});
    }
    return out;
  }

  Result<Group*> findGroup(const std::string& stream, const std::string& group) {
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

  Result<std::vector<core::Delivery>> readGroupNow(const core::GroupRead& req) {
    OD_TRY(Group* g, findGroup(req.stream, req.group));
    Stream& s = streams[req.stream];
    const TimePoint now = clock.now();
    std::vector<core::Delivery> out;
    const auto full = [&] { return req.count != 0 && out.size() >= req.count; };
    if (req.pending) {
      auto after = parseId(req.after_id);
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
          out.push_back(core::Delivery{StreamEntry{formatId(id), {}}, pe.deliveries});
          continue;
        }
        ++pe.deliveries;
        pe.last_delivery = now;
        out.push_back(core::Delivery{StreamEntry{formatId(id), eit->second}, pe.deliveries});
      }
      return out;
    }
    for (auto it = s.entries.upper_bound(g->last_delivered); it != s.entries.end() && !full();
         ++it) {
      g->last_delivered = it->first;
      g->pel[it->first] = PelEntry{req.consumer, 1, now};
      out.push_back(core::Delivery{StreamEntry{formatId(it->first), it->second}, 1});
    }
    return out;
  }

  Result<core::ClaimResult> claimNow(const core::ClaimRequest& req) {
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
        out.deleted_ids.push_back(formatId(it->first));
        it = g->pel.erase(it);
        continue;
      }
      pe.consumer = req.consumer;
      ++pe.deliveries;
      pe.last_delivery = now;
      out.claimed.push_back(core::Delivery{StreamEntry{formatId(it->first), eit->second},
                                           pe.deliveries});
      ++it;
    }
    return out;
  }

  Status ackNow(const std::string& stream, const std::string& group,
                const std::vector<std::string>& ids) {
    std::vector<Id> parsed;
    for (const auto& raw : ids) {
      auto id = parseId(raw);
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

  Result<size_t> releaseNow(TimePoint now, size_t count) {
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
};

FakeEventLog::FakeEventLog(core::Clock& clock) : impl_(std::make_unique<Impl>(clock)) {}

FakeEventLog::~FakeEventLog() = default;

CancelablePtr FakeEventLog::append(std::vector<AppendRecord> records,
                                   Callback<std::vector<AppendResult>> done) {
  return impl_->run<std::vector<AppendResult>>(
      Op::Append, std::move(done), [&]() -> Result<std::vector<AppendResult>> {
        std::vector<AppendResult> out;
        for (const auto& record : records) {
          OD_TRY(AppendResult r, impl_->appendOne(record));
          out.push_back(std::move(r));
        }
        return out;
      });
}

CancelablePtr FakeEventLog::read(std::string stream, std::string after_id, size_t count,
                                 Millis block, Callback<std::vector<StreamEntry>> done) {
  auto state = std::make_shared<CallState>();
  auto fault = impl_->takeFault(Op::Read);
  if (fault) {
    impl_->post<std::vector<StreamEntry>>(state, std::move(done), makeError(fault->code, "injected fault"));
    return std::make_unique<CallHandle>(state);
  }
  auto now = impl_->readNow(stream, after_id, count);
  if (!now.ok() || !now->empty() || block.count() <= 0) {
    impl_->post<std::vector<StreamEntry>>(state, std::move(done), std::move(now));
    return std::make_unique<CallHandle>(state);
  }
  Impl* impl = impl_.get();
  auto attempt = [impl, state, stream, after_id, count, done]() {
    if (state->cancelled || state->done) {
      return true;
    }
    auto r = impl->readNow(stream, after_id, count);
    if (r.ok() && r->empty()) {
      return false;
    }
    impl->post<std::vector<StreamEntry>>(state, done, std::move(r));
    return true;
  };
  impl_->waiters[stream].push_back(Waiter{state, attempt});
  state->timer = impl_->clock.after(block, [state, done]() {
    if (!state->cancelled && !state->done) {
      state->done = true;
      done(std::vector<StreamEntry>{});
    }
  });
  return std::make_unique<CallHandle>(state);
}

CancelablePtr FakeEventLog::ensureGroup(std::string stream, std::string group,
                                        StatusCallback done) {
  return impl_->run<void>(Op::EnsureGroup, std::move(done), [&]() -> Status {
    impl_->streams[stream].groups.try_emplace(group);
    return okStatus();
  });
}

CancelablePtr FakeEventLog::readGroup(core::GroupRead request,
                                      Callback<std::vector<core::Delivery>> done) {
  using Out = std::vector<core::Delivery>;
  auto state = std::make_shared<CallState>();
  auto fault = impl_->takeFault(Op::ReadGroup);
  if (fault && fault->mode == FaultMode::BeforeEffect) {
    impl_->post<Out>(state, std::move(done), makeError(fault->code, "injected fault"));
    return std::make_unique<CallHandle>(state);
  }
  auto now = impl_->readGroupNow(request);
  if (fault) {
    now = Result<Out>(makeError(fault->code, "injected fault (after effect)"));
  }
  if (!now.ok() || !now->empty() || request.pending || request.block.count() <= 0) {
    impl_->post<Out>(state, std::move(done), std::move(now));
    return std::make_unique<CallHandle>(state);
  }
  Impl* impl = impl_.get();
  auto attempt = [impl, state, request, done]() {
    if (state->cancelled || state->done) {
      return true;
    }
    auto r = impl->readGroupNow(request);
    if (r.ok() && r->empty()) {
      return false;
    }
    impl->post<Out>(state, done, std::move(r));
    return true;
  };
  impl_->waiters[request.stream].push_back(Waiter{state, attempt});
  state->timer = impl_->clock.after(request.block, [state, done]() {
    if (!state->cancelled && !state->done) {
      state->done = true;
      done(Out{});
    }
  });
  return std::make_unique<CallHandle>(state);
}

CancelablePtr FakeEventLog::ack(std::string stream, std::string group,
                                std::vector<std::string> ids, StatusCallback done) {
  return impl_->run<void>(Op::Ack, std::move(done),
                          [&]() { return impl_->ackNow(stream, group, ids); });
}

CancelablePtr FakeEventLog::claimIdle(core::ClaimRequest request,
                                      Callback<core::ClaimResult> done) {
  return impl_->run<core::ClaimResult>(Op::ClaimIdle, std::move(done),
                                       [&]() { return impl_->claimNow(request); });
}

CancelablePtr FakeEventLog::schedule(core::DueRecord record, StatusCallback done) {
  return impl_->run<void>(Op::Schedule, std::move(done), [&]() -> Status {
    std::string key = record.record.dedupe_id.empty()
                          ? "#" + std::to_string(impl_->due_seq)
                          : record.record.dedupe_id;
    impl_->due_set[key] = DueItem{record.due_at, impl_->due_seq++, record.record};
    return okStatus();
  });
}

CancelablePtr FakeEventLog::releaseDue(TimePoint now, size_t count, Callback<size_t> done) {
  return impl_->run<size_t>(Op::ReleaseDue, std::move(done),
                            [&]() { return impl_->releaseNow(now, count); });
}

CancelablePtr FakeEventLog::loadCheckpoint(std::string name,
                                           Callback<std::optional<std::string>> done) {
  return impl_->run<std::optional<std::string>>(
      Op::LoadCheckpoint, std::move(done), [&]() -> Result<std::optional<std::string>> {
        return checkpoint(name);
      });
}

CancelablePtr FakeEventLog::storeCheckpoint(std::string name, std::string entry_id,
                                            StatusCallback done) {
  return impl_->run<void>(Op::StoreCheckpoint, std::move(done), [&]() -> Status {
    impl_->checkpoints[name] = entry_id;
    return okStatus();
  });
}

void FakeEventLog::failNext(size_t n, Errc code, Op op, FaultMode mode) {
  for (size_t i = 0; i < n; ++i) {
    impl_->faults.push_back(Impl::Fault{code, op, mode});
  }
}

void FakeEventLog::clearFaults() { impl_->faults.clear(); }

std::string FakeEventLog::addNow(const AppendRecord& record) {
  auto r = impl_->appendOne(record);
  return r.ok() ? r->entry_id : std::string();
}

void FakeEventLog::trim(const std::string& stream, const std::string& up_to_id) {
  auto id = parseId(up_to_id);
  auto sit = impl_->streams.find(stream);
  if (!id || sit == impl_->streams.end()) {
    return;
  }
  auto& entries = sit->second.entries;
  entries.erase(entries.begin(), entries.upper_bound(*id));
}

std::vector<StreamEntry> FakeEventLog::entries(const std::string& stream) const {
  auto r = impl_->readNow(stream, "0", 0);
  return r.ok() ? std::move(r).value() : std::vector<StreamEntry>{};
}

std::vector<FakeEventLog::PendingInfo> FakeEventLog::pending(const std::string& stream,
                                                             const std::string& group) const {
  std::vector<PendingInfo> out;
  auto g = impl_->findGroup(stream, group);
  if (!g.ok()) {
    return out;
  }
  for (const auto& [id, pe] : (*g)->pel) {
    out.push_back(PendingInfo{formatId(id), pe.consumer, pe.deliveries, pe.last_delivery});
  }
  return out;
}

std::vector<core::DueRecord> FakeEventLog::due() const {
  std::vector<const DueItem*> items;
  for (const auto& [key, item] : impl_->due_set) {
    items.push_back(&item);
  }
  std::sort(items.begin(), items.end(), [](const DueItem* a, const DueItem* b) {
    return std::pair(a->at, a->seq) < std::pair(b->at, b->seq);
  });
  std::vector<core::DueRecord> out;
  for (const DueItem* item : items) {
    out.push_back(core::DueRecord{item->at, item->record});
  }
  return out;
}

std::optional<std::string> FakeEventLog::checkpoint(const std::string& name) const {
  auto it = impl_->checkpoints.find(name);
  return it == impl_->checkpoints.end() ? std::nullopt : std::optional<std::string>(it->second);
}

size_t FakeEventLog::calls(Op op) const {
  auto it = impl_->call_counts.find(op);
  return it == impl_->call_counts.end() ? 0 : it->second;
}

size_t FakeEventLog::acked(const std::string& stream, const std::string& group) const {
  auto g = impl_->findGroup(stream, group);
  return g.ok() ? (*g)->acked : 0;
}

}  // namespace od::fakes
