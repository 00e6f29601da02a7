#include "adapters/stats/stats_projection.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "adapters/valkey/reply.h"
#include "events/codec.h"
#include "events/streams.h"

namespace od::adapters::stats {
namespace {

// Lua 5.1 as embedded in Redis 7. Type checks come first so that a key of the wrong type
// fails the call before anything is written (a script is atomic, but not transactional on
// errors).
constexpr const char* kLibrary = R"LUA(#!lua name=opendepot_stats

local expected = {'string', 'string', 'string', 'hash', 'hash', 'zset', 'zset', 'string'}

local function touch(key, last_at)
  redis.call('HINCRBY', key, 'count', 1)
  local old = redis.call('HGET', key, 'lastAt')
  if not old or old < last_at then
    redis.call('HSET', key, 'lastAt', last_at)
  end
end

redis.register_function('od_stats_count', function(keys, args)
  for i, want in ipairs(expected) do
    local t = redis.call('TYPE', keys[i]).ok
    if t ~= 'none' and t ~= want then
      return redis.error_reply('WRONGTYPE ' .. keys[i] .. ' is a ' .. t .. ', not a ' .. want)
    end
  end
  if not redis.call('SET', keys[1], '1', 'NX', 'EX', args[1]) then
    return 0
  end
  redis.call('INCR', keys[2])
  redis.call('INCR', keys[3])
  touch(keys[4], args[2])
  touch(keys[5], args[2])
  redis.call('ZINCRBY', keys[6], 1, args[3])
  redis.call('ZINCRBY', keys[7], 1, args[3])
  redis.call('INCR', keys[8])
  redis.call('EXPIREAT', keys[8], args[4])
  return 1
end)
)LUA";

valkey::Argv fcall(const StatsUpdate& u) {
  return {"FCALL", "od_stats_count", "8", u.counted_key, u.total_key, u.ns_key, u.resource_key,
          u.version_key, u.leaderboard_global_key, u.leaderboard_ns_key, u.day_key,
          std::to_string(u.counted_ttl_seconds), u.last_at, u.member,
          std::to_string(u.day_expire_at)};
}

}  // namespace

const std::string& statsFunctionLibrary() {
  static const std::string text(kLibrary);
  return text;
}

events::ConsumerConfig statsConsumerConfig(std::string consumer) {
  events::ConsumerConfig config;
  config.stream = std::string(events::streams::kDownloads);
  config.group = std::string(kStatsGroup);
  config.consumer = std::move(consumer);
  config.batch_size = 64;
  config.max_in_flight = 64;
  return config;
}

StatsProjection::StatsProjection(loop::EventLoop& loop, valkey::ValkeyOptions options,
                                 spdlog::logger& log, StatsProjectionConfig config)
    : options_(options), config_(std::move(config)), log_(log),
      conn_(std::make_unique<valkey::Connection>(
          loop, options, "stats",
          std::vector<valkey::Argv>{{"FUNCTION", "LOAD", "REPLACE", statsFunctionLibrary()}},
          log)) {
  conn_->start();
}

StatsProjection::~StatsProjection() = default;

core::CancelablePtr StatsProjection::handle(const events::Envelope& event,
                                            const core::StreamEntry& /*raw*/, Done done) {
  auto download = events::decodeAs<events::ArtifactDownloaded>(event);
  if (!download.ok()) {
    return reject(download.error(), done);
  }
  auto update = planStatsUpdate(event.id, *download, config_.keys);
  if (!update.ok()) {
    return reject(update.error(), done);
  }
  return conn_->send(fcall(*update), options_.command_timeout,
                     [this, done = std::move(done)](core::Result<const redisReply*> reply) {
                       onReply(std::move(reply), done);
                     });
}

core::CancelablePtr StatsProjection::reject(core::Error error, const Done& done) {
  ++metrics_.rejected;
  // Invalid and Corrupt are not retryable: the consumer parks the entry with this reason.
  if (error.retryable()) {
    error.code = core::Errc::Invalid;
  }
  done(std::move(error));
  return core::completedHandle();
}

void StatsProjection::onReply(core::Result<const redisReply*> reply, const Done& done) {
  if (!reply.ok()) {
    ++metrics_.errors;
    done(reply.error());
    return;
  }
  const redisReply* r = *reply;
  if (r->type == REDIS_REPLY_ERROR) {
    ++metrics_.errors;
    if (valkey::errorContains(r, "Function not found")) {
      conn_->reset("stats function library missing");  // the reconnect loads it again
    }
    done(valkey::errorFromReply(r));
    return;
  }
  if (r->type != REDIS_REPLY_INTEGER || (r->integer != 0 && r->integer != 1)) {
    ++metrics_.errors;
    done(valkey::unexpected("od_stats_count reply"));
    return;
  }
  ++(r->integer == 1 ? metrics_.counted : metrics_.duplicates);
  maybeTrim();
  done(std::vector<core::AppendRecord>{});
}

void StatsProjection::maybeTrim() {
  if (config_.stream_max_len == 0 || ++since_trim_ < std::max<uint64_t>(config_.trim_every, 1)) {
    return;
  }
  since_trim_ = 0;
  // '~' lets the server trim whole nodes only: cheap, and the cap is approximate.
  trim_call_ = conn_->send(
      {"XTRIM", config_.stream, "MAXLEN", "~", std::to_string(config_.stream_max_len)},
      options_.command_timeout, [this](core::Result<const redisReply*> reply) {
        if (reply.ok() && (*reply)->type == REDIS_REPLY_INTEGER) {
          ++metrics_.trims;
          return;
        }
        std::string why = !reply.ok() ? reply.error().describe()
                          : (*reply)->type == REDIS_REPLY_ERROR
                              ? valkey::errorFromReply(*reply).describe()
                              : std::string("unexpected reply");
        log_.warn("stats projection: XTRIM {} failed: {}", config_.stream, why);
      });
}

}  // namespace od::adapters::stats
