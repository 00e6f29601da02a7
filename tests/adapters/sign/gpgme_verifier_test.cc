#include "adapters/sign/gpgme_verifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "tests/adapters/sign/gpg_cli.h"

namespace od::adapters::sign {
namespace {

using namespace std::chrono_literals;
using testing::GpgCli;
using testing::KeyOptions;

const std::string kSums = "0123abcd  terraform-provider-demo_2.1.0_linux_amd64.zip\n";

class GpgmeVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fpr_ = gpg_.generateKey();
    public_key_ = gpg_.exportPublic(fpr_);
    key_id_ = fpr_.substr(24);
  }
  void expectRefused(const core::Result<core::VerifiedSignature>& r, const std::string& needle) {
    ASSERT_FALSE(r.ok()) << "expected refusal: " << needle;
    EXPECT_EQ(r.error().code, core::Errc::Invalid);
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  }

  GpgCli gpg_;
  std::string fpr_, public_key_, key_id_;
};

TEST_F(GpgmeVerifierTest, AcceptsBinaryAndArmoredSignatures) {
  for (bool armor : {false, true}) {
    const std::string sig = gpg_.sign(fpr_, kSums, armor);
    EXPECT_EQ(sig.rfind("-----BEGIN PGP SIGNATURE-----", 0) == 0, armor);
    auto r = GpgmeVerifier::verifyNow(kSums, sig, {public_key_});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->key_id, key_id_);
    EXPECT_EQ(r->signing_key_id, key_id_);
    EXPECT_EQ(r->fingerprint, fpr_);
  }
}

TEST_F(GpgmeVerifierTest, SubkeySignatureNamesThePrimaryKey) {
  KeyOptions options = KeyOptions::named("Subkeyed <sub@opendepot.invalid>");
  options.usage = "cert";
  const std::string primary = gpg_.generateKey(options);
  const std::string sub = gpg_.addSigningSubkey(primary);
  const std::string sig = gpg_.sign(primary, kSums);
  auto r = GpgmeVerifier::verifyNow(kSums, sig, {gpg_.exportPublic(primary)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->key_id, primary.substr(24));
  EXPECT_EQ(r->signing_key_id, sub.substr(24));
  EXPECT_EQ(r->fingerprint, sub);
}

TEST_F(GpgmeVerifierTest, LeavesNoTemporaryKeyringBehind) {
  GpgCli tmp;  // an empty directory to serve as TMPDIR
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", tmp.home().c_str(), 1);
  const std::string sig = gpg_.sign(fpr_, kSums);
  EXPECT_TRUE(GpgmeVerifier::verifyNow(kSums, sig, {public_key_}).ok());
  EXPECT_FALSE(GpgmeVerifier::verifyNow(kSums + "x", sig, {public_key_}).ok());
  size_t left = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.home())) {
    left += entry.path().filename().string().rfind("od-gpg-", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(left, 0u);
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

TEST_F(GpgmeVerifierTest, RefusesTamperedDocument) {
  const std::string sig = gpg_.sign(fpr_, kSums);
  std::string tampered = kSums;
  tampered[0] = 'f';
  expectRefused(GpgmeVerifier::verifyNow(tampered, sig, {public_key_}), "bad signature");
  expectRefused(GpgmeVerifier::verifyNow(kSums + "extra  evil.zip\n", sig, {public_key_}), "bad signature");
}

TEST_F(GpgmeVerifierTest, RefusesSignatureByAnotherKey) {
  const std::string other = gpg_.generateKey(KeyOptions::named("Mallory <mallory@opendepot.invalid>"));
  const std::string sig = gpg_.sign(other, kSums);
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {public_key_}), "signed by unknown key " + other.substr(24));
}

TEST_F(GpgmeVerifierTest, RefusesGarbageAndEmptySignatures) {
  expectRefused(GpgmeVerifier::verifyNow(kSums, "this is not a signature", {public_key_}), "no valid signature");
  expectRefused(GpgmeVerifier::verifyNow(kSums, std::string(300, '\x89'), {public_key_}), "no valid signature");
  expectRefused(GpgmeVerifier::verifyNow(kSums, "", {public_key_}), "no valid signature");
  expectRefused(GpgmeVerifier::verifyNow(kSums, std::string(65 * 1024, 'x'), {public_key_}), "larger than 64 KiB");
  // A public key block is not a signature.
  expectRefused(GpgmeVerifier::verifyNow(kSums, public_key_, {public_key_}), "no valid signature");
}

