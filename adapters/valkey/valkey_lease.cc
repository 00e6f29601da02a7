#include "adapters/valkey/valkey_lease.h"

#include <utility>

#include "adapters/valkey/reply.h"

namespace od::adapters::valkey {
namespace {

// KEYS[1] lease key, ARGV[1] token, ARGV[2] ttl ms. Returns 1 when the token holds it.
constexpr const char* kAcquire =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0";
constexpr const char* kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
constexpr const char* kRelease =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

ReplyHandler heldHandler(kube::Lease::HeldCallback done) {
  return [done = std::move(done)](core::Result<const redisReply*> r) {
    if (!r) {
      done(r.error());
    } else if ((*r)->type == REDIS_REPLY_ERROR) {
      done(errorFromReply(*r));
    } else if ((*r)->type != REDIS_REPLY_INTEGER) {
      done(unexpected("lease script reply"));
    } else {
      done((*r)->integer == 1);
    }
  };
}

}  // namespace

ValkeyLease::ValkeyLease(loop::EventLoop& loop, ValkeyOptions options, spdlog::logger& log)
    : options_(options),
      conn_(std::make_unique<Connection>(loop, options, "lease", std::vector<Argv>{}, log)) {
  conn_->start();
}

ValkeyLease::~ValkeyLease() = default;

core::CancelablePtr ValkeyLease::acquire(std::string key, std::string token,
                                         std::chrono::milliseconds ttl, HeldCallback done) {
  return conn_->send({"EVAL", kAcquire, "1", std::move(key), std::move(token),
                      std::to_string(ttl.count())},
                     options_.command_timeout, heldHandler(std::move(done)));
}

core::CancelablePtr ValkeyLease::renew(std::string key, std::string token,
                                       std::chrono::milliseconds ttl, HeldCallback done) {
  return conn_->send({"EVAL", kRenew, "1", std::move(key), std::move(token),
                      std::to_string(ttl.count())},
                     options_.command_timeout, heldHandler(std::move(done)));
}

core::CancelablePtr ValkeyLease::release(std::string key, std::string token,
                                         std::function<void(core::Status)> done) {
  return conn_->send({"EVAL", kRelease, "1", std::move(key), std::move(token)},
                     options_.command_timeout,
                     [done = std::move(done)](core::Result<const redisReply*> r) {
                       if (!r) {
                         done(r.error());
                       } else if ((*r)->type == REDIS_REPLY_ERROR) {
                         done(errorFromReply(*r));
                       } else {
                         done(core::okStatus());
                       }
                     });
}

}  // namespace od::adapters::valkey
