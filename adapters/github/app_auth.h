#pragma once
// GitHub App authentication pieces, as pure functions (no I/O):
//   - the reference's Secret `opendepot-github-application-secret` in the resource's
//     namespace, keys githubAppID and githubInstallID (integers, base prefix auto-detected as
//     Go's ParseInt(s, 0, 64)) and githubPrivateKey (the base64 of a PEM RSA private key; a bare
//     PEM is accepted too, and PKCS#8 "PRIVATE KEY" besides the reference's PKCS#1);
//   - the App JWT: RS256 over {"iat": now-60, "exp": now+540, "iss": <app id>} (GitHub allows
//     at most 10 minutes; iat is back-dated for clock drift, as GitHub's docs advise);
//   - the reply of POST /app/installations/{id}/access_tokens ({"token", "expires_at"}).
// Thread affinity: pure functions, any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/github/github_http.h"
#include "core/ports/clock.h"
#include "core/result.h"

namespace od::adapters::github {

inline constexpr std::string_view kAppSecretName = "opendepot-github-application-secret";
inline constexpr std::string_view kAppIdKey = "githubAppID";
inline constexpr std::string_view kInstallIdKey = "githubInstallID";
inline constexpr std::string_view kPrivateKeyKey = "githubPrivateKey";

struct AppCredentials {
  int64_t app_id = 0;
  int64_t installation_id = 0;
  std::string private_key_pem;
};

// Errc::NotFound naming the Secret and key for a missing key; Errc::Invalid for a value that
// does not parse (the message names the Secret, namespace and key, never the value).
core::Result<AppCredentials> parseAppSecret(const SecretData& data, std::string_view name_space);

// The signed JWT. Errc::Invalid when the PEM is not an RSA private key.
core::Result<std::string> makeAppJwt(const AppCredentials& credentials, core::Clock::TimePoint now);

struct InstallationToken {
  std::string token;
  core::Clock::TimePoint expires_at;
};
// Errc::Corrupt when the body is not GitHub's shape.
core::Result<InstallationToken> parseInstallationToken(std::string_view body);

// "2016-07-11T22:14:10Z" (UTC, as GitHub writes times). Errc::Invalid otherwise.
core::Result<core::Clock::TimePoint> parseGithubTime(std::string_view text);

}  // namespace od::adapters::github
