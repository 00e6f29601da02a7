#pragma once
// ValkeyOptions: how ValkeyEventLog reaches the server and how patient it is.
// Plain value, copied into the log at construction (house style §8).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace od::adapters::valkey {

struct ValkeyOptions {
  std::string host = "127.0.0.1";  // IPv4/IPv6 literal or name (resolved by hiredis)
  int port = 6379;
  std::string user;      // ACL user for AUTH; empty: the default user
  std::string password;  // empty: no AUTH. Never logged.
  int db = 0;            // SELECT index; 0 sends no SELECT

  // Deadline of one command, from the call until its reply. Blocking reads get their BLOCK
  // time on top. On expiry the caller gets Errc::Timeout and the connection is replaced.
  std::chrono::milliseconds command_timeout{5000};
  // Deadline from starting a connection until it answered its setup commands.
  std::chrono::milliseconds connect_timeout{2000};
  // Reconnect delay: doubles per failed attempt from min up to max, with jitter in [d/2, d].
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  // Lifetime of the od:{ctl}:seen:<id> markers that make append() idempotent.
  std::chrono::seconds seen_ttl{std::chrono::hours(24 * 7)};
  // Connections for blocking reads (XREAD/XREADGROUP with BLOCK); one read waits per
  // connection, so this bounds the number of concurrent blocking readers.
  size_t max_blocking_connections = 4;
  // Seed of the reconnect jitter; 0 takes one from std::random_device.
  uint64_t jitter_seed = 0;
};

}  // namespace od::adapters::valkey
