#pragma once
// ModuleSource and ProviderSource: the upstreams artifacts are mirrored from (GitHub for
// modules; the OpenTofu registry / HashiCorp releases for providers). Everything they return
// is untrusted: callers validate archives, checksums and signatures before storing anything.
// Downloads land in a local file named by the caller so that memory stays bounded.
// Thread affinity: loop thread only; callbacks on the loop thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/checksum.h"
#include "core/result.h"

namespace od::core {

struct GithubAuth {
  bool use_app = false;  // GitHub App installation token, from the resource namespace's Secret
  std::string name_space;
};

struct ModuleFetch {
  std::string repo_url;      // moduleConfig.repoUrl; only a file:// URL changes the source
  std::string owner;
  std::string repo;
  std::string version;       // as written in spec; the source tries "v<version>" then the bare one
  std::string format;        // "zip" or "tar" (GitHub zipball / tarball)
  GithubAuth auth;
  std::string dest_path;     // where the archive is written
};

struct FetchedFile {
  std::string path;
  uint64_t size = 0;
  Sha256 sha256;
  std::string ref;           // the ref that answered (e.g. "v1.2.0")
};

struct Release {
  std::string tag;
  bool draft = false;
  bool prerelease = false;
};

class ModuleSource {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~ModuleSource() = default;
  virtual CancelablePtr fetch(ModuleFetch request, Callback<FetchedFile> done) = 0;
  // Every page of releases.
  virtual CancelablePtr listReleases(std::string owner, std::string repo, GithubAuth auth,
                                     Callback<std::vector<Release>> done) = 0;
};

struct ProviderAddress {
  std::string name_space;    // registry namespace, e.g. "hashicorp"
  std::string type;          // e.g. "aws"
};

struct ProviderPackage {
  std::string filename;               // upstream zip name
  std::string download_url;
  std::string shasums_url;
  std::string shasums_signature_url;
  Sha256 shasum;
  std::vector<std::string> signing_keys_armored;  // upstream gpg_public_keys[].ascii_armor
};

class ProviderSource {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~ProviderSource() = default;
  virtual CancelablePtr listVersions(ProviderAddress address,
                                     Callback<std::vector<std::string>> done) = 0;
  virtual CancelablePtr resolve(ProviderAddress address, std::string version, std::string os,
                                std::string arch, Callback<ProviderPackage> done) = 0;
  // Downloads `url` to `dest_path` while hashing it.
  virtual CancelablePtr download(std::string url, std::string dest_path,
                                 Callback<FetchedFile> done) = 0;
  // Small documents (SHA256SUMS, its .sig), bounded in size.
  virtual CancelablePtr fetchSmall(std::string url, size_t max_bytes,
                                   Callback<std::string> done) = 0;
};

}  // namespace od::core
