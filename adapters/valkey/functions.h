#pragma once
// The server-side FUNCTION library `opendepot` (Redis 7.0 FUNCTION / FCALL), loaded with
// FUNCTION LOAD REPLACE on every (re)connect of the command connection, so a server that
// lost its data (or was flushed) gets it back.
//
//   od_append    KEYS: per record its stream, then its seen key when it has a dedupe id.
//                ARGV: ttl_seconds, then per record: has_seen (0/1), n, n field strings.
//                Per record: EXISTS seen → 0 (duplicate); else XADD, then SET seen EX ttl.
//                Returns an array (entry id or 0 per record); the first error stops and is
//                returned (earlier records stay appended).
//   od_schedule  KEYS: due zset, payload hash. ARGV: member, due_ms, stream, fields...
//   od_release   KEYS: due zset, payload hash. ARGV: now_ms, count, ttl, seen_prefix,
//                dead_stream. Moves due members into their streams (same dedupe as
//                od_append; member "d:<id>" dedupes on <id>, "a:<...>" never); a record
//                whose XADD fails is parked on dead_stream. Returns how many left the set.
//   od_pending   KEYS: stream. ARGV: group, consumer, count, after_id. XREADGROUP … <after_id>
//                (own pending entries after that id) plus the
//                delivery counts from XPENDING: [[id, fields-or-empty, deliveries], …].
//   od_claim     KEYS: stream. ARGV: group, consumer, min_idle_ms, start, count.
//                XAUTOCLAIM, then XPENDING per claimed id: [cursor, [[id, fields,
//                deliveries], …], [deleted ids]].
//
// Thread affinity: none (constant text).

#include <string>

namespace od::adapters::valkey {

const std::string& functionLibrary();

}  // namespace od::adapters::valkey
