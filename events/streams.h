#pragma once
// The binding key names of ARCHITECTURE ("Keys and streams"). Every control key carries the
// {ctl} hash tag so that a later Valkey Cluster deployment keeps them in one slot.
// Thread affinity: constants and pure functions, any thread.

#include <string>
#include <string_view>

namespace od::events::streams {

inline constexpr std::string_view kResources = "od:{ctl}:resources";
inline constexpr std::string_view kWork = "od:{ctl}:work";
inline constexpr std::string_view kFacts = "od:{ctl}:facts";
inline constexpr std::string_view kDead = "od:{ctl}:dead";
inline constexpr std::string_view kDue = "od:{ctl}:due";            // sorted set
inline constexpr std::string_view kDownloads = "od:{stats}:downloads";  // capped stream

// od:{ctl}:ckpt:<projection> — the id of the last entry a projection folded in.
inline std::string checkpointKey(std::string_view name) {
  return "od:{ctl}:ckpt:" + std::string(name);
}
// od:{ctl}:snap:<projection> — a projection's snapshot.
inline std::string snapshotKey(std::string_view name) {
  return "od:{ctl}:snap:" + std::string(name);
}
// od:{ctl}:seen:<event-id> — the idempotent-append marker (TTL 7 days).
inline std::string seenKey(std::string_view event_id) {
  return "od:{ctl}:seen:" + std::string(event_id);
}
// od:{ctl}:lease:<role> — the single-active lease of a role.
inline std::string leaseKey(std::string_view role) {
  return "od:{ctl}:lease:" + std::string(role);
}

}  // namespace od::events::streams
