#pragma once
// runCall: runs one asynchronous call of an upstream source on a real EventLoop until it
// answers (or `timeout` passes: an Internal error), and checks that the callback never runs
// inside the call. `start(cb)` makes the call and returns its handle, kept until the answer.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "adapters/loop/event_loop.h"
#include "core/result.h"

namespace od::testing {

template <typename T, typename Start>
core::Result<T> runCall(adapters::loop::EventLoop& loop, std::chrono::milliseconds timeout,
                        Start start) {
  std::optional<core::Result<T>> out;
  bool returned = false;
  auto handle = start([&](core::Result<T> r) {
    EXPECT_TRUE(returned) << "callback ran inside the call";
    out = std::move(r);
  });
  returned = true;
  loop.runUntil([&] { return out.has_value(); }, timeout);
  if (!out) {
    return core::makeError(core::Errc::Internal,
                           "no answer within " + std::to_string(timeout.count()) + " ms");
  }
  return std::move(*out);
}

}  // namespace od::testing
