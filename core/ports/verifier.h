#pragma once
// SignatureVerifier: checks a detached OpenPGP signature over a document (an upstream
// provider's SHA256SUMS) against the armored public keys the upstream registry publishes
// (`signing_keys.gpg_public_keys[].ascii_armor`). Only the given keys are trusted: each call
// starts from an empty keyring, so keys of one provider never vouch for another.
// Thread affinity: loop thread; verification runs on the worker pool.

#include <functional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/result.h"

namespace od::core {

struct VerifiedSignature {
  std::string key_id;          // the signing certificate's primary key id, upper-case hex (16)
  std::string signing_key_id;  // the (sub)key that made the signature, upper-case hex (16)
  std::string fingerprint;     // the full fingerprint of that (sub)key, upper-case hex
};

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  // `signature` may be binary or ASCII-armored. Errc::Invalid with the reason ("bad
  // signature", "signed by unknown key …", "expired key …", "no valid signature …") when it
  // does not verify; other codes for local failures (no temporary keyring, pool full).
  virtual CancelablePtr verifyDetached(std::string document, std::string signature,
                                       std::vector<std::string> armored_public_keys,
                                       std::function<void(Result<VerifiedSignature>)> done) = 0;
};

}  // namespace od::core
