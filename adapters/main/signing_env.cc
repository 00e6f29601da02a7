#include "adapters/main/signing_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace od::adapters::main {
namespace {

std::string trimmed(std::string_view s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string value(const EnvLookup& env, const char* name) {
  auto v = env(name);
  return v ? trimmed(*v) : std::string();
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

EnvLookup processEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

core::Result<SigningEnv> readSigningEnv(const EnvLookup& env) {
  SigningEnv out;
  out.private_key = value(env, kGpgPrivateKeyEnv);
  std::string id = value(env, kGpgKeyIdEnv);
  if (id.starts_with("0x") || id.starts_with("0X")) id.erase(0, 2);
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::toupper(c); });
  const bool hex = std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!id.empty() && (!hex || id.size() < 8 || id.size() > 40)) {
    return core::makeError(core::Errc::Invalid, std::string(kGpgKeyIdEnv) +
                                                    " must be a key id or fingerprint (8 to 40 hex digits), got '" +
                                                    value(env, kGpgKeyIdEnv) + "'");
  }
  out.key_id = std::move(id);
  out.source_url = value(env, kGpgSourceUrlEnv);
  if (!out.source_url.empty() && !out.source_url.starts_with("https://") &&
      !out.source_url.starts_with("http://")) {
    return core::makeError(core::Errc::Invalid, std::string(kGpgSourceUrlEnv) +
                                                    " must be an absolute http(s) URL, got '" +
                                                    out.source_url + "'");
  }
  return out;
}

core::Status applySigningEnv(const SigningEnv& env, std::vector<core::PublicKey>& keys) {
  if (keys.empty()) {
    if (!env.key_id.empty() || !env.source_url.empty()) {
      return core::makeError(core::Errc::Invalid,
                             std::string(kGpgKeyIdEnv) + " or " + kGpgSourceUrlEnv +
                                 " is set but no signing key is configured (set --gpg-key-file or " +
                                 kGpgPrivateKeyEnv + ")");
    }
    return core::okStatus();
  }
  core::PublicKey& current = keys.front();
  if (!env.key_id.empty() && !endsWith(env.key_id, current.key_id) && !endsWith(current.key_id, env.key_id)) {
    return core::makeError(core::Errc::Invalid, std::string(kGpgKeyIdEnv) + " is " + env.key_id +
                                                    " but the signing key is " + current.key_id +
                                                    ": the Secret's key id and private key disagree");
  }
  current.source_url = env.source_url;
  return core::okStatus();
}

}  // namespace od::adapters::main
