#pragma once
// TLS for the server through OpenSSL 3: RAII handles, a server context (TLS 1.2+ only) built
// from PEM certificate and key files, and a reloader that rebuilds the context when either
// file changes on disk (checked on accept, at most once per interval).
// Thread affinity: a TlsReloader belongs to one HTTP loop thread; each loop has its own
// SSL_CTX, so no context is shared across threads. An SSL keeps its SSL_CTX alive itself.

#include <openssl/ssl.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "core/result.h"

namespace od::http {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

struct TlsFiles {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
};

// A server context from the files; errors name the file and OpenSSL's reason.
core::Result<SslCtxPtr> loadServerContext(const TlsFiles& files);

class TlsReloader {
 public:
  // `log` must outlive this object.
  TlsReloader(TlsFiles files, double check_interval_seconds, spdlog::logger& log);
  // Loads the files the first time.
  core::Status init();
  // The context for a new connection; reloads first when the files changed and the last
  // check is older than the interval. A failed reload keeps the old context (and warns).
  SSL_CTX* current(double now);

 private:
  struct Stamp {
    long long mtime_ns = 0;
    long long size = 0;
    unsigned long long inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp stampOf(const std::string& path) const;

  TlsFiles files_;
  double interval_;
  spdlog::logger& log_;
  SslCtxPtr ctx_;
  Stamp cert_stamp_;
  Stamp key_stamp_;
  double last_check_ = 0;
};

}  // namespace od::http
