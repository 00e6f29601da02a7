#include "http/tls.h"

#include <openssl/err.h>
#include <sys/stat.h>

namespace od::http {

namespace {

std::string opensslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

}  // namespace

core::Result<SslCtxPtr> loadServerContext(const TlsFiles& files) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return core::makeError(core::Errc::Internal, "SSL_CTX_new: " + opensslReason());
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  // One read(2) takes a whole request record (and whatever follows) instead of a 5-byte
  // record header and then its body.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    return core::makeError(core::Errc::Invalid, files.cert_file + ": " + opensslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return core::makeError(core::Errc::Invalid, files.key_file + ": " + opensslReason());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return core::makeError(core::Errc::Invalid, "key does not match certificate: " + opensslReason());
  }
  return ctx;
}

TlsReloader::TlsReloader(TlsFiles files, double check_interval_seconds, spdlog::logger& log)
    : files_(std::move(files)), interval_(check_interval_seconds), log_(log) {}

TlsReloader::Stamp TlsReloader::stampOf(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Stamp{};
  }
  return Stamp{static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
               static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

core::Status TlsReloader::init() {
  cert_stamp_ = stampOf(files_.cert_file);
  key_stamp_ = stampOf(files_.key_file);
  OD_TRY(SslCtxPtr ctx, loadServerContext(files_));
  ctx_ = std::move(ctx);
  return core::okStatus();
}

SSL_CTX* TlsReloader::current(double now) {
  if (now - last_check_ < interval_) {
    return ctx_.get();
  }
  last_check_ = now;
  Stamp cert = stampOf(files_.cert_file);
  Stamp key = stampOf(files_.key_file);
  if (cert == cert_stamp_ && key == key_stamp_) {
    return ctx_.get();
  }
  core::Result<SslCtxPtr> fresh = loadServerContext(files_);
  if (!fresh.ok()) {
    // Keep serving with the old pair; a half-written pair is retried at the next check.
    log_.warn("event=http.tls_reload_failed reason=\"{}\"", fresh.error().message);
    return ctx_.get();
  }
  cert_stamp_ = cert;
  key_stamp_ = key;
  ctx_ = std::move(fresh).value();
  log_.info("event=http.tls_reloaded cert={}", files_.cert_file);
  return ctx_.get();
}

}  // namespace od::http
