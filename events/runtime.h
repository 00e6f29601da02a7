#pragma once
// Runtime: the ports every event-side runner needs (consumer, scheduler, catch-up), bundled
// so constructors stay short (house style §9). It only refers; it owns nothing.
// Ownership: every referent must outlive each object constructed with it.
// Thread affinity: loop thread only (as the ports it refers to).

#include <spdlog/logger.h>

#include "core/ports/clock.h"
#include "core/ports/event_log.h"
#include "core/ports/random.h"

namespace od::events {

struct Runtime {
  core::EventLog& log;
  core::Clock& clock;
  core::Random& random;  // jitter only
  spdlog::logger& logger;
};

}  // namespace od::events
