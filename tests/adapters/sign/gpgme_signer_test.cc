#include "adapters/sign/gpgme_signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "adapters/sign/gpgme_keygen.h"
#include "adapters/sign/gpgme_verifier.h"
#include "core/base64.h"
#include "tests/adapters/sign/gpg_cli.h"

namespace od::adapters::sign {
namespace {

using namespace std::chrono_literals;
using testing::GpgCli;
using testing::KeyOptions;

constexpr std::string_view kSums =
    "5f1c…  terraform-provider-demo_1.0.0_linux_amd64.zip\n"
    "9a2b…  terraform-provider-demo_1.0.0_darwin_arm64.zip\n";

GpgmeSignerOptions keyFileOptions(std::string key_file, std::vector<std::string> previous = {}) {
  GpgmeSignerOptions o;
  o.key_file = std::move(key_file);
  o.previous_key_files = std::move(previous);
  return o;
}

class GpgmeSignerTest : public ::testing::Test {
 protected:
  core::Result<std::unique_ptr<GpgmeSigner>> fromKey(const std::string& armored,
                                                     const std::vector<std::string>& previous = {}) {
    return GpgmeSigner::fromKeys(loop_, pool_, armored, previous);
  }
  core::Result<std::string> signAsync(GpgmeSigner& signer, std::string document) {
    std::optional<core::Result<std::string>> got;
    auto handle = signer.signDetached(std::move(document), [&](core::Result<std::string> r) { got.emplace(std::move(r)); });
    if (!loop_.runUntil([&] { return got.has_value(); }, 30s)) return core::makeError(core::Errc::Timeout, "no answer");
    return std::move(*got);
  }

  loop::EventLoop loop_;
  exec::WorkerPool pool_{loop_, {2, 8}};
  GpgCli gpg_;
};

TEST_F(GpgmeSignerTest, SignsBinaryDetachedSignatureThatGpgVerifies) {
  const std::string fpr = gpg_.generateKey();
  auto signer = fromKey(gpg_.exportSecret(fpr));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  auto sig = signAsync(**signer, std::string(kSums));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  ASSERT_FALSE(sig->empty());
  EXPECT_EQ(sig->find("-----BEGIN"), std::string::npos) << "must be binary, not armored";
  // An OpenPGP signature packet: new-format tag 2 (0xC2) or old-format (0x88/0x89).
  const auto first = static_cast<unsigned char>((*sig)[0]);
  EXPECT_TRUE(first == 0xC2 || first == 0x88 || first == 0x89) << int(first);

  const auto keys = (*signer)->publicKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_id, fpr.substr(fpr.size() - 16));
  EXPECT_EQ(keys[0].ascii_armor.rfind("-----BEGIN PGP PUBLIC KEY BLOCK-----", 0), 0u);
  EXPECT_EQ(keys[0].ascii_armor.find("PRIVATE"), std::string::npos);

  EXPECT_TRUE(GpgCli::verifies(keys[0].ascii_armor, std::string(kSums), *sig));
  EXPECT_FALSE(GpgCli::verifies(keys[0].ascii_armor, std::string(kSums) + "x", *sig));

  auto verified = GpgmeVerifier::verifyNow(kSums, *sig, {keys[0].ascii_armor});
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->key_id, keys[0].key_id);
  EXPECT_EQ(verified->fingerprint, fpr);
}

TEST_F(GpgmeSignerTest, CreateReadsArmoredOrBase64KeyFiles) {
  const std::string fpr = gpg_.generateKey();
  const std::string armored = gpg_.exportSecret(fpr);
  for (const std::string& content : {armored, core::base64Encode(armored) + "\n"}) {
    const std::string path = gpg_.writeFile("signing.key", content);
    auto signer = GpgmeSigner::create(loop_, pool_, keyFileOptions(path));
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    EXPECT_EQ((*signer)->publicKeys().at(0).key_id, fpr.substr(24));
    auto sig = (*signer)->signNow("hello\n");
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    EXPECT_TRUE(GpgCli::verifies((*signer)->publicKeys()[0].ascii_armor, "hello\n", *sig));
  }
}

