#pragma once
// Shared helpers of github_tests: RSA keys, a clock with a settable offset, temp dirs.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include "adapters/loop/libev_clock.h"

namespace od::testing {

struct RsaKeyPair {
  std::string private_pkcs1;  // "-----BEGIN RSA PRIVATE KEY-----" (the reference's form)
  std::string private_pkcs8;  // "-----BEGIN PRIVATE KEY-----"
  std::string public_pem;     // "-----BEGIN PUBLIC KEY-----"
};

inline std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

inline RsaKeyPair makeRsaKey(unsigned bits = 2048) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  RsaKeyPair out;
  BIO* b1 = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(b1, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_pkcs1 = bioText(b1);
  BIO* b2 = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b2, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_pkcs8 = bioText(b2);
  BIO* b3 = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b3, key);
  out.public_pem = bioText(b3);
  EVP_PKEY_free(key);
  return out;
}

// Wall time plus an offset the test moves; timers on the real loop.
class OffsetClock final : public core::Clock {
 public:
  explicit OffsetClock(adapters::loop::EventLoop& loop) : inner_(loop) {}
  TimePoint now() const override { return inner_.now() + std::chrono::seconds(offset_.load()); }
  core::CancelablePtr after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    return inner_.after(delay, std::move(fn));
  }
  void shift(int64_t seconds) { offset_ += seconds; }
  int64_t unixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }

 private:
  adapters::loop::LibevClock inner_;
  std::atomic<int64_t> offset_{0};
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "od-github-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace od::testing
