#pragma once
// GpgmeSigner: the Signer port on GPGME. Signs provider SHA256SUMS documents with a detached
// BINARY OpenPGP signature (what tofu/terraform read from shasums_signature_url) and
// publishes the public keys for `signing_keys.gpg_public_keys`.
//
// DESIGN
// - The private key is imported into a private temporary GNUPGHOME (0700; removed with its
//   gpg-agent when the signer and its last running job are gone). The user's ~/.gnupg and
//   $GNUPGHOME are never read or written.
// - create() fails at startup with a clear message when the key file is missing, holds no
//   secret key or several, holds a key that cannot sign (expired, revoked), or a key with
//   a passphrase (the reference requires none too): it makes one test signature.
// - The key file holds the ASCII-armored secret key, or the base64 of it (the reference's
//   `server.gpg.secretName` Secret stores it that way).
// - Older public keys (rotation) come from extra files and are published after the current
//   key, so signatures made before a rotation still verify.
// - Signing runs on the worker pool; each job uses its own GPGME context.
//
// Thread affinity: signDetached() and the destructor on the loop thread; publicKeys() and
// signNow() on any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/exec/worker_pool.h"
#include "core/ports/signer.h"

namespace od::adapters::sign {

struct GpgmeSignerOptions {
  std::string key_file;                          // --gpg-key-file: armored (or base64) secret key
  std::string private_key;                       // the same in memory; used when key_file is empty
  std::string private_key_source = "the key";    // names private_key in error messages
  std::vector<std::string> previous_key_files;   // armored public keys still published
};

class GpgmeSigner final : public core::Signer {
 public:
  static core::Result<std::unique_ptr<GpgmeSigner>> create(loop::EventLoop& loop, exec::WorkerPool& pool,
                                                           const GpgmeSignerOptions& options);
  // The same from key material in memory; `source` names it in error messages.
  static core::Result<std::unique_ptr<GpgmeSigner>> fromKeys(
      loop::EventLoop& loop, exec::WorkerPool& pool, std::string_view private_key,
      const std::vector<std::string>& previous_public_keys, std::string_view source = "the key");
  ~GpgmeSigner() override;

  core::CancelablePtr signDetached(std::string document,
                                   std::function<void(core::Result<std::string>)> done) override;
  std::vector<core::PublicKey> publicKeys() const override { return public_keys_; }

  // A detached binary signature of `document`, made on the calling thread (blocking).
  core::Result<std::string> signNow(std::string_view document) const;
  // The temporary GNUPGHOME (diagnostics and tests).
  const std::string& gnupgHome() const;

  struct State;

 private:
  GpgmeSigner(loop::EventLoop& loop, exec::WorkerPool& pool, std::shared_ptr<const State> state,
              std::vector<core::PublicKey> public_keys);

  loop::EventLoop& loop_;
  exec::WorkerPool& pool_;
  std::shared_ptr<const State> state_;  // shared with running jobs
  std::vector<core::PublicKey> public_keys_;
};

// Reads a key file (at most 1 MiB): ASCII armor as is, or base64 text decoded to armor.
core::Result<std::string> readKeyFile(const std::string& path);

}  // namespace od::adapters::sign
