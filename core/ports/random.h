#pragma once
// Random: the one door to randomness (file names, jitter, lease tokens). Tests inject a
// seeded or scripted source so that results are repeatable.
// Thread affinity: an implementation states its own; the adapters' one is any-thread.

#include <cstdint>

namespace od::core {

class Random {
 public:
  virtual ~Random() = default;
  // 64 uniformly distributed bits.
  virtual uint64_t next() = 0;
};

}  // namespace od::core
