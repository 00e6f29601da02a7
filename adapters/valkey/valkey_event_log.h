#pragma once
// ValkeyEventLog: core::EventLog on Valkey/Redis 7.0 streams through hiredis async + libev.
//
// DESIGN
// - One command connection (appends, acks, FUNCTION calls, non-blocking reads) and a small
//   pool of blocking connections for XREAD/XREADGROUP with BLOCK, so that a blocking read
//   never delays an append. Each is a Connection: own deadlines per command, reconnect with
//   backoff and jitter (see connection.h).
// - Every port call is ONE server command: composite operations are server-side FUNCTIONs
//   (functions.h), loaded with FUNCTION LOAD REPLACE on every (re)connect. So atomicity comes
//   from the server, and a call never leaves half its steps done on the client side.
// - Idempotent append: od:{ctl}:seen:<dedupe_id> (TTL options.seen_ttl) checked and set in
//   the same FUNCTION as the XADD. Records without dedupe_id are always appended.
// - Due set: od:{ctl}:due (score = due ms, member "d:<dedupe_id>" or "a:<unique>"), record
//   bodies in the hash od:{ctl}:due:payload; rescheduling the same dedupe_id replaces.
// - Groups: ensureGroup = XGROUP CREATE … 0 MKSTREAM (BUSYGROUP is success). A NOGROUP
//   reply for a group this object ensured before (the server lost its data, failover)
//   recreates it and reports Errc::Unavailable, so the caller's retry succeeds; for a group
//   never ensured it is Errc::NotFound.
// - Pending entries whose stream entry was trimmed come back from readGroup(pending) with
//   empty fields (as Valkey returns them), and from claimIdle() in deleted_ids.
//
// Thread affinity: loop thread only (construct, call and destroy there). *loop and *log must
// outlive this object. Handles returned by calls may outlive it; after its destruction no
// callback runs.

#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "adapters/valkey/connection.h"
#include "adapters/valkey/valkey_options.h"
#include "core/ports/event_log.h"

namespace od::adapters::valkey {

// Key names (ARCHITECTURE, binding table).
inline constexpr const char* kSeenPrefix = "od:{ctl}:seen:";
inline constexpr const char* kDueKey = "od:{ctl}:due";
inline constexpr const char* kDuePayloadKey = "od:{ctl}:due:payload";
inline constexpr const char* kDeadStream = "od:{ctl}:dead";
inline constexpr const char* kCheckpointPrefix = "od:{ctl}:ckpt:";

class ValkeyEventLog final : public core::EventLog {
 public:
  // Starts connecting at once; calls made before the connection is ready wait for it (up to
  // their deadline).
  ValkeyEventLog(loop::EventLoop& loop, ValkeyOptions options, spdlog::logger& log);
  ~ValkeyEventLog() override;

  // core::EventLog
  core::CancelablePtr append(std::vector<core::AppendRecord> records,
                             Callback<std::vector<core::AppendResult>> done) override;
  core::CancelablePtr read(std::string stream, std::string after_id, size_t count,
                           std::chrono::milliseconds block,
                           Callback<std::vector<core::StreamEntry>> done) override;
  core::CancelablePtr ensureGroup(std::string stream, std::string group,
                                  StatusCallback done) override;
  core::CancelablePtr readGroup(core::GroupRead request,
                                Callback<std::vector<core::Delivery>> done) override;
  core::CancelablePtr ack(std::string stream, std::string group, std::vector<std::string> ids,
                          StatusCallback done) override;
  core::CancelablePtr claimIdle(core::ClaimRequest request,
                                Callback<core::ClaimResult> done) override;
  core::CancelablePtr schedule(core::DueRecord record, StatusCallback done) override;
  core::CancelablePtr releaseDue(std::chrono::system_clock::time_point now, size_t count,
                                 Callback<size_t> done) override;
  core::CancelablePtr loadCheckpoint(std::string name,
                                     Callback<std::optional<std::string>> done) override;
  core::CancelablePtr storeCheckpoint(std::string name, std::string entry_id,
                                      StatusCallback done) override;

  // Readiness: PING on the command connection; connected() is its current state.
  core::CancelablePtr ping(StatusCallback done);
  bool connected() const { return command_->ready(); }
  // Successful (re)connects of the command connection so far (tests, metrics).
  uint64_t connects() const { return command_->connects(); }

 private:
  template <typename T>
  using Parser = std::function<core::Result<T>(const redisReply*)>;

  // Sends argv on `conn`; error replies become Errors (with the NOGROUP / missing-function
  // handling of the DESIGN), other replies go through `parse`.
  template <typename T>
  core::CancelablePtr call(Connection& conn, Argv argv, std::chrono::milliseconds timeout,
                           Parser<T> parse, Callback<T> done, const std::string* group_key);
  // Reports `error` to `done` later, on the loop.
  template <typename T>
  core::CancelablePtr failSoon(core::Error error, Callback<T> done);
  core::Error onErrorReply(const redisReply* reply, const std::string* group_key);
  Connection& blockingConnection();
  std::string nextAnonymousMember();

  loop::EventLoop& loop_;
  const ValkeyOptions options_;
  spdlog::logger& log_;
  std::unique_ptr<Connection> command_;
  std::vector<std::unique_ptr<Connection>> blocking_;
  std::set<std::string> known_groups_;              // "<stream>\n<group>" ensured here
  std::map<std::string, std::string> claim_cursor_;  // XAUTOCLAIM cursor per group key
  std::vector<core::CancelablePtr> background_;      // fire-and-forget group recreation
  uint64_t anonymous_seq_ = 0;
};

}  // namespace od::adapters::valkey
