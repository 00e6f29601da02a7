#pragma once
// Envelope: the versioned wrapper every event travels in (ARCHITECTURE "Events"; house style
// §6). On a stream an event is one entry whose fields are exactly
//   type, v, id, key, corr, cause, ts, data
// with `v` the schema version of `type`, `id` deterministic (eventId() below), `key` the
// aggregate "Kind/namespace/name", `ts` milliseconds since the Unix epoch and `data` a JSON
// object. Producers never change a published type/v; they add v+1 (see codec.h).
//
// decodeEnvelope() validates everything a consumer relies on and reports Errc::Corrupt with
// a message naming the field; it never aborts on bad input. Unknown extra fields are ignored
// (newer producers may add some). corr and cause may be absent or empty.
//
// Thread affinity: plain values and pure functions, any thread.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/ports/event_log.h"
#include "core/result.h"

namespace od::events {

// Largest accepted `data` field (bytes); larger entries are corrupt, never parsed.
inline constexpr size_t kMaxDataBytes = 1024 * 1024;

struct Envelope {
  std::string type;
  int v = 1;
  std::string id;
  std::string key;
  std::string corr;
  std::string cause;
  int64_t ts = 0;
  std::string data = "{}";  // a JSON object
};

// The eight fields, in the order above.
core::StreamFields encodeEnvelope(const Envelope& envelope);

// Errors: Corrupt (missing or duplicated field, empty type/id/key, non-numeric or
// non-positive v, non-numeric or negative ts, data not a JSON object, data > kMaxDataBytes).
core::Result<Envelope> decodeEnvelope(const core::StreamFields& fields);

// The record that appends `envelope` to `stream` idempotently (dedupe_id = envelope.id).
core::AppendRecord toAppendRecord(std::string_view stream, const Envelope& envelope);

// 128-bit FNV-1a (Fowler/Noll/Vo; offset basis 0x6c62272e07bb014262b821756295c58d, prime
// 2^88 + 0x13b). Non-cryptographic: ids must be stable and well spread, not secret.
struct Hash128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool operator==(const Hash128&) const = default;
};
Hash128 fnv1a128(std::string_view bytes);
// 32 lowercase hex digits, most significant first.
std::string toHex(Hash128 hash);

// A deterministic event id: the hex FNV-1a-128 of the parts, each length-prefixed so that
// ("ab","c") and ("a","bc") differ. Callers pass what makes the event unique, e.g.
// {type, uid, resourceVersion} or {type, key, attempt, step}; including the type keeps
// different events about the same thing apart. Stable across runs, builds and machines.
std::string eventId(std::initializer_list<std::string_view> parts);

}  // namespace od::events
