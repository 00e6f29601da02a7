#pragma once
// OpenSslHasher: core::Hasher on OpenSSL 3's EVP SHA-256.
// Thread affinity: any thread; each HashStream belongs to one thread.

#include "core/ports/hasher.h"

namespace od::adapters::crypto {

class OpenSslHasher final : public core::Hasher {
 public:
  // core::Hasher
  std::unique_ptr<core::HashStream> sha256() const override;
};

}  // namespace od::adapters::crypto
