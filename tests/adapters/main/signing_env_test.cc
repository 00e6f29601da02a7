#include "adapters/main/signing_env.h"

#include <gtest/gtest.h>

#include <map>

namespace od::adapters::main {
namespace {

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<core::PublicKey> oneKey() { return {{"0123456789ABCDEF", "-----BEGIN PGP PUBLIC KEY BLOCK-----", {}}}; }

TEST(SigningEnv, UnsetVariablesGiveAnEmptyConfig) {
  auto env = readSigningEnv(envOf({}));
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_TRUE(env->private_key.empty());
  EXPECT_TRUE(env->key_id.empty());
  EXPECT_TRUE(env->source_url.empty());
  std::vector<core::PublicKey> none;
  EXPECT_TRUE(applySigningEnv(*env, none).ok());
}

TEST(SigningEnv, ReadsTheReferenceSecretVariablesTrimmed) {
  auto env = readSigningEnv(envOf({{kGpgPrivateKeyEnv, "  TFMwdExTMHRM\n"},
                                   {kGpgKeyIdEnv, "0x0123456789abcdef\n"},
                                   {kGpgSourceUrlEnv, "https://keys.example.com/k.asc"}}));
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->private_key, "TFMwdExTMHRM");
  EXPECT_EQ(env->key_id, "0123456789ABCDEF");
  auto keys = oneKey();
  ASSERT_TRUE(applySigningEnv(*env, keys).ok());
  EXPECT_EQ(keys.front().source_url, "https://keys.example.com/k.asc");
}

TEST(SigningEnv, AFingerprintEndingInTheKeyIdMatches) {
  auto env = readSigningEnv(envOf({{kGpgKeyIdEnv, "AAAABBBBCCCCDDDDEEEEFFFF0123456789ABCDEF"}}));
  ASSERT_TRUE(env.ok()) << env.error().message;
  auto keys = oneKey();
  EXPECT_TRUE(applySigningEnv(*env, keys).ok());
  auto short_id = readSigningEnv(envOf({{kGpgKeyIdEnv, "89abcdef"}}));
  ASSERT_TRUE(short_id.ok());
  EXPECT_TRUE(applySigningEnv(*short_id, keys).ok());
}

TEST(SigningEnv, AKeyIdNamingAnotherKeyIsRefusedAtStartup) {
  auto env = readSigningEnv(envOf({{kGpgKeyIdEnv, "FEDCBA9876543210"}}));
  ASSERT_TRUE(env.ok());
  auto keys = oneKey();
  auto st = applySigningEnv(*env, keys);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::Errc::Invalid);
  EXPECT_NE(st.error().message.find("FEDCBA9876543210"), std::string::npos);
  EXPECT_NE(st.error().message.find("0123456789ABCDEF"), std::string::npos);
}

TEST(SigningEnv, MalformedValuesAreRefusedNamingTheVariable) {
  for (const char* id : {"not-hex-at-all", "ABC", "0123456789ABCDEF0123456789ABCDEF0123456789"}) {
    auto env = readSigningEnv(envOf({{kGpgKeyIdEnv, id}}));
    ASSERT_FALSE(env.ok()) << id;
    EXPECT_NE(env.error().message.find(kGpgKeyIdEnv), std::string::npos);
  }
  auto url = readSigningEnv(envOf({{kGpgSourceUrlEnv, "keys.example.com/k.asc"}}));
  ASSERT_FALSE(url.ok());
  EXPECT_NE(url.error().message.find(kGpgSourceUrlEnv), std::string::npos);
}

TEST(SigningEnv, KeyIdOrSourceUrlWithoutAKeyIsAConfigurationError) {
  auto env = readSigningEnv(envOf({{kGpgKeyIdEnv, "0123456789ABCDEF"}}));
  ASSERT_TRUE(env.ok());
  std::vector<core::PublicKey> none;
  auto st = applySigningEnv(*env, none);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(kGpgPrivateKeyEnv), std::string::npos);
}

}  // namespace
}  // namespace od::adapters::main
