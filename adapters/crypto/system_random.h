#pragma once
// SystemRandom: core::Random from the kernel's CSPRNG (getrandom(2)), buffered.
// Thread affinity: any thread (internally locked).

#include <array>
#include <mutex>

#include "core/ports/random.h"

namespace od::adapters::crypto {

class SystemRandom final : public core::Random {
 public:
  // core::Random
  uint64_t next() override;

 private:
  std::mutex mu_;
  std::array<uint64_t, 32> buffer_{};
  size_t used_ = buffer_.size();
};

}  // namespace od::adapters::crypto