TEST_F(GpgmeVerifierTest, RefusesSignatureByExpiredKey) {
  const std::string old = gpg_.generateKey(KeyOptions::named("Expired <expired@opendepot.invalid>").madeAt("20200101T000000!", "1d"));
  const std::string sig = gpg_.sign(old, kSums, false, "20200101T120000!");
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {gpg_.exportPublic(old)}), "expired key " + old.substr(24));
}

TEST_F(GpgmeVerifierTest, RefusesSignatureByRevokedKey) {
  const std::string sig = gpg_.sign(fpr_, kSums);
  // gpg keeps a revocation certificate per key, guarded by a leading ':' on its armor line.
  std::string revocation = testing::readFile(gpg_.home() + "/openpgp-revocs.d/" + fpr_ + ".rev");
  const auto guard = revocation.find(":-----BEGIN PGP PUBLIC KEY BLOCK-----");
  ASSERT_NE(guard, std::string::npos);
  revocation.erase(guard, 1);
  ASSERT_EQ(gpg_.run({"--import", gpg_.writeFile("revoke.asc", revocation)}), 0);
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {gpg_.exportPublic(fpr_)}), "revoked key " + key_id_);
}

TEST_F(GpgmeVerifierTest, RefusesUnusableKeys) {
  const std::string sig = gpg_.sign(fpr_, kSums);
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {}), "no public keys");
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {"garbage", ""}), "none of the public keys");
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {std::string(5 << 20, 'k')}), "larger than 4 MiB");
  // One readable key among unreadable ones is enough.
  auto r = GpgmeVerifier::verifyNow(kSums, sig, {"garbage", public_key_});
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST_F(GpgmeVerifierTest, KeysDoNotLeakBetweenVerifications) {
  const std::string other = gpg_.generateKey(KeyOptions::named("Other <other@opendepot.invalid>"));
  const std::string sig = gpg_.sign(fpr_, kSums);
  ASSERT_TRUE(GpgmeVerifier::verifyNow(kSums, sig, {public_key_}).ok());
  // The key imported by the call above must not be there any more.
  expectRefused(GpgmeVerifier::verifyNow(kSums, sig, {gpg_.exportPublic(other)}), "signed by unknown key " + key_id_);
}

TEST_F(GpgmeVerifierTest, VerifiesOnThePoolAndAnswersOnTheLoop) {
  loop::EventLoop loop;
  exec::WorkerPool pool(loop, {1, 4});
  GpgmeVerifier verifier(loop, pool);
  const std::string sig = gpg_.sign(fpr_, kSums);
  std::optional<core::Result<core::VerifiedSignature>> good, bad;
  auto h1 = verifier.verifyDetached(kSums, sig, {public_key_}, [&](auto r) { good.emplace(std::move(r)); });
  auto h2 = verifier.verifyDetached(kSums + "x", sig, {public_key_}, [&](auto r) { bad.emplace(std::move(r)); });
  ASSERT_TRUE(loop.runUntil([&] { return good.has_value() && bad.has_value(); }, 30s));
  ASSERT_TRUE(good->ok()) << good->error().message;
  EXPECT_EQ((*good)->key_id, key_id_);
  expectRefused(*bad, "bad signature");
}

TEST_F(GpgmeVerifierTest, FullPoolFailsWithoutCallingBackReentrantly) {
  loop::EventLoop loop;
  exec::WorkerPool pool(loop, {1, 1});
  pool.shutdown();
  GpgmeVerifier verifier(loop, pool);
  std::optional<core::Result<core::VerifiedSignature>> got;
  auto h = verifier.verifyDetached(kSums, "sig", {public_key_}, [&](auto r) { got.emplace(std::move(r)); });
  EXPECT_FALSE(got.has_value());
  ASSERT_TRUE(loop.runUntil([&] { return got.has_value(); }, 5s));
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, core::Errc::Unavailable);
}

}  // namespace
}  // namespace od::adapters::sign
