#pragma once
// The composition root of `opendepot run` and `opendepot dev` (ARCHITECTURE "One binary,
// many roles"): builds the adapters, wires them into the roles asked for, runs the control
// loop until SIGINT/SIGTERM, then stops everything in order (HTTP first, then consumers,
// then the log).
// Thread affinity: main thread; returns when the process should exit.

#include <string>

#include "adapters/config/options.h"

namespace od::adapters::main {

struct RunRequest {
  config::Options options;
  bool dev = false;
  // dev only
  std::string manifests_dir;  // the folder of manifests (watched)
  std::string state_dir;      // private Valkey data, TLS files, the local store, work files
  int port = 8443;            // HTTPS port on 127.0.0.1
  std::string redis_server = "redis-server";
};

// Returns the process exit code (0 after a clean shutdown; 1 when startup failed, with the
// reason already printed).
int runRegistry(const RunRequest& request);

}  // namespace od::adapters::main
