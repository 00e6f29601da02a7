#include "adapters/valkey/functions.h"

namespace od::adapters::valkey {

namespace {

// Lua 5.1 as embedded in Redis 7.0. Keys outside KEYS (streams and seen markers released
// from the due set) all carry the {ctl} tag, so they live in the caller's slot.
constexpr const char* kLibrary = R"LUA(#!lua name=opendepot

local function append_one(stream, seen, ttl, fields)
  if seen and redis.call('EXISTS', seen) == 1 then
    return 0
  end
  local id = redis.pcall('XADD', stream, '*', unpack(fields))
  if type(id) == 'table' and id.err then
    return id
  end
  if seen then
    redis.call('SET', seen, '1', 'EX', ttl)
  end
  return id
end

local function with_counts(stream, group, entries)
  local out = {}
  for _, e in ipairs(entries) do
    local p = redis.call('XPENDING', stream, group, e[1], e[1], 1)
    local n = 1
    if p[1] then n = p[1][4] end
    out[#out + 1] = {e[1], e[2] or {}, n}
  end
  return out
end

redis.register_function('od_append', function(keys, args)
  local ttl = args[1]
  local k, a = 1, 2
  local out = {}
  while a <= #args do
    local has_seen = args[a] == '1'
    local n = tonumber(args[a + 1])
    local fields = {}
    for i = 1, n do fields[i] = args[a + 1 + i] end
    a = a + 2 + n
    local stream = keys[k]
    k = k + 1
    local seen = nil
    if has_seen then
      seen = keys[k]
      k = k + 1
    end
    local r = append_one(stream, seen, ttl, fields)
    if type(r) == 'table' then return r end
    out[#out + 1] = r
  end
  return out
end)

redis.register_function('od_schedule', function(keys, args)
  redis.call('ZADD', keys[1], args[2], args[1])
  redis.call('HSET', keys[2], args[1], cmsgpack.pack(select(3, unpack(args))))
  return 1
end)

redis.register_function('od_release', function(keys, args)
  local members = redis.call('ZRANGE', keys[1], '-inf', args[1], 'BYSCORE', 'LIMIT', 0, args[2])
  local n = 0
  for _, m in ipairs(members) do
    local p = redis.call('HGET', keys[2], m)
    if p then
      local rec = {cmsgpack.unpack(p)}
      local stream = table.remove(rec, 1)
      local seen = nil
      if string.sub(m, 1, 2) == 'd:' then seen = args[4] .. string.sub(m, 3) end
      local r = append_one(stream, seen, args[3], rec)
      if type(r) == 'table' then
        redis.call('XADD', args[5], '*', 'reason', 'release failed: ' .. tostring(r.err),
                   'stream', stream, 'member', m)
      end
    end
    redis.call('ZREM', keys[1], m)
    redis.call('HDEL', keys[2], m)
    n = n + 1
  end
  return n
end)

redis.register_function('od_pending', function(keys, args)
  local r = redis.call('XREADGROUP', 'GROUP', args[1], args[2], 'COUNT', args[3],
                       'STREAMS', keys[1], args[4])
  if not r or not r[1] then return {} end
  return with_counts(keys[1], args[1], r[1][2])
end)

redis.register_function('od_claim', function(keys, args)
  local r = redis.call('XAUTOCLAIM', keys[1], args[1], args[2], args[3], args[4],
                       'COUNT', args[5])
  return {r[1], with_counts(keys[1], args[1], r[2]), r[3] or {}}
end)
)LUA";

}  // namespace

const std::string& functionLibrary() {
  static const std::string library(kLibrary);
  return library;
}

}  // namespace od::adapters::valkey
