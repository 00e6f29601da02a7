#include "adapters/github/app_auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "core/base64.h"
#include "core/json.h"
#include "core/json_writer.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string where(std::string_view name_space, std::string_view key) {
  return "Secret " + std::string(kAppSecretName) + " in namespace \"" + std::string(name_space) +
         "\", key " + std::string(key);
}

// Go's strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, '_' only after a prefix.
core::Result<int64_t> parseGoInt(std::string_view text, std::string_view what) {
  std::string s(text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();  // kubectl create secret --from-file keeps the file's newline
  }
  std::string digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.erase(0, 1);
  }
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    digits.erase(0, (p == 'x' || p == 'o' || p == 'b') ? 2 : 1);
  }
  if (digits.empty() || digits.find_first_of(" \t+-") != std::string::npos) {
    return makeError(Errc::Invalid, std::string(what) + ": not an integer");
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, base);
  if (errno != 0 || end == nullptr || *end != '\0') {
    return makeError(Errc::Invalid, std::string(what) + ": not an integer");
  }
  v = negative ? -v : v;
  if (v <= 0) {
    return makeError(Errc::Invalid, std::string(what) + ": must be a positive integer");
  }
  return static_cast<int64_t>(v);
}

std::unique_ptr<EVP_PKEY, PkeyDeleter> readRsaKey(const std::string& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key || EVP_PKEY_is_a(key.get(), "RSA") != 1 || EVP_PKEY_get_bits(key.get()) < 2048) {
    return nullptr;
  }
  return key;
}

}  // namespace

core::Result<AppCredentials> parseAppSecret(const SecretData& data, std::string_view name_space) {
  for (std::string_view key : {kAppIdKey, kInstallIdKey, kPrivateKeyKey}) {
    if (data.find(std::string(key)) == data.end()) {
      return makeError(Errc::NotFound, where(name_space, key) + " is missing");
    }
  }
  AppCredentials out;
  OD_TRY(out.app_id, parseGoInt(data.at(std::string(kAppIdKey)), where(name_space, kAppIdKey)));
  OD_TRY(out.installation_id,
         parseGoInt(data.at(std::string(kInstallIdKey)), where(name_space, kInstallIdKey)));
  std::string key = data.at(std::string(kPrivateKeyKey));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
    key.pop_back();
  }
  if (key.rfind("-----BEGIN", 0) != 0) {
    auto decoded = core::base64Decode(key);
    if (!decoded) {
      return makeError(Errc::Invalid, where(name_space, kPrivateKeyKey) +
                                          ": neither a PEM nor the base64 of one");
    }
    key = std::move(*decoded);
  }
  if (!readRsaKey(key)) {
    return makeError(Errc::Invalid, where(name_space, kPrivateKeyKey) +
                                        ": not a PEM RSA private key of at least 2048 bits");
  }
  out.private_key_pem = std::move(key);
  return out;
}

core::Result<std::string> makeAppJwt(const AppCredentials& credentials,
                                     core::Clock::TimePoint now) {
  auto key = readRsaKey(credentials.private_key_pem);
  if (!key) {
    return makeError(Errc::Invalid, "GitHub App private key: not a PEM RSA private key");
  }
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  core::JsonWriter claims;
  claims.beginObject()
      .member("iat", seconds - 60)
      .member("exp", seconds + 540)
      .member("iss", credentials.app_id)
      .endObject();
  std::string input = core::base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." +
                      core::base64UrlEncode(claims.str());
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return makeError(Errc::Internal, "GitHub App JWT: signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return makeError(Errc::Internal, "GitHub App JWT: signing failed");
  }
  signature.resize(length);
  return input + "." + core::base64UrlEncode(signature);
}

core::Result<core::Clock::TimePoint> parseGithubTime(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0' || s.size() != 20) {
    return makeError(Errc::Invalid, "time \"" + s.substr(0, 40) + "\": want YYYY-MM-DDTHH:MM:SSZ");
  }
  return core::Clock::TimePoint(std::chrono::seconds(timegm(&tm)));
}

core::Result<InstallationToken> parseInstallationToken(std::string_view body) {
  core::JsonLimits limits;
  limits.max_bytes = 256 * 1024;
  auto doc = core::JsonDocument::parse(body, limits);
  if (!doc) {
    return makeError(Errc::Corrupt, "installation token reply: " + doc.error().message);
  }
  std::string_view token;
  std::string_view expires;
  if (doc->root()["token"].get(token) != simdjson::SUCCESS || token.empty() ||
      token.size() > 1024 || token.find_first_of(" \r\n\t") != std::string_view::npos) {
    return makeError(Errc::Corrupt, "installation token reply: no usable \"token\" string");
  }
  if (doc->root()["expires_at"].get(expires) != simdjson::SUCCESS) {
    return makeError(Errc::Corrupt, "installation token reply: no \"expires_at\" string");
  }
  auto at = parseGithubTime(expires);
  if (!at) {
    return makeError(Errc::Corrupt, "installation token reply: expires_at: " + at.error().message);
  }
  return InstallationToken{std::string(token), *at};
}

}  // namespace od::adapters::github
