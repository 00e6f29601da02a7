#pragma once
// What `opendepot dev` needs beyond the roles: a private Valkey-compatible server (Debian's
// redis-server, started as a child that dies with us, keeping its append-only file in the
// dev state folder so the streams survive a restart), and a self-signed TLS certificate for
// localhost (generated once with OpenSSL and reused, so the user trusts it once), and a
// provider signing key (generated once with GPGME and reused, so clients keep trusting it).
// Thread affinity: main thread, before the loops start.

#include <sys/types.h>

#include <chrono>
#include <string>

#include "core/result.h"

namespace od::adapters::main {

class PrivateValkey {
 public:
  PrivateValkey() = default;
  ~PrivateValkey();  // stops the server
  PrivateValkey(const PrivateValkey&) = delete;
  PrivateValkey& operator=(const PrivateValkey&) = delete;

  // Starts `executable` on 127.0.0.1 and a free port with its data under `dir` (created),
  // and waits until it answers PING. Errors: Unavailable (not installed, did not start; the
  // message points at dir/redis.log).
  core::Status start(const std::string& executable, const std::string& dir,
                     std::chrono::milliseconds timeout);
  void stop();
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct CertFiles {
  std::string cert;  // PEM certificate (also the trust anchor a client needs)
  std::string key;   // PEM private key, mode 0600
};

// Reuses dir/tls.crt + dir/tls.key when both exist and the certificate is valid for at least
// a day more; otherwise writes a new P-256 certificate for localhost and 127.0.0.1 (365 days).
core::Result<CertFiles> ensureSelfSignedCert(const std::string& dir);

// The provider signing key of a dev registry: reuses `path` when it exists, otherwise writes a
// new passphrase-free Ed25519 key there (mode 0600, sign/gpgme_keygen.h). Returns `path`.
// Errors: Internal when the key cannot be made or written.
core::Result<std::string> ensureDevSigningKey(const std::string& path);

// A free TCP port on 127.0.0.1 (0 when none could be found).
int freeLoopbackPort();

}  // namespace od::adapters::main
