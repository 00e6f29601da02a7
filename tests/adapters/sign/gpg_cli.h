#pragma once
// GpgCli: the real gpg command line on a private temporary GNUPGHOME, for tests: generates
// keys, exports them, signs and verifies, independently of the GPGME code under test.

#include <string>
#include <utility>
#include <vector>

namespace od::adapters::sign::testing {

struct KeyOptions {
  std::string uid = "OpenDepot Test <test@opendepot.invalid>";
  std::string passphrase;   // empty: no passphrase
  std::string expire = "0"; // gpg's expiry argument ("0" never, "1d" …)
  std::string usage = "sign";  // the primary key's usage: "sign" or "cert" (certify only)
  std::string faked_time;   // gpg --faked-system-time value, e.g. "20200101T000000!"

  static KeyOptions named(std::string uid) {
    KeyOptions o;
    o.uid = std::move(uid);
    return o;
  }
  KeyOptions withPassphrase(std::string p) && {
    passphrase = std::move(p);
    return std::move(*this);
  }
  // Made at `at` (a faked time) and valid for `validity` from then.
  KeyOptions madeAt(std::string at, std::string validity) && {
    faked_time = std::move(at);
    expire = std::move(validity);
    return std::move(*this);
  }
};

class GpgCli {
 public:
  GpgCli();
  ~GpgCli();
  GpgCli(const GpgCli&) = delete;
  GpgCli& operator=(const GpgCli&) = delete;

  const std::string& home() const { return home_; }
  // Runs gpg with --homedir and --batch; returns the exit status; stdout in *out if given.
  int run(const std::vector<std::string>& args, std::string* out = nullptr) const;
  // Generates an ed25519 signing key; returns its fingerprint (upper-case hex).
  std::string generateKey(const KeyOptions& options = {});
  // Adds an ed25519 signing subkey to `fpr`; returns the subkey's fingerprint.
  std::string addSigningSubkey(const std::string& fpr);
  std::string exportSecret(const std::string& fpr, const std::string& passphrase = "") const;
  std::string exportPublic(const std::string& fpr) const;
  std::string sign(const std::string& fpr, const std::string& document, bool armor = false,
                   const std::string& faked_time = "") const;
  // `gpgv` against a keyring holding only `public_key` (dearmored in a fresh home).
  static bool verifies(const std::string& public_key, const std::string& document,
                       const std::string& signature);

  std::string writeFile(const std::string& name, const std::string& content) const;

 private:
  std::string home_;
};

std::string readFile(const std::string& path);

}  // namespace od::adapters::sign::testing
