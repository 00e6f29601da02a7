#include "adapters/sign/gpgme_signer.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <utility>

#include "adapters/sign/gpgme_support.h"
#include "core/base64.h"

namespace od::adapters::sign {

using core::Errc;
using core::makeError;

struct GpgmeSigner::State {
  std::shared_ptr<GnupgHome> home;
  std::string fingerprint;  // of the signing (primary) key
};

namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;
constexpr std::string_view kArmorStart = "-----BEGIN PGP ";
constexpr std::string_view kCheckDocument = "opendepot signing key check\n";

bool isArmored(std::string_view text) { return text.find(kArmorStart) != std::string_view::npos; }

// Base64 text with line breaks or a trailing newline (as Secrets and `base64` write it).
core::Result<std::string> decodeBase64Armor(std::string_view text, std::string_view source) {
  std::string compact;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  auto decoded = core::base64Decode(compact);
  if (!decoded.ok() || !isArmored(*decoded)) {
    return makeError(Errc::Invalid, std::string(source) +
                                        ": neither an ASCII-armored OpenPGP key nor base64 of one");
  }
  return std::move(decoded).value();
}

core::Result<std::string> signWith(const GpgmeSigner::State& state, std::string_view document,
                                   bool* passphrase_asked) {
  OD_TRY(Context ctx, newContext(*state.home, passphrase_asked));
  gpgme_key_t raw_key = nullptr;
  if (gpgme_error_t err = gpgme_get_key(ctx.get(), state.fingerprint.c_str(), &raw_key, 1); err != 0) {
    return makeError(Errc::Internal, "signing key " + state.fingerprint + " is gone: " + errorText(err));
  }
  Key key(raw_key);
  gpgme_set_armor(ctx.get(), 0);  // registries serve binary signatures
  if (gpgme_error_t err = gpgme_signers_add(ctx.get(), key.get()); err != 0) {
    return makeError(Errc::Internal, "gpgme_signers_add: " + errorText(err));
  }
  OD_TRY(Data in, dataOver(document));
  OD_TRY(Data out, newOutput());
  if (gpgme_error_t err = gpgme_op_sign(ctx.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH); err != 0) {
    return makeError(Errc::Internal, "signing failed: " + errorText(err));
  }
  gpgme_sign_result_t result = gpgme_op_sign_result(ctx.get());
  if (result == nullptr || result->signatures == nullptr || result->invalid_signers != nullptr) {
    return makeError(Errc::Internal, "signing failed: gpg made no signature with " + state.fingerprint);
  }
  std::string signature = contentsOf(out.get());
  if (signature.empty()) return makeError(Errc::Internal, "signing failed: empty signature");
  return signature;
}

// The one secret key in a fresh home that can sign.
core::Result<std::string> onlySecretKey(gpgme_ctx_t ctx, std::string_view source) {
  if (gpgme_error_t err = gpgme_op_keylist_start(ctx, nullptr, 1); err != 0) {
    return makeError(Errc::Internal, "cannot list secret keys: " + errorText(err));
  }
  std::vector<Key> keys;
  gpgme_key_t raw = nullptr;
  while (gpgme_op_keylist_next(ctx, &raw) == 0) keys.emplace_back(raw);
  gpgme_op_keylist_end(ctx);
  if (keys.empty() || keys.front()->subkeys == nullptr) {
    return makeError(Errc::Invalid, std::string(source) + " holds no secret key (is it a public key?)");
  }
  if (keys.size() > 1) {
    return makeError(Errc::Invalid, std::string(source) + " holds " + std::to_string(keys.size()) +
                                        " secret keys; give exactly one");
  }
  const gpgme_key_t key = keys.front().get();
  const std::string fpr = key->subkeys->fpr;
  if (key->expired || key->revoked || key->disabled || key->invalid || !key->can_sign) {
    return makeError(Errc::Invalid, std::string(source) + ": key " + keyIdOf(fpr) +
                                        " cannot sign (expired, revoked or without a signing key)");
  }
  return fpr;
}

core::Status addPreviousKeys(gpgme_ctx_t ctx, const std::vector<std::string>& armored,
                             const std::string& current, std::vector<core::PublicKey>& out) {
  for (size_t i = 0; i < armored.size(); ++i) {
    auto imported = importKeys(ctx, armored[i]);
    if (!imported.ok()) {
      return makeError(Errc::Invalid, "previous public key #" + std::to_string(i + 1) + ": " +
                                          imported.error().message);
    }
    for (const std::string& fpr : imported->fingerprints) {
      if (fpr == current) continue;
      bool seen = false;
      for (const auto& k : out) seen = seen || k.key_id == keyIdOf(fpr);
      if (seen) continue;
      OD_TRY(std::string armor, exportArmoredPublicKey(ctx, fpr));
      out.push_back({keyIdOf(fpr), std::move(armor), {}});
    }
  }
  return core::okStatus();
}

}  // namespace

