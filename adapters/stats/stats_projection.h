#pragma once
// StatsProjection: the events::Handler that folds ArtifactDownloaded events from
// od:{stats}:downloads into the reference's stats:* keys (stats_keys.h), exactly once per
// event id.
//
// DESIGN
// - One server-side FUNCTION call per event (library `opendepot_stats`, loaded with FUNCTION
//   LOAD REPLACE on every (re)connect of the projection's own connection):
//     od_stats_count  KEYS: counted marker, total, ns, resource, version, leaderboard global,
//                     leaderboard ns, day.  ARGV: marker ttl s, lastAt, member, day expire-at.
//   It first checks that every key is missing or of the expected type (a WRONGTYPE reply,
//   nothing written), then `SET od:{stats}:counted:<event id> 1 NX EX ttl`; only when that
//   set the marker does it INCR/HINCRBY/ZINCRBY/EXPIREAT. One script runs atomically, so a
//   redelivered or duplicated entry (same envelope id) never counts twice, and a crash
//   never leaves half an update. lastAt only moves forward.
// - Outcomes for the Consumer: counted or duplicate -> success with no result events (the
//   entry is acked). A transport error or a missing function (reloaded by reconnecting) ->
//   retryable. A type other than ArtifactDownloaded, undecodable data, a value that cannot
//   be part of a key, or a WRONGTYPE key -> non-retryable, so the entry is parked on
//   od:{ctl}:dead with the reason.
// - The stream is capped (ARCHITECTURE): every `trim_every` handled events the projection
//   sends `XTRIM <stream> MAXLEN ~ stream_max_len` (fire and forget; a failure is logged and
//   the next trim tries again). The consumer acks pending entries that were trimmed away, so
//   only a backlog longer than the cap loses counts.
// - The stats:* keys carry no hash tag (reference compatibility), so this needs a single
//   Valkey primary (as ARCHITECTURE deploys it), not a Cluster.
//
// Thread affinity: loop thread only. *loop and *log must outlive it. Handles returned by
// handle() may outlive it; after its destruction no callback runs.

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/loop/event_loop.h"
#include "adapters/stats/stats_keys.h"
#include "adapters/valkey/connection.h"
#include "adapters/valkey/valkey_options.h"
#include "events/consumer.h"
#include "events/streams.h"

namespace od::adapters::stats {

inline constexpr std::string_view kStatsGroup = "stats";

struct StatsProjectionMetrics {
  uint64_t counted = 0;     // events that changed the counters
  uint64_t duplicates = 0;  // events whose id was counted before
  uint64_t rejected = 0;    // events refused as invalid (parked by the consumer)
  uint64_t errors = 0;      // failed server calls (retried by the consumer)
  uint64_t trims = 0;       // XTRIM calls that succeeded
};

struct StatsProjectionConfig {
  StatsKeyOptions keys;
  std::string stream = std::string(events::streams::kDownloads);
  size_t stream_max_len = 1000000;  // XTRIM MAXLEN ~ this; 0: never trim
  uint64_t trim_every = 1000;       // handled events between trims (at least 1)
};

// The consumer configuration for the projection: stream od:{stats}:downloads, group
// "stats", the given consumer name (stable per replica, e.g. the pod name).
events::ConsumerConfig statsConsumerConfig(std::string consumer);

class StatsProjection final : public events::Handler {
 public:
  // Starts connecting at once; events handled before the connection is ready wait for it
  // (up to options.command_timeout).
  StatsProjection(loop::EventLoop& loop, valkey::ValkeyOptions options, spdlog::logger& log,
                  StatsProjectionConfig config = {});
  ~StatsProjection() override;
  StatsProjection(const StatsProjection&) = delete;
  StatsProjection& operator=(const StatsProjection&) = delete;

  // events::Handler
  core::CancelablePtr handle(const events::Envelope& event, const core::StreamEntry& raw,
                             Done done) override;

  bool connected() const { return conn_->ready(); }
  const StatsProjectionMetrics& metrics() const { return metrics_; }

 private:
  core::CancelablePtr reject(core::Error error, const Done& done);
  void onReply(core::Result<const redisReply*> reply, const Done& done);
  void maybeTrim();

  const valkey::ValkeyOptions options_;
  const StatsProjectionConfig config_;
  spdlog::logger& log_;
  std::unique_ptr<valkey::Connection> conn_;
  StatsProjectionMetrics metrics_;
  uint64_t since_trim_ = 0;
  core::CancelablePtr trim_call_;
};

// The FUNCTION library text (tests, operators).
const std::string& statsFunctionLibrary();

}  // namespace od::adapters::stats