TEST_F(GpgmeSignerTest, RejectsUnusableKeyFilesAtStartup) {
  auto expectInvalid = [&](const GpgmeSignerOptions& options, const std::string& needle) {
    auto signer = GpgmeSigner::create(loop_, pool_, options);
    ASSERT_FALSE(signer.ok()) << needle;
    EXPECT_EQ(signer.error().code, core::Errc::Invalid);
    EXPECT_NE(signer.error().message.find(needle), std::string::npos) << signer.error().message;
  };
  expectInvalid(keyFileOptions(""), "--gpg-key-file");
  expectInvalid(keyFileOptions(gpg_.home() + "/missing.key"), "cannot read key file");
  expectInvalid(keyFileOptions(gpg_.writeFile("garbage.key", "not a key at all\n")), "neither an ASCII-armored");
  expectInvalid(keyFileOptions(gpg_.writeFile("empty.key", "")), "neither an ASCII-armored");
  expectInvalid(keyFileOptions(gpg_.writeFile(
                    "bad-armor.key",
                    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nAAAA\n-----END PGP PRIVATE KEY BLOCK-----\n")),
                "no OpenPGP key");
  expectInvalid(keyFileOptions(gpg_.writeFile("huge.key", std::string((1 << 20) + 10, 'A'))), "larger than 1 MiB");

  const std::string fpr = gpg_.generateKey();
  expectInvalid(keyFileOptions(gpg_.writeFile("public.key", gpg_.exportPublic(fpr))), "no secret key");

  const std::string other = gpg_.generateKey(KeyOptions::named("Other <other@opendepot.invalid>"));
  expectInvalid(keyFileOptions(gpg_.writeFile("two.key", gpg_.exportSecret(fpr) + gpg_.exportSecret(other))),
                "2 secret keys");
  expectInvalid(keyFileOptions(gpg_.writeFile("ok.key", gpg_.exportSecret(fpr)), {gpg_.home() + "/missing.pub"}),
                "cannot read key file");
  // The key in memory (the Secret's variable) is named by its source in errors.
  GpgmeSignerOptions from_env;
  from_env.private_key = "not a key at all";
  from_env.private_key_source = "OPENDEPOT_PROVIDER_GPG_PRIVATE_KEY_BASE64";
  expectInvalid(from_env, "OPENDEPOT_PROVIDER_GPG_PRIVATE_KEY_BASE64");
}

TEST_F(GpgmeSignerTest, CreateTakesAKeyInMemoryWithPreviousKeyFiles) {
  const std::string old_fpr = gpg_.generateKey(KeyOptions::named("Old <old@opendepot.invalid>"));
  const std::string fpr = gpg_.generateKey();
  GpgmeSignerOptions o;
  o.private_key = core::base64Encode(gpg_.exportSecret(fpr));  // as the Secret holds it
  o.previous_key_files = {gpg_.writeFile("old.pub", gpg_.exportPublic(old_fpr))};
  auto signer = GpgmeSigner::create(loop_, pool_, o);
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  const auto keys = (*signer)->publicKeys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, fpr.substr(24));
  EXPECT_EQ(keys[1].key_id, old_fpr.substr(24));
}

TEST_F(GpgmeSignerTest, SignsWithSigningSubkeyAndPublishesPrimaryKeyId) {
  KeyOptions options = KeyOptions::named("Subkeyed <sub@opendepot.invalid>");
  options.usage = "cert";
  const std::string primary = gpg_.generateKey(options);
  const std::string sub = gpg_.addSigningSubkey(primary);
  auto signer = fromKey(gpg_.exportSecret(primary));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  const auto keys = (*signer)->publicKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_id, primary.substr(24));
  auto sig = signAsync(**signer, std::string(kSums));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_TRUE(GpgCli::verifies(keys[0].ascii_armor, std::string(kSums), *sig));
  auto verified = GpgmeVerifier::verifyNow(kSums, *sig, {keys[0].ascii_armor});
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->signing_key_id, sub.substr(24));
}

TEST_F(GpgmeSignerTest, RejectsPassphraseProtectedKey) {
  const std::string fpr = gpg_.generateKey(KeyOptions::named("Locked <locked@opendepot.invalid>").withPassphrase("s3cret"));
  const std::string armored = gpg_.exportSecret(fpr, "s3cret");
  ASSERT_NE(armored.find("PRIVATE KEY"), std::string::npos);
  auto signer = fromKey(armored);
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.error().code, core::Errc::Invalid);
  EXPECT_NE(signer.error().message.find("passphrase"), std::string::npos) << signer.error().message;
}

TEST_F(GpgmeSignerTest, RejectsExpiredKey) {
  const std::string fpr = gpg_.generateKey(KeyOptions::named("Old <old@opendepot.invalid>").madeAt("20200101T000000!", "1d"));
  auto signer = fromKey(gpg_.exportSecret(fpr));
  ASSERT_FALSE(signer.ok());
  EXPECT_NE(signer.error().message.find("cannot sign"), std::string::npos) << signer.error().message;
}

TEST_F(GpgmeSignerTest, RotationPublishesOldKeysAfterCurrentAndOldSignaturesStillVerify) {
  const std::string old_fpr = gpg_.generateKey(KeyOptions::named("Old <old@opendepot.invalid>"));
  const std::string new_fpr = gpg_.generateKey(KeyOptions::named("New <new@opendepot.invalid>"));
  const std::string old_sig = gpg_.sign(old_fpr, std::string(kSums));

  const std::string key_file = gpg_.writeFile("new.key", gpg_.exportSecret(new_fpr));
  const std::string old_pub = gpg_.writeFile("old.pub", gpg_.exportPublic(old_fpr));
  // The current key listed again among the old ones is published once.
  const std::string new_pub = gpg_.writeFile("new.pub", gpg_.exportPublic(new_fpr));
  auto signer = GpgmeSigner::create(loop_, pool_, keyFileOptions(key_file, {old_pub, new_pub}));
  ASSERT_TRUE(signer.ok()) << signer.error().message;

  const auto keys = (*signer)->publicKeys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, new_fpr.substr(24));
  EXPECT_EQ(keys[1].key_id, old_fpr.substr(24));
  std::vector<std::string> published;
  for (const auto& k : keys) published.push_back(k.ascii_armor);

  auto old_ok = GpgmeVerifier::verifyNow(kSums, old_sig, published);
  ASSERT_TRUE(old_ok.ok()) << old_ok.error().message;
  EXPECT_EQ(old_ok->key_id, old_fpr.substr(24));
  EXPECT_TRUE(GpgCli::verifies(keys[1].ascii_armor, std::string(kSums), old_sig));

  auto new_sig = signAsync(**signer, std::string(kSums));
  ASSERT_TRUE(new_sig.ok());
  auto new_ok = GpgmeVerifier::verifyNow(kSums, *new_sig, published);
  ASSERT_TRUE(new_ok.ok()) << new_ok.error().message;
  EXPECT_EQ(new_ok->key_id, new_fpr.substr(24));
}