core::Result<std::string> readKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(Errc::Invalid, "cannot read key file " + path);
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxKeyFileBytes) {
      return makeError(Errc::Invalid, "key file " + path + " is larger than 1 MiB");
    }
  }
  if (isArmored(text)) return text;
  return decodeBase64Armor(text, "key file " + path);
}

core::Result<std::unique_ptr<GpgmeSigner>> GpgmeSigner::create(loop::EventLoop& loop, exec::WorkerPool& pool,
                                                               const GpgmeSignerOptions& options) {
  if (options.key_file.empty() && options.private_key.empty()) {
    return makeError(Errc::Invalid, "--gpg-key-file is required for signing");
  }
  std::string private_key = options.private_key;
  std::string source = options.private_key_source;
  if (!options.key_file.empty()) {
    OD_TRY(private_key, readKeyFile(options.key_file));
    source = "key file " + options.key_file;
  }
  std::vector<std::string> previous;
  for (const std::string& file : options.previous_key_files) {
    OD_TRY(std::string armor, readKeyFile(file));
    previous.push_back(std::move(armor));
  }
  return fromKeys(loop, pool, private_key, previous, source);
}

core::Result<std::unique_ptr<GpgmeSigner>> GpgmeSigner::fromKeys(
    loop::EventLoop& loop, exec::WorkerPool& pool, std::string_view private_key,
    const std::vector<std::string>& previous_public_keys, std::string_view source) {
  std::string text(private_key);
  if (!isArmored(text)) {
    OD_TRY(std::string decoded, decodeBase64Armor(text, source));
    text = std::move(decoded);
  }
  OD_TRY(std::shared_ptr<GnupgHome> home, GnupgHome::create());
  OD_TRY(Context ctx, newContext(*home));
  auto imported = importKeys(ctx.get(), text);
  if (!imported.ok()) return makeError(Errc::Invalid, std::string(source) + ": " + imported.error().message);
  OD_TRY(std::string fpr, onlySecretKey(ctx.get(), source));

  auto state = std::make_shared<State>(State{home, fpr});
  bool passphrase_asked = false;
  auto check = signWith(*state, kCheckDocument, &passphrase_asked);
  if (passphrase_asked) {
    return makeError(Errc::Invalid, std::string(source) + ": key " + keyIdOf(fpr) +
                                        " is passphrase-protected; the signing key must have no passphrase");
  }
  if (!check.ok()) return makeError(Errc::Invalid, std::string(source) + ": " + check.error().message);

  std::vector<core::PublicKey> keys;
  OD_TRY(std::string armor, exportArmoredPublicKey(ctx.get(), fpr));
  keys.push_back({keyIdOf(fpr), std::move(armor), {}});
  if (auto st = addPreviousKeys(ctx.get(), previous_public_keys, fpr, keys); !st.ok()) return st.error();
  return std::unique_ptr<GpgmeSigner>(new GpgmeSigner(loop, pool, std::move(state), std::move(keys)));
}

GpgmeSigner::GpgmeSigner(loop::EventLoop& loop, exec::WorkerPool& pool, std::shared_ptr<const State> state,
                         std::vector<core::PublicKey> public_keys)
    : loop_(loop), pool_(pool), state_(std::move(state)), public_keys_(std::move(public_keys)) {}

GpgmeSigner::~GpgmeSigner() = default;

const std::string& GpgmeSigner::gnupgHome() const { return state_->home->path(); }

core::Result<std::string> GpgmeSigner::signNow(std::string_view document) const {
  return signWith(*state_, document, nullptr);
}

core::CancelablePtr GpgmeSigner::signDetached(std::string document,
                                              std::function<void(core::Result<std::string>)> done) {
  // The job keeps the home alive while it runs (a signer destroyed mid-job removes the home
  // after the job) and lets go of it before its completion is posted, so once `done` has
  // run, destroying the signer removes the home at once.
  auto submitted = pool_.submit(
      [state = state_, document = std::move(document)]() mutable {
        const auto held = std::move(state);
        return signWith(*held, document, nullptr);
      },
      done);
  if (submitted.ok()) return std::move(submitted).value();
  core::Error error = std::move(submitted).takeError();
  return exec::postCancelable(loop_, [done = std::move(done), error = std::move(error)] { done(error); });
}

}  // namespace od::adapters::sign
