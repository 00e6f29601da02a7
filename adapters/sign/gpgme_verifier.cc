#include "adapters/sign/gpgme_verifier.h"

#include <utility>

#include "adapters/sign/gpgme_support.h"

namespace od::adapters::sign {

using core::Errc;
using core::makeError;

namespace {

constexpr size_t kMaxDocumentBytes = size_t{64} << 20;
constexpr size_t kMaxSignatureBytes = size_t{64} << 10;
constexpr size_t kMaxKeysBytes = size_t{4} << 20;

core::Status checkInputs(std::string_view document, std::string_view signature,
                         const std::vector<std::string>& keys) {
  if (document.size() > kMaxDocumentBytes) return makeError(Errc::Invalid, "signed document larger than 64 MiB");
  if (signature.empty()) return makeError(Errc::Invalid, "no valid signature: the signature is empty");
  if (signature.size() > kMaxSignatureBytes) {
    return makeError(Errc::Invalid, "no valid signature: the signature is larger than 64 KiB");
  }
  if (keys.empty()) return makeError(Errc::Invalid, "no public keys to verify the signature with");
  size_t total = 0;
  for (const auto& k : keys) total += k.size();
  if (total > kMaxKeysBytes) return makeError(Errc::Invalid, "public keys larger than 4 MiB in all");
  return core::okStatus();
}

// Imports each key on its own so one unreadable key does not hide the others.
core::Status importAll(gpgme_ctx_t ctx, const std::vector<std::string>& keys) {
  size_t usable = 0;
  std::string first_error;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto imported = importKeys(ctx, keys[i]);
    if (imported.ok()) {
      ++usable;
    } else if (first_error.empty()) {
      first_error = "key #" + std::to_string(i + 1) + ": " + imported.error().message;
    }
  }
  if (usable == 0) return makeError(Errc::Invalid, "none of the public keys could be read (" + first_error + ")");
  return core::okStatus();
}

// The primary key id of the certificate holding the (sub)key `fpr`.
std::string primaryKeyIdOf(gpgme_ctx_t ctx, const std::string& fpr) {
  gpgme_key_t raw = nullptr;
  if (gpgme_get_key(ctx, fpr.c_str(), &raw, 0) != 0 || raw == nullptr) return keyIdOf(fpr);
  Key key(raw);
  return key->subkeys != nullptr && key->subkeys->fpr != nullptr ? keyIdOf(key->subkeys->fpr) : keyIdOf(fpr);
}

// Why one signature does not count; empty when it is good.
std::string reasonFor(gpgme_signature_t sig) {
  const std::string id = sig->fpr != nullptr ? keyIdOf(sig->fpr) : std::string("(unknown)");
  switch (gpgme_err_code(sig->status)) {
    case GPG_ERR_NO_ERROR:
      if (sig->summary & GPGME_SIGSUM_KEY_REVOKED) return "revoked key " + id;
      if (sig->summary & GPGME_SIGSUM_KEY_EXPIRED) return "expired key " + id;
      if (sig->summary & GPGME_SIGSUM_SIG_EXPIRED) return "expired signature by key " + id;
      return "";
    case GPG_ERR_BAD_SIGNATURE:
      return "bad signature (key " + id + "): the document does not match it";
    case GPG_ERR_NO_PUBKEY:
      return "signed by unknown key " + id;
    case GPG_ERR_KEY_EXPIRED:
      return "expired key " + id;
    case GPG_ERR_SIG_EXPIRED:
      return "expired signature by key " + id;
    case GPG_ERR_CERT_REVOKED:
      return "revoked key " + id;
    default:
      return "no valid signature: " + errorText(sig->status) + " (key " + id + ")";
  }
}

}  // namespace

core::Result<core::VerifiedSignature> GpgmeVerifier::verifyNow(std::string_view document,
                                                               std::string_view signature,
                                                               const std::vector<std::string>& keys) {
  if (auto st = checkInputs(document, signature, keys); !st.ok()) return st.error();
  OD_TRY(std::shared_ptr<GnupgHome> home, GnupgHome::create());
  OD_TRY(Context ctx, newContext(*home));
  if (auto st = importAll(ctx.get(), keys); !st.ok()) return st.error();
  OD_TRY(Data sig, dataOver(signature));
  OD_TRY(Data text, dataOver(document));
  if (gpgme_error_t err = gpgme_op_verify(ctx.get(), sig.get(), text.get(), nullptr); err != 0) {
    return makeError(Errc::Invalid, "no valid signature: " + errorText(err));
  }
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx.get());
  if (result == nullptr || result->signatures == nullptr) {
    return makeError(Errc::Invalid, "no valid signature: no OpenPGP signature found");
  }
  std::string first_reason;
  for (gpgme_signature_t s = result->signatures; s != nullptr; s = s->next) {
    std::string reason = reasonFor(s);
    if (reason.empty() && s->fpr != nullptr) {
      const std::string fpr = s->fpr;
      return core::VerifiedSignature{primaryKeyIdOf(ctx.get(), fpr), keyIdOf(fpr), upperCase(fpr)};
    }
    if (first_reason.empty()) first_reason = reason.empty() ? "no valid signature" : reason;
  }
  return makeError(Errc::Invalid, first_reason);
}

core::CancelablePtr GpgmeVerifier::verifyDetached(
    std::string document, std::string signature, std::vector<std::string> armored_public_keys,
    std::function<void(core::Result<core::VerifiedSignature>)> done) {
  auto submitted = pool_.submit(
      [document = std::move(document), signature = std::move(signature), keys = std::move(armored_public_keys)] {
        return verifyNow(document, signature, keys);
      },
      done);
  if (submitted.ok()) return std::move(submitted).value();
  core::Error error = std::move(submitted).takeError();
  return exec::postCancelable(loop_, [done = std::move(done), error = std::move(error)] { done(error); });
}

}  // namespace od::adapters::sign
