#include "adapters/sign/gpgme_keygen.h"

#include "adapters/sign/gpgme_support.h"

namespace od::adapters::sign {

using core::Errc;
using core::makeError;

core::Result<std::string> generateSigningKey(std::string_view user_id) {
  if (user_id.empty()) return makeError(Errc::Invalid, "a signing key needs a user id");
  OD_TRY(std::shared_ptr<GnupgHome> home, GnupgHome::create());
  OD_TRY(Context ctx, newContext(*home));
  const std::string uid(user_id);
  const unsigned flags = GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE;
  gpgme_error_t err = gpgme_op_createkey(ctx.get(), uid.c_str(), "ed25519", 0, 0, nullptr, flags);
  if (err != 0) return makeError(Errc::Internal, "gpg cannot make a signing key: " + errorText(err));
  gpgme_genkey_result_t made = gpgme_op_genkey_result(ctx.get());
  if (made == nullptr || made->fpr == nullptr) {
    return makeError(Errc::Internal, "gpg made a key but did not say which");
  }
  const std::string fpr(made->fpr);
  OD_TRY(Data out, newOutput());
  gpgme_set_armor(ctx.get(), 1);
  err = gpgme_op_export(ctx.get(), fpr.c_str(), GPGME_EXPORT_MODE_SECRET, out.get());
  if (err != 0) return makeError(Errc::Internal, "cannot export the new key " + fpr + ": " + errorText(err));
  std::string armor = contentsOf(out.get());
  if (armor.find("PRIVATE KEY BLOCK") == std::string::npos) {
    return makeError(Errc::Internal, "gpg exported no secret key for " + fpr);
  }
  return armor;
}

}  // namespace od::adapters::sign
