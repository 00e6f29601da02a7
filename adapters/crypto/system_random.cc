#include "adapters/crypto/system_random.h"

#include <sys/random.h>

#include <cerrno>

#include "core/result.h"

namespace od::adapters::crypto {

uint64_t SystemRandom::next() {
  std::lock_guard<std::mutex> lock(mu_);
  if (used_ == buffer_.size()) {
    auto* out = reinterpret_cast<unsigned char*>(buffer_.data());
    size_t filled = 0;
    const size_t want = sizeof(buffer_);
    while (filled < want) {
      const ssize_t n = getrandom(out + filled, want - filled, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      // getrandom only fails on invalid arguments or before the pool is initialised at boot.
      OD_CHECK(n > 0);
      filled += static_cast<size_t>(n);
    }
    used_ = 0;
  }
  return buffer_[used_++];
}

}  // namespace od::adapters::crypto
