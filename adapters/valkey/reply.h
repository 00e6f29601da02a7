#pragma once
// Conversions from hiredis replies (RESP2, hiredis 0.14) to port values. Every function
// checks the shape it gets: a reply of an unexpected shape is Errc::Corrupt, never a crash
// (replies are external input). The reply must stay valid during the call only.
// Thread affinity: any (pure functions).

#include <hiredis/hiredis.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/ports/event_log.h"
#include "core/result.h"

namespace od::adapters::valkey {

// Maps an error reply to an Error: NOGROUP → NotFound, WRONGTYPE → Corrupt, LOADING/BUSY/
// READONLY/MASTERDOWN/OOM/TRYAGAIN → Unavailable, NOAUTH/WRONGPASS/NOPERM → Permission,
// "Function not found" → Unavailable, bad stream ids → Invalid, anything else → Internal.
core::Error errorFromReply(const redisReply* reply);
bool errorStartsWith(const redisReply* reply, std::string_view prefix);
bool errorContains(const redisReply* reply, std::string_view text);

bool isString(const redisReply* reply);  // STRING or STATUS
std::string toString(const redisReply* reply);
core::Error unexpected(std::string_view what);

// [field, value, …] or NIL (an entry deleted from the stream) → fields.
core::Result<core::StreamFields> parseFields(const redisReply* reply);
// [id, [field, value, …]]
core::Result<core::StreamEntry> parseEntry(const redisReply* reply);
// [[id, fields], …]
core::Result<std::vector<core::StreamEntry>> parseEntries(const redisReply* reply);
// XREAD/XREADGROUP: NIL (nothing) or [[stream, [[id, fields], …]]].
core::Result<std::vector<core::StreamEntry>> parseStreamsReply(const redisReply* reply);
// [[id, fields, deliveries], …] (od_pending, od_claim).
core::Result<std::vector<core::Delivery>> parseCounted(const redisReply* reply);

}  // namespace od::adapters::valkey
