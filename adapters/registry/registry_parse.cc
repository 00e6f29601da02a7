#include "adapters/registry/registry_parse.h"

#include <cctype>
#include <set>

#include "core/json.h"

namespace od::adapters::registry {

using core::Errc;
using core::makeError;

namespace {

constexpr size_t kMaxMetadataJson = 8u << 20;

std::string printable(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (s.size() > 80 ? "...\"" : "\"");
}

bool charsIn(std::string_view s, std::string_view extra, bool lower_only) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool ok = lower_only ? (std::islower(u) != 0 || std::isdigit(u) != 0) : std::isalnum(u) != 0;
    if (!ok && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

core::Status checkName(std::string_view what, std::string_view s, size_t max, std::string_view extra,
                       bool lower_only) {
  if (s.empty() || s.size() > max || !charsIn(s, extra, lower_only)) {
    return makeError(Errc::Invalid, std::string(what) + " " + printable(s) + ": want 1-" +
                                        std::to_string(max) + " of " +
                                        (lower_only ? "a-z, 0-9" : "letters, digits") + " or \"" +
                                        std::string(extra) + "\"");
  }
  return core::okStatus();
}

core::Error corrupt(std::string_view what, std::string_view problem) {
  return makeError(Errc::Corrupt, "provider registry " + std::string(what) + ": " + std::string(problem));
}

// A required string member of `obj`.
core::Result<std::string_view> stringField(simdjson::dom::element obj, const char* name,
                                           std::string_view what) {
  simdjson::dom::element e;
  if (obj[name].get(e) != simdjson::SUCCESS) {
    return corrupt(what, std::string("field \"") + name + "\" is missing");
  }
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) {
    return corrupt(what, std::string("field \"") + name + "\" is a " +
                             std::string(core::jsonTypeName(e)) + ", want a string");
  }
  return s;
}

template <typename Fn>
auto withObject(std::string_view body, std::string_view what, Fn fn) -> decltype(fn(simdjson::dom::element{})) {
  core::JsonLimits limits;
  limits.max_bytes = kMaxMetadataJson;
  limits.max_depth = 16;
  auto doc = core::JsonDocument::parse(body, limits);
  if (!doc) {
    return corrupt(what, "not JSON (" + printable(body) + "): " + doc.error().message);
  }
  simdjson::dom::object obj;
  if (doc->root().get(obj) != simdjson::SUCCESS) {
    return corrupt(what, "the answer is a " + std::string(core::jsonTypeName(doc->root())) +
                             ", want an object");
  }
  return fn(doc->root());
}

constexpr size_t kMaxVersions = 20000;  // registry.opentofu.org's largest lists hold a few thousand

// protocols (strings) and platforms ({os, arch} in checkPlatform's alphabet) of one versions[]
// entry; both optional, as the protocol has them, but never of another shape.
core::Status checkVersionExtras(simdjson::dom::element entry, const std::string& field) {
  constexpr std::string_view what = "versions list";
  simdjson::dom::element e;
  if (entry["protocols"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    simdjson::dom::array protocols;
    if (e.get(protocols) != simdjson::SUCCESS) {
      return corrupt(what, field + ".protocols is a " + std::string(core::jsonTypeName(e)) + ", want an array");
    }
    for (simdjson::dom::element p : protocols) {
      if (!p.is_string()) {
        return corrupt(what, field + ".protocols holds a " + std::string(core::jsonTypeName(p)) +
                                 ", want strings");
      }
    }
  }
  if (entry["platforms"].get(e) != simdjson::SUCCESS || e.is_null()) {
    return core::okStatus();
  }
  simdjson::dom::array platforms;
  if (e.get(platforms) != simdjson::SUCCESS) {
    return corrupt(what, field + ".platforms is a " + std::string(core::jsonTypeName(e)) + ", want an array");
  }
  size_t index = 0;
  for (simdjson::dom::element platform : platforms) {
    std::string at = field + ".platforms[" + std::to_string(index++) + "]";
    for (const char* name : {"os", "arch"}) {
      auto value = stringField(platform, name, at);
      if (!value) {
        return value.error();
      }
      if (!checkPlatform(*value).ok()) {
        return corrupt(what, at + "." + name + " " + printable(*value) + " is not a platform name");
      }
    }
  }
  return core::okStatus();
}

bool isPlainZipName(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name.front() != '.' && name.front() != '-' &&
         name.size() > 4 && name.substr(name.size() - 4) == ".zip" && charsIn(name, "._+-", false);
}

}  // namespace

core::Status checkNamespace(std::string_view ns) { return checkName("provider namespace", ns, 64, "_-", false); }
core::Status checkType(std::string_view type) { return checkName("provider type", type, 64, "_-", false); }
core::Status checkPlatform(std::string_view p) { return checkName("platform os/arch", p, 32, "_", true); }

core::Status checkVersion(std::string_view v) {
  auto named = checkName("provider version", v, 64, ".+-", false);
  if (!named.ok()) {
    return named;
  }
  if (std::isdigit(static_cast<unsigned char>(v.front())) == 0) {
    return makeError(Errc::Invalid, "provider version " + printable(v) + ": want it to start with a digit");
  }
  return core::okStatus();
}

bool isAcceptableUrl(std::string_view url, bool allow_plain_http) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || url.size() > 4096) {
    return false;
  }
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "https" && !(allow_plain_http && scheme == "http")) {
    return false;
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return false;  // no host, or credentials in the URL
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') {
      return false;
    }
  }
  return true;
}

