#include "adapters/main/shared_key.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <vector>

#include "adapters/config/options.h"
#include "core/base64.h"

namespace od::adapters::main {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Reply command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

}  // namespace

core::Result<std::string> sharedDownloadKey(const std::string& valkey_url, core::Random& random) {
  OD_TRY(config::ValkeyAddress address, config::parseValkeyUrl(valkey_url));
  timeval tv{5, 0};
  Context c(redisConnectWithTimeout(address.host.c_str(), address.port, tv));
  if (!c || c->err != 0) {
    return core::makeError(core::Errc::Unavailable,
                           "cannot reach Valkey at " + address.host + ":" +
                               std::to_string(address.port) + (c ? ": " + std::string(c->errstr) : ""));
  }
  redisSetTimeout(c.get(), tv);
  auto fail = [](const std::string& what, const Reply& r) {
    return core::makeError(core::Errc::Unavailable,
                           what + ": " + (r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                                            : std::string("no answer")));
  };
  if (!address.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!address.user.empty()) {
      auth.push_back(address.user);
    }
    auth.push_back(address.password);
    Reply r = command(c.get(), auth);
    if (!r || r->type == REDIS_REPLY_ERROR) {
      return fail("Valkey AUTH", r);
    }
  }
  if (address.db != 0) {
    Reply r = command(c.get(), {"SELECT", std::to_string(address.db)});
    if (!r || r->type == REDIS_REPLY_ERROR) {
      return fail("Valkey SELECT", r);
    }
  }
  std::string fresh;
  for (int i = 0; i < 4; ++i) {
    uint64_t v = random.next();
    fresh.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  Reply set = command(c.get(), {"SET", kDownloadKeyName, core::hexEncode(fresh), "NX"});
  if (!set || set->type == REDIS_REPLY_ERROR) {
    return fail("Valkey SET " + std::string(kDownloadKeyName), set);
  }
  Reply get = command(c.get(), {"GET", kDownloadKeyName});
  if (!get || get->type != REDIS_REPLY_STRING) {
    return fail("Valkey GET " + std::string(kDownloadKeyName), get);
  }
  std::string hex(get->str, get->len);
  if (hex.size() != 64) {
    return core::makeError(core::Errc::Corrupt, std::string(kDownloadKeyName) +
                                                    " does not hold 64 hex digits: delete it and "
                                                    "restart the serve replicas");
  }
  auto key = core::hexDecode(hex);
  if (!key.ok()) {
    return core::makeError(core::Errc::Corrupt, std::string(kDownloadKeyName) + " is not hex");
  }
  return std::move(key).value();
}

}  // namespace od::adapters::main
