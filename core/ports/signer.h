#pragma once
// Signer: detached binary OpenPGP signatures over SHA256SUMS documents (GPGME in adapters/),
// and the public keys a registry publishes in `signing_keys`. Keeping old public keys after a
// rotation keeps older signatures verifiable.
// Thread affinity: loop thread; signing runs on the worker pool.

#include <functional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::core {

struct PublicKey {
  std::string key_id;       // upper-case hex, as registries publish it
  std::string ascii_armor;
  std::string source_url;   // optional; published when not empty
};

class Signer {
 public:
  virtual ~Signer() = default;
  virtual CancelablePtr signDetached(std::string document,
                                     std::function<void(Result<std::string>)> done) = 0;
  // The current key first, then older ones still published.
  virtual std::vector<PublicKey> publicKeys() const = 0;
};

}  // namespace od::core
