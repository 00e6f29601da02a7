#pragma once
// GpgmeVerifier: the SignatureVerifier port on GPGME. Checks an upstream provider's
// SHA256SUMS.sig against the public keys its registry publishes.
//
// DESIGN
// - Every verification gets a fresh temporary GNUPGHOME holding only the keys given to that
//   call, removed afterwards: keys of one upstream never vouch for another, and nothing
//   persists between calls. A key that is not among them makes "signed by unknown key".
// - A good signature by a key that has since expired is refused ("expired key"): unlike
//   tofu's default warning, a registry that republishes a provider should not vouch for it.
// - Binary and ASCII-armored signatures are both accepted (GPGME detects which).
// - Inputs are bounded (document 64 MiB, signature 64 KiB, keys 4 MiB in all) and checked
//   before gpg runs.
//
// Thread affinity: verifyDetached() on the loop thread; verifyNow() on any thread.

#include <string>
#include <string_view>
#include <vector>

#include "adapters/exec/worker_pool.h"
#include "core/ports/verifier.h"

namespace od::adapters::sign {

class GpgmeVerifier final : public core::SignatureVerifier {
 public:
  GpgmeVerifier(loop::EventLoop& loop, exec::WorkerPool& pool) : loop_(loop), pool_(pool) {}

  core::CancelablePtr verifyDetached(std::string document, std::string signature,
                                     std::vector<std::string> armored_public_keys,
                                     std::function<void(core::Result<core::VerifiedSignature>)> done) override;

  // The same check on the calling thread (blocking).
  static core::Result<core::VerifiedSignature> verifyNow(std::string_view document,
                                                         std::string_view signature,
                                                         const std::vector<std::string>& armored_public_keys);

 private:
  loop::EventLoop& loop_;
  exec::WorkerPool& pool_;
};

}  // namespace od::adapters::sign
