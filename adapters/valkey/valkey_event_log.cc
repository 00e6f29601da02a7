#include "adapters/valkey/valkey_event_log.h"

#include <csignal>
#include <mutex>
#include <utility>

#include "adapters/valkey/functions.h"
#include "adapters/valkey/reply.h"

namespace od::adapters::valkey {

namespace {

using std::chrono::milliseconds;

std::string groupKey(const std::string& stream, const std::string& group) {
  return stream + "\n" + group;
}

int64_t unixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

core::Status expectOk(const redisReply* reply) {
  if (!isString(reply)) {
    return unexpected("status");
  }
  return core::okStatus();
}

core::Result<std::vector<core::AppendResult>> parseAppend(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY) {
    return unexpected("od_append");
  }
  std::vector<core::AppendResult> results;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* item = reply->element[i];
    if (item->type == REDIS_REPLY_INTEGER) {
      results.push_back(core::AppendResult{"", true});
    } else if (isString(item)) {
      results.push_back(core::AppendResult{toString(item), false});
    } else {
      return unexpected("od_append item");
    }
  }
  return results;
}

std::vector<core::Delivery> firstDeliveries(std::vector<core::StreamEntry> entries) {
  std::vector<core::Delivery> out;
  out.reserve(entries.size());
  for (auto& entry : entries) {
    out.push_back(core::Delivery{std::move(entry), 1});
  }
  return out;
}