core::Result<std::vector<std::string>> parseVersions(std::string_view body) {
  constexpr std::string_view what = "versions list";
  return withObject(body, what, [&](simdjson::dom::element root) -> core::Result<std::vector<std::string>> {
    simdjson::dom::array list;
    if (root["versions"].get(list) != simdjson::SUCCESS) {
      return corrupt(what, "field \"versions\" is missing or not an array");
    }
    if (list.size() > kMaxVersions) {
      return corrupt(what, std::to_string(list.size()) + " versions, more than " +
                               std::to_string(kMaxVersions));
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    size_t index = 0;
    for (simdjson::dom::element entry : list) {
      std::string field = "versions[" + std::to_string(index++) + "]";
      auto version = stringField(entry, "version", field);
      if (!version) {
        return version.error();
      }
      if (!checkVersion(*version).ok()) {
        return corrupt(what, field + ".version " + printable(*version) + " is not a version");
      }
      auto extras = checkVersionExtras(entry, field);
      if (!extras.ok()) {
        return extras.error();
      }
      if (seen.insert(std::string(*version)).second) {
        out.emplace_back(*version);
      }
    }
    return out;
  });
}

core::Result<core::ProviderPackage> parseDownload(std::string_view body, std::string_view os,
                                                  std::string_view arch, bool allow_plain_http) {
  constexpr std::string_view what = "download metadata";
  return withObject(body, what, [&](simdjson::dom::element root) -> core::Result<core::ProviderPackage> {
    for (auto [name, want] : {std::pair<const char*, std::string_view>{"os", os}, {"arch", arch}}) {
      std::string_view got;
      if (root[name].get(got) == simdjson::SUCCESS && got != want) {
        return corrupt(what, std::string("field \"") + name + "\" is " + printable(got) +
                                 ", asked for " + printable(want));
      }
    }
    core::ProviderPackage pkg;
    auto filename = stringField(root, "filename", what);
    if (!filename) {
      return filename.error();
    }
    if (!isPlainZipName(*filename)) {
      return corrupt(what, "field \"filename\" " + printable(*filename) +
                               " is not a plain file name ending in .zip");
    }
    pkg.filename = std::string(*filename);
    for (auto [name, target] : {std::pair<const char*, std::string*>{"download_url", &pkg.download_url},
                                {"shasums_url", &pkg.shasums_url},
                                {"shasums_signature_url", &pkg.shasums_signature_url}}) {
      auto url = stringField(root, name, what);
      if (!url) {
        return url.error();
      }
      if (!isAcceptableUrl(*url, allow_plain_http)) {
        return corrupt(what, std::string("field \"") + name + "\" " + printable(*url) +
                                 (allow_plain_http ? " is not an absolute http(s) URL"
                                                   : " is not an absolute https URL"));
      }
      *target = std::string(*url);
    }
    auto shasum = stringField(root, "shasum", what);
    if (!shasum) {
      return shasum.error();
    }
    auto digest = core::Sha256::fromHex(*shasum);
    if (shasum->size() != 64 || !digest) {
      return corrupt(what, "field \"shasum\" " + printable(*shasum) + " is not 64 hex digits");
    }
    pkg.shasum = *digest;
    simdjson::dom::array keys;
    if (root["signing_keys"]["gpg_public_keys"].get(keys) != simdjson::SUCCESS) {
      return corrupt(what, "field \"signing_keys.gpg_public_keys\" is missing or not an array");
    }
    size_t index = 0;
    for (simdjson::dom::element key : keys) {
      std::string field = "signing_keys.gpg_public_keys[" + std::to_string(index++) + "]";
      auto armor = stringField(key, "ascii_armor", field);
      if (!armor) {
        return armor.error();
      }
      if (armor->find("-----BEGIN PGP PUBLIC KEY BLOCK-----") == std::string_view::npos) {
        return corrupt(what, field + ".ascii_armor is not an armored PGP public key");
      }
      pkg.signing_keys_armored.emplace_back(*armor);
    }
    if (pkg.signing_keys_armored.empty()) {
      return corrupt(what, "field \"signing_keys.gpg_public_keys\" is empty (no key to verify with)");
    }
    return pkg;
  });
}

}  // namespace od::adapters::registry
