#include "tests/fakes/fake_event_log.h"

#include <algorithm>
#include <deque>
#include <string_view>
#include <utility>

#include "tests/fakes/fake_event_log_state.h"

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

using Id = StreamId;

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

}  // namespace

struct FakeEventLog::Impl : FakeLogState {
  struct Fault {
    Errc code;
    Op op;
    FaultMode mode;
  };

  explicit Impl(core::Clock& c) : FakeLogState(c) {}

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

  void wake(const std::string& stream) override {
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
  auto id = parseStreamId(up_to_id);
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
    out.push_back(PendingInfo{formatStreamId(id), pe.consumer, pe.deliveries, pe.last_delivery});
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
