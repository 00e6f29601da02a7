#pragma once
// Hasher: SHA-256 over streamed bytes (OpenSSL in adapters/, since core/ includes no crypto
// library). Large artifacts are hashed piecewise in bounded memory.
// Thread affinity: one HashStream per thread; the Hasher itself is any-thread.

#include <memory>
#include <string_view>

#include "core/checksum.h"

namespace od::core {

class HashStream {
 public:
  virtual ~HashStream() = default;
  virtual void update(std::string_view bytes) = 0;
  // REQUIRES: called once; update() is not called afterwards.
  virtual Sha256 finish() = 0;
};

class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual std::unique_ptr<HashStream> sha256() const = 0;
  Sha256 sha256Of(std::string_view bytes) const {
    auto s = sha256();
    s->update(bytes);
    return s->finish();
  }
};

}  // namespace od::core
