#include "adapters/crypto/openssl_hasher.h"

#include <openssl/evp.h>

#include <memory>

#include "core/result.h"

namespace od::adapters::crypto {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

class Sha256Stream final : public core::HashStream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
    // Allocation or init failure here means OpenSSL itself is broken: not recoverable.
    OD_CHECK(ctx_ != nullptr);
    OD_CHECK(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1);
  }
  void update(std::string_view bytes) override {
    OD_CHECK(EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1);
  }
  core::Sha256 finish() override {
    std::array<uint8_t, core::Sha256::kSize> out{};
    unsigned int len = 0;
    OD_CHECK(EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) == 1 && len == out.size());
    return core::Sha256(out);
  }

 private:
  MdCtxPtr ctx_;
};

}  // namespace

std::unique_ptr<core::HashStream> OpenSslHasher::sha256() const {
  return std::make_unique<Sha256Stream>();
}

}  // namespace od::adapters::crypto
