#pragma once
// Internal helpers shared by GpgmeSigner and GpgmeVerifier: one-time GPGME initialisation,
// RAII for contexts and data buffers, and a private temporary GNUPGHOME.
//
// Every GPGME context made here runs gpg with --homedir pointing at a GnupgHome created
// for this process (0700, removed with its agent on destruction), never the user's
// ~/.gnupg. Contexts are not shared between threads; each job makes its own.
// Thread affinity: any thread; a context and its data belong to one thread at a time.

#include <gpgme.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::adapters::sign {

// A temporary GNUPGHOME: `<TMPDIR>/od-gpg-XXXXXX`, mode 0700. The destructor stops the
// gpg-agent gpg may have started for it and removes the directory.
class GnupgHome {
 public:
  static core::Result<std::shared_ptr<GnupgHome>> create();
  ~GnupgHome();
  GnupgHome(const GnupgHome&) = delete;
  GnupgHome& operator=(const GnupgHome&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit GnupgHome(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

struct ContextDeleter {
  void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
struct DataDeleter {
  void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
struct KeyDeleter {
  void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
using Context = std::unique_ptr<gpgme_context, ContextDeleter>;
using Data = std::unique_ptr<gpgme_data, DataDeleter>;
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;

// GPGME's message for `err` (thread-safe).
std::string errorText(gpgme_error_t err);

// An OpenPGP context on `home`: offline, loopback pinentry whose passphrase callback always
// refuses (the key must have none) and records that it was asked in `*passphrase_asked`
// (may be null; must outlive the context).
core::Result<Context> newContext(const GnupgHome& home, bool* passphrase_asked = nullptr);

// A read-only data buffer over `bytes` (not copied: `bytes` must outlive it).
core::Result<Data> dataOver(std::string_view bytes);
// An empty, growable output buffer.
core::Result<Data> newOutput();
// The bytes written to an output buffer.
std::string contentsOf(gpgme_data_t data);

struct ImportedKeys {
  std::vector<std::string> fingerprints;  // primary fingerprints, in import order, unique
};
// Imports armored (or binary) keys. Errc::Invalid when nothing in `keys` is a key.
core::Result<ImportedKeys> importKeys(gpgme_ctx_t ctx, std::string_view keys);

// The armored public key of `fingerprint`.
core::Result<std::string> exportArmoredPublicKey(gpgme_ctx_t ctx, const std::string& fingerprint);

std::string upperCase(std::string_view text);
// The key id registries publish: the last 16 hex digits of a fingerprint or key id, upper-case.
std::string keyIdOf(std::string_view fingerprint);

}  // namespace od::adapters::sign
