#include "events/envelope.h"

#include <array>
#include <charconv>
#include <optional>

#include "core/json.h"

namespace od::events {
namespace {

using core::Errc;
using core::makeError;

constexpr std::array<std::string_view, 8> kFieldNames = {"type", "v",     "id", "key",
                                                         "corr", "cause", "ts", "data"};

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

core::Error corrupt(std::string message) {
  return makeError(Errc::Corrupt, "event envelope: " + std::move(message));
}

// The value of each known field; a field that appears twice is corrupt.
core::Result<std::array<std::optional<std::string_view>, 8>> collect(
    const core::StreamFields& fields) {
  std::array<std::optional<std::string_view>, 8> found;
  for (const auto& [name, value] : fields) {
    for (size_t i = 0; i < kFieldNames.size(); ++i) {
      if (name != kFieldNames[i]) {
        continue;
      }
      if (found[i]) {
        return corrupt("field '" + name + "' appears twice");
      }
      found[i] = value;
    }
  }
  for (size_t i : {0, 1, 2, 3, 6, 7}) {  // corr (4) and cause (5) may be absent
    if (!found[i]) {
      return corrupt("missing field '" + std::string(kFieldNames[i]) + "'");
    }
  }
  return found;
}

core::Status checkData(std::string_view data) {
  if (data.size() > kMaxDataBytes) {
    return corrupt("data of " + std::to_string(data.size()) + " bytes exceeds the limit of " +
                   std::to_string(kMaxDataBytes) + " bytes");
  }
  auto doc = core::JsonDocument::parse(data, core::JsonLimits{kMaxDataBytes, 64});
  if (!doc.ok()) {
    return corrupt("data: " + doc.error().message);
  }
  if (!doc->root().is_object()) {
    return corrupt("data is a JSON " + std::string(core::jsonTypeName(doc->root())) +
                   ", not an object");
  }
  return core::okStatus();
}

}  // namespace

core::StreamFields encodeEnvelope(const Envelope& e) {
  return core::StreamFields{{"type", e.type},   {"v", std::to_string(e.v)},
                            {"id", e.id},       {"key", e.key},
                            {"corr", e.corr},   {"cause", e.cause},
                            {"ts", std::to_string(e.ts)}, {"data", e.data}};
}

core::Result<Envelope> decodeEnvelope(const core::StreamFields& fields) {
  OD_TRY(auto found, collect(fields));
  Envelope e;
  e.type = std::string(*found[0]);
  e.id = std::string(*found[2]);
  e.key = std::string(*found[3]);
  if (e.type.empty() || e.id.empty() || e.key.empty()) {
    return corrupt("empty type, id or key");
  }
  auto v = parseInt(*found[1]);
  if (!v || *v <= 0 || *v > 1000000) {
    return corrupt("field 'v' is not a positive schema version: '" +
                   std::string(found[1]->substr(0, 32)) + "'");
  }
  e.v = static_cast<int>(*v);
  auto ts = parseInt(*found[6]);
  if (!ts || *ts < 0) {
    return corrupt("field 'ts' is not a non-negative millisecond time: '" +
                   std::string(found[6]->substr(0, 32)) + "'");
  }
  e.ts = *ts;
  e.corr = std::string(found[4].value_or(""));
  e.cause = std::string(found[5].value_or(""));
  if (auto st = checkData(*found[7]); !st.ok()) {
    return std::move(st).takeError();
  }
  e.data = std::string(*found[7]);
  return e;
}

core::AppendRecord toAppendRecord(std::string_view stream, const Envelope& envelope) {
  return core::AppendRecord{std::string(stream), envelope.id, encodeEnvelope(envelope)};
}

Hash128 fnv1a128(std::string_view bytes) {
  using U128 = unsigned __int128;
  const U128 prime = (U128(1) << 88) | U128(0x13b);
  U128 h = (U128(0x6c62272e07bb0142ULL) << 64) | U128(0x62b821756295c58dULL);
  for (unsigned char c : bytes) {
    h ^= U128(c);
    h *= prime;
  }
  return Hash128{static_cast<uint64_t>(h >> 64), static_cast<uint64_t>(h)};
}

std::string toHex(Hash128 hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kDigits[(hash.hi >> (4 * i)) & 0xf];
    out[31 - i] = kDigits[(hash.lo >> (4 * i)) & 0xf];
  }
  return out;
}

std::string eventId(std::initializer_list<std::string_view> parts) {
  std::string buf;
  for (std::string_view part : parts) {
    buf += std::to_string(part.size());
    buf += ':';
    buf += part;
  }
  return toHex(fnv1a128(buf));
}

}  // namespace od::events
