#pragma once
// The provider registry protocol's answers (OpenTofu / Terraform provider registry v1), parsed
// with bounded simdjson and validated field by field. Pure functions: no I/O, so every bad
// field can be tested without a server.
//   versions: {"versions":[{"version":"1.2.3","protocols":["5.0"],"platforms":[{"os","arch"}]}]}
//   download: {"protocols","os","arch","filename","download_url","shasums_url",
//              "shasums_signature_url","shasum","signing_keys":{"gpg_public_keys":[
//              {"key_id","ascii_armor"}]}}
// Errors: Corrupt naming the field (the upstream answered something that is not the protocol),
// Invalid for our own inputs (names that may not go into a URL).
// Thread affinity: none (pure).

#include <string>
#include <string_view>
#include <vector>

#include "core/ports/sources.h"
#include "core/result.h"

namespace od::adapters::registry {

// Names that go into request paths. Errc::Invalid otherwise.
core::Status checkNamespace(std::string_view ns);  // [A-Za-z0-9_-]{1,64}
core::Status checkType(std::string_view type);     // [A-Za-z0-9_-]{1,64}
core::Status checkVersion(std::string_view v);     // [A-Za-z0-9.+-]{1,64}, starts with a digit
core::Status checkPlatform(std::string_view os_or_arch);  // [a-z0-9_]{1,32}

// An absolute http(s) URL without spaces or control characters; http only when allowed.
bool isAcceptableUrl(std::string_view url, bool allow_plain_http);

// The version strings of a versions answer, in the upstream's order (duplicates dropped).
core::Result<std::vector<std::string>> parseVersions(std::string_view body);

// The package of a download answer; `os`/`arch` must match what was asked when present.
core::Result<core::ProviderPackage> parseDownload(std::string_view body, std::string_view os,
                                                  std::string_view arch, bool allow_plain_http);

}  // namespace od::adapters::registry
