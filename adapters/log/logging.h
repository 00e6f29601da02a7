#pragma once
// Logging setup (house style §7): one async spdlog logger per component, created once in
// main, overrun-oldest so that no loop ever blocks on logging. Text lines for people,
// JSON lines (one object per line) for log pipelines.
// Thread affinity: setupLogging() once in main before threads start; loggers any thread.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace od::adapters::log {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json
  size_t queue_size = 8192;     // async queue entries; the oldest are dropped when full
};

// The component names (one logger each).
inline const std::vector<std::string>& componentNames() {
  static const std::vector<std::string> names = {"main", "k8s", "valkey", "events", "worker",
                                                 "proj", "http", "blob", "scan"};
  return names;
}

// Validates options and creates the loggers; every problem is reported at once.
core::Status setupLogging(const LogOptions& options);

// The logger of a component; a fallback stderr logger when setup has not run (tests).
spdlog::logger& logger(const std::string& component);

// The JSON formatter, exposed for tests: {"ts":…,"level":…,"logger":…,"msg":…}.
std::unique_ptr<spdlog::formatter> makeJsonFormatter();

}  // namespace od::adapters::log