TEST_F(GpgmeSignerTest, UsesPrivateHomeAndNeverTouchesUsersGnupg) {
  GpgCli fake_home;  // stands in for $HOME
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home != nullptr ? old_home : "";
  setenv("HOME", fake_home.home().c_str(), 1);
  setenv("GNUPGHOME", (fake_home.home() + "/.gnupg").c_str(), 1);

  const std::string fpr = gpg_.generateKey();
  std::string home;
  {
    auto signer = fromKey(gpg_.exportSecret(fpr));
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    home = (*signer)->gnupgHome();
    struct stat st {};
    ASSERT_EQ(stat(home.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(home.find(fake_home.home()), std::string::npos);
    ASSERT_TRUE(signAsync(**signer, "doc\n").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(home)) << "the temporary GNUPGHOME must be removed";
  EXPECT_FALSE(std::filesystem::exists(fake_home.home() + "/.gnupg"));

  unsetenv("GNUPGHOME");
  if (old_home != nullptr) setenv("HOME", saved_home.c_str(), 1);
}

TEST_F(GpgmeSignerTest, ConcurrentSigningJobsAllSucceed) {
  const std::string fpr = gpg_.generateKey();
  auto signer = fromKey(gpg_.exportSecret(fpr));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  constexpr int kJobs = 6;
  std::vector<std::optional<core::Result<std::string>>> got(kJobs);
  std::vector<core::CancelablePtr> handles;
  for (int i = 0; i < kJobs; ++i) {
    handles.push_back((*signer)->signDetached("document " + std::to_string(i) + "\n",
                                              [&got, i](core::Result<std::string> r) { got[i].emplace(std::move(r)); }));
  }
  ASSERT_TRUE(loop_.runUntil([&] {
    for (const auto& g : got) {
      if (!g.has_value()) return false;
    }
    return true;
  }, 60s));
  const std::string key = (*signer)->publicKeys()[0].ascii_armor;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(got[i]->ok()) << got[i]->error().message;
    auto v = GpgmeVerifier::verifyNow("document " + std::to_string(i) + "\n", **got[i], {key});
    EXPECT_TRUE(v.ok()) << i << ": " << v.error().message;
  }
}

TEST_F(GpgmeSignerTest, CancelledSigningNeverCallsBack) {
  const std::string fpr = gpg_.generateKey();
  auto signer = fromKey(gpg_.exportSecret(fpr));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  bool called = false;
  auto handle = (*signer)->signDetached("doc\n", [&](core::Result<std::string>) { called = true; });
  handle->cancel();
  // A second job, queued after, tells us the pool has moved past the first.
  auto after = signAsync(**signer, "after\n");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace od::adapters::sign

namespace od::adapters::sign {
namespace {

TEST(GenerateSigningKey, MakesAPassphraseFreeKeyTheSignerAcceptsAndGpgVerifies) {
  auto armored = generateSigningKey("OpenDepot dev <dev@opendepot.invalid>");
  ASSERT_TRUE(armored.ok()) << armored.error().message;
  EXPECT_EQ(armored->rfind("-----BEGIN PGP PRIVATE KEY BLOCK-----", 0), 0u);
  loop::EventLoop loop;
  exec::WorkerPool pool{loop, {1, 4}};
  auto signer = GpgmeSigner::fromKeys(loop, pool, *armored, {}, "the generated key");
  ASSERT_TRUE(signer.ok()) << signer.error().message;  // fromKeys refuses passphrases and non-signing keys
  const auto keys = (*signer)->publicKeys();
  ASSERT_EQ(keys.size(), 1u);
  auto sig = (*signer)->signNow(kSums);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_TRUE(testing::GpgCli::verifies(keys[0].ascii_armor, std::string(kSums), *sig));
  // two calls make two different keys
  auto other = generateSigningKey("OpenDepot dev <dev@opendepot.invalid>");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_NE(*other, *armored);
}

TEST(GenerateSigningKey, AnEmptyUserIdIsRefused) {
  auto armored = generateSigningKey("");
  ASSERT_FALSE(armored.ok());
  EXPECT_EQ(armored.error().code, core::Errc::Invalid);
}

}  // namespace
}  // namespace od::adapters::sign