void ignoreSigpipe() {
  // hiredis writes with write(2): a peer that went away would raise SIGPIPE and kill us.
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

ValkeyEventLog::ValkeyEventLog(loop::EventLoop& loop, ValkeyOptions options,
                               spdlog::logger& log)
    : loop_(loop), options_(std::move(options)), log_(log) {
  ignoreSigpipe();
  std::vector<Argv> setup{{"FUNCTION", "LOAD", "REPLACE", functionLibrary()}};
  command_ = std::make_unique<Connection>(loop_, options_, "cmd", std::move(setup), log_);
  command_->start();
}

ValkeyEventLog::~ValkeyEventLog() {
  background_.clear();
  blocking_.clear();
  command_.reset();
}

template <typename T>
core::CancelablePtr ValkeyEventLog::call(Connection& conn, Argv argv, milliseconds timeout,
                                         Parser<T> parse, Callback<T> done,
                                         const std::string* group_key) {
  std::optional<std::string> group;
  if (group_key != nullptr) {
    group = *group_key;
  }
  // `this` is safe: the handler dies with the Connection, which this object owns.
  auto handler = [this, parse = std::move(parse), done = std::move(done),
                  group = std::move(group)](core::Result<const redisReply*> result) {
    if (!result.ok()) {
      done(std::move(result).takeError());
      return;
    }
    const redisReply* reply = result.value();
    if (reply->type == REDIS_REPLY_ERROR) {
      done(onErrorReply(reply, group ? &*group : nullptr));
      return;
    }
    done(parse(reply));
  };
  return conn.send(std::move(argv), timeout, std::move(handler));
}

core::Error ValkeyEventLog::onErrorReply(const redisReply* reply, const std::string* group_key) {
  core::Error error = errorFromReply(reply);
  if (errorContains(reply, "Function not found")) {
    // Someone flushed the functions: reconnecting loads the library again.
    log_.warn("event=ValkeyFunctionMissing action=reconnect");
    command_->reset("function library missing");
  } else if (errorStartsWith(reply, "NOGROUP") && group_key != nullptr &&
             known_groups_.count(*group_key) != 0) {
    const auto cut = group_key->find('\n');
    std::string stream = group_key->substr(0, cut);
    std::string group = group_key->substr(cut + 1);
    log_.warn("event=ValkeyGroupLost stream={} group={} action=recreate", stream, group);
    if (background_.size() > 16) {
      background_.erase(background_.begin());
    }
    background_.push_back(command_->send({"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"},
                                         options_.command_timeout,
                                         [](core::Result<const redisReply*>) {}));
    error = core::makeError(core::Errc::Unavailable,
                            "valkey: group " + group + " was lost and is being recreated");
  }
  return error;
}

template <typename T>
core::CancelablePtr ValkeyEventLog::failSoon(core::Error error, Callback<T> done) {
  // Answers from the loop like every other call (a PING carries the turn), never inline;
  // whatever happens to the PING, the answer is `error`.
  auto handler = [error = std::move(error), done = std::move(done)](
                     core::Result<const redisReply*>) { done(error); };
  return command_->send({"PING"}, options_.command_timeout, std::move(handler));
}

Connection& ValkeyEventLog::blockingConnection() {
  for (auto& conn : blocking_) {
    if (conn->ready() && conn->inFlight() == 0) {
      return *conn;
    }
  }
  if (blocking_.size() < std::max<size_t>(1, options_.max_blocking_connections)) {
    auto name = "block-" + std::to_string(blocking_.size() + 1);
    blocking_.push_back(std::make_unique<Connection>(loop_, options_, name, std::vector<Argv>{},
                                                     log_));
    blocking_.back()->start();
    return *blocking_.back();
  }
  // All busy: prefer one that is not down, then the least loaded.
  Connection* best = blocking_.front().get();
  for (auto& conn : blocking_) {
    if ((best->down() && !conn->down()) ||
        (best->down() == conn->down() && conn->inFlight() < best->inFlight())) {
      best = conn.get();
    }
  }
  return *best;
}

core::CancelablePtr ValkeyEventLog::append(std::vector<core::AppendRecord> records,
                                           Callback<std::vector<core::AppendResult>> done) {
  for (const auto& record : records) {
    if (record.stream.empty() || record.fields.empty()) {
      return failSoon(core::makeError(core::Errc::Invalid,
                                      "append needs a stream and at least one field"),
                      std::move(done));
    }
  }
  Argv argv{"FCALL", "od_append", ""};
  Argv keys;
  Argv args{std::to_string(options_.seen_ttl.count())};
  for (auto& record : records) {
    keys.push_back(std::move(record.stream));
    const bool has_seen = !record.dedupe_id.empty();
    if (has_seen) {
      keys.push_back(kSeenPrefix + record.dedupe_id);
    }
    args.push_back(has_seen ? "1" : "0");
    args.push_back(std::to_string(record.fields.size() * 2));
    for (auto& [field, value] : record.fields) {
      args.push_back(std::move(field));
      args.push_back(std::move(value));
    }
  }
  argv[2] = std::to_string(keys.size());
  argv.insert(argv.end(), std::make_move_iterator(keys.begin()),
              std::make_move_iterator(keys.end()));
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));
  return call<std::vector<core::AppendResult>>(*command_, std::move(argv),
                                               options_.command_timeout, &parseAppend,
                                               std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::read(std::string stream, std::string after_id, size_t count,
                                         milliseconds block,
                                         Callback<std::vector<core::StreamEntry>> done) {
  Argv argv{"XREAD", "COUNT", std::to_string(count)};
  if (block.count() > 0) {
    argv.insert(argv.end(), {"BLOCK", std::to_string(block.count())});
  }
  argv.insert(argv.end(), {"STREAMS", std::move(stream), std::move(after_id)});
  Connection& conn = block.count() > 0 ? blockingConnection() : *command_;
  return call<std::vector<core::StreamEntry>>(conn, std::move(argv),
                                              options_.command_timeout + block,
                                              &parseStreamsReply, std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::ensureGroup(std::string stream, std::string group,
                                                StatusCallback done) {
  known_groups_.insert(groupKey(stream, group));
  Argv argv{"XGROUP", "CREATE", std::move(stream), std::move(group), "0", "MKSTREAM"};
  auto handler = [done = std::move(done)](core::Result<const redisReply*> result) {
    if (!result.ok()) {
      done(std::move(result).takeError());
    } else if (errorStartsWith(result.value(), "BUSYGROUP")) {
      done(core::okStatus());
    } else if (result.value()->type == REDIS_REPLY_ERROR) {
      done(errorFromReply(result.value()));
    } else {
      done(expectOk(result.value()));
    }
  };
  return command_->send(std::move(argv), options_.command_timeout, std::move(handler));
}

core::CancelablePtr ValkeyEventLog::readGroup(core::GroupRead request,
                                              Callback<std::vector<core::Delivery>> done) {
  const std::string key = groupKey(request.stream, request.group);
  if (request.pending) {
    // Reading the own PEL never blocks; the FUNCTION adds the delivery counts.
    Argv argv{"FCALL",        "od_pending",   "1",
              request.stream, request.group,  request.consumer,
              std::to_string(request.count),
              request.after_id.empty() ? std::string("0") : request.after_id};
    return call<std::vector<core::Delivery>>(*command_, std::move(argv),
                                             options_.command_timeout, &parseCounted,
                                             std::move(done), &key);
  }
  Argv argv{"XREADGROUP", "GROUP", request.group, request.consumer, "COUNT",
            std::to_string(request.count)};
  if (request.block.count() > 0) {
    argv.insert(argv.end(), {"BLOCK", std::to_string(request.block.count())});
  }
  argv.insert(argv.end(), {"STREAMS", request.stream, ">"});
  Connection& conn = request.block.count() > 0 ? blockingConnection() : *command_;
  Parser<std::vector<core::Delivery>> parse =
      [](const redisReply* reply) -> core::Result<std::vector<core::Delivery>> {
    OD_TRY(auto entries, parseStreamsReply(reply));
    return firstDeliveries(std::move(entries));
  };
  return call<std::vector<core::Delivery>>(conn, std::move(argv),
                                           options_.command_timeout + request.block,
                                           std::move(parse), std::move(done), &key);
}

core::CancelablePtr ValkeyEventLog::ack(std::string stream, std::string group,
                                        std::vector<std::string> ids, StatusCallback done) {
  const std::string key = groupKey(stream, group);
  if (ids.empty()) {
    // Nothing to acknowledge; still answer from the loop, never inside this call.
    return call<void>(*command_, {"PING"}, options_.command_timeout, &expectOk,
                      std::move(done), nullptr);
  }
  Argv argv{"XACK", std::move(stream), std::move(group)};
  argv.insert(argv.end(), std::make_move_iterator(ids.begin()),
              std::make_move_iterator(ids.end()));
  Parser<void> parse = [](const redisReply* reply) -> core::Status {
    if (reply->type != REDIS_REPLY_INTEGER) {
      return unexpected("XACK");
    }
    return core::okStatus();
  };
  return call<void>(*command_, std::move(argv), options_.command_timeout, std::move(parse),
                    std::move(done), &key);
}

core::CancelablePtr ValkeyEventLog::claimIdle(core::ClaimRequest request,
                                              Callback<core::ClaimResult> done) {
  const std::string key = groupKey(request.stream, request.group);
  // Continue where the last scan stopped, so idle entries behind busy ones are reached.
  auto cursor = claim_cursor_.find(key);
  std::string start = cursor == claim_cursor_.end() ? "0-0" : cursor->second;
  Argv argv{"FCALL",        "od_claim",       "1",
            request.stream, request.group,    request.consumer,
            std::to_string(request.min_idle.count()), start, std::to_string(request.count)};
  Parser<core::ClaimResult> parse =
      [this, key](const redisReply* reply) -> core::Result<core::ClaimResult> {
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        !isString(reply->element[0]) || reply->element[2]->type != REDIS_REPLY_ARRAY) {
      return unexpected("od_claim");
    }
    core::ClaimResult result;
    OD_TRY(result.claimed, parseCounted(reply->element[1]));
    const redisReply* deleted = reply->element[2];
    for (size_t i = 0; i < deleted->elements; ++i) {
      if (!isString(deleted->element[i])) {
        return unexpected("od_claim deleted id");
      }
      result.deleted_ids.push_back(toString(deleted->element[i]));
    }
    claim_cursor_[key] = toString(reply->element[0]);
    return result;
  };
  return call<core::ClaimResult>(*command_, std::move(argv), options_.command_timeout,
                                 std::move(parse), std::move(done), &key);
}

std::string ValkeyEventLog::nextAnonymousMember() {
  // Unique across processes: wall time, a per-object counter and this object's address.
  return "a:" + std::to_string(unixMs(std::chrono::system_clock::now())) + ":" +
         std::to_string(reinterpret_cast<uintptr_t>(this)) + ":" +
         std::to_string(++anonymous_seq_);
}

core::CancelablePtr ValkeyEventLog::schedule(core::DueRecord record, StatusCallback done) {
  std::string member = record.record.dedupe_id.empty() ? nextAnonymousMember()
                                                       : "d:" + record.record.dedupe_id;
  Argv argv{"FCALL", "od_schedule", "2", kDueKey, kDuePayloadKey, std::move(member),
            std::to_string(unixMs(record.due_at)), std::move(record.record.stream)};
  for (auto& [field, value] : record.record.fields) {
    argv.push_back(std::move(field));
    argv.push_back(std::move(value));
  }
  Parser<void> parse = [](const redisReply*) -> core::Status { return core::okStatus(); };
  return call<void>(*command_, std::move(argv), options_.command_timeout, std::move(parse),
                    std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::releaseDue(std::chrono::system_clock::time_point now,
                                               size_t count, Callback<size_t> done) {
  Argv argv{"FCALL",
            "od_release",
            "2",
            kDueKey,
            kDuePayloadKey,
            std::to_string(unixMs(now)),
            count == 0 ? std::string("-1") : std::to_string(count),  // 0: all that are due
            std::to_string(options_.seen_ttl.count()),
            kSeenPrefix,
            kDeadStream};
  Parser<size_t> parse = [](const redisReply* reply) -> core::Result<size_t> {
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0) {
      return unexpected("od_release");
    }
    return static_cast<size_t>(reply->integer);
  };
  return call<size_t>(*command_, std::move(argv), options_.command_timeout, std::move(parse),
                      std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::loadCheckpoint(std::string name,
                                                   Callback<std::optional<std::string>> done) {
  Parser<std::optional<std::string>> parse =
      [](const redisReply* reply) -> core::Result<std::optional<std::string>> {
    if (reply->type == REDIS_REPLY_NIL) {
      return std::optional<std::string>();
    }
    if (!isString(reply)) {
      return unexpected("GET checkpoint");
    }
    return std::optional<std::string>(toString(reply));
  };
  return call<std::optional<std::string>>(*command_, {"GET", kCheckpointPrefix + name},
                                          options_.command_timeout, std::move(parse),
                                          std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::storeCheckpoint(std::string name, std::string entry_id,
                                                    StatusCallback done) {
  return call<void>(*command_, {"SET", kCheckpointPrefix + name, std::move(entry_id)},
                    options_.command_timeout, &expectOk, std::move(done), nullptr);
}

core::CancelablePtr ValkeyEventLog::ping(StatusCallback done) {
  return call<void>(*command_, {"PING"}, options_.command_timeout, &expectOk, std::move(done),
                    nullptr);
}

}  // namespace od::adapters::valkey
