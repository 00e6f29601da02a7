// Kubeconfig and in-cluster configuration: tokens, client certificates, CA, insecure,
// clear errors, and the token file re-read when it rotates.
#include <gmock/gmock.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "adapters/kube/kube_config.h"
#include "core/base64.h"
#include "tests/adapters/kube/kube_fixture.h"

namespace od::adapters::kube::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/od-kubecfg-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string kubeconfig(const std::string& cluster, const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: c1\n"
         "contexts:\n- name: c1\n  context: {cluster: k1, user: u1, namespace: team}\n"
         "- name: other\n  context: {cluster: missing, user: u1}\n"
         "clusters:\n- name: k1\n  cluster:\n" + cluster +
         "users:\n- name: u1\n  user:\n" + user;
}

TEST(KubeConfig, ReadsServerTokenAndInlineCertificates) {
  std::string yaml = kubeconfig(
      "    server: https://10.0.0.1:6443/\n    certificate-authority-data: " +
          core::base64Encode("CA PEM") + "\n",
      "    token: abc\n    client-certificate-data: " + core::base64Encode("CERT") +
          "\n    client-key-data: " + core::base64Encode("KEY") + "\n");
  auto c = parseKubeconfig(yaml, "/tmp");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->token, "abc");
  EXPECT_EQ(c->ca_data, "CA PEM");
  EXPECT_EQ(c->client_cert_data, "CERT");
  EXPECT_EQ(c->client_key_data, "KEY");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->name_space, "team");
}

TEST(KubeConfig, ResolvesFilesRelativeToTheKubeconfigAndHonoursInsecure) {
  TempDir dir;
  dir.write("ca.crt", "CA");
  dir.write("client.crt", "C");
  dir.write("client.key", "K");
  std::string path = dir.write(
      "config", kubeconfig("    server: https://k:1\n    certificate-authority: ca.crt\n"
                           "    insecure-skip-tls-verify: true\n",
                           "    client-certificate: client.crt\n    client-key: client.key\n"));
  auto c = loadKubeconfig(path);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->ca_file, dir.path() + "/ca.crt");
  EXPECT_EQ(c->client_cert_file, dir.path() + "/client.crt");
  EXPECT_EQ(c->client_key_file, dir.path() + "/client.key");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
}

TEST(KubeConfig, ReportsEveryProblemOfAContext) {
  std::string yaml = kubeconfig("    certificate-authority: /nope/ca.crt\n",
                                "    client-certificate-data: " + core::base64Encode("C") + "\n");
  auto c = parseKubeconfig(yaml, "/tmp");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, core::Errc::Invalid);
  EXPECT_THAT(c.error().message, HasSubstr("server is missing"));
  EXPECT_THAT(c.error().message, HasSubstr("cannot read /nope/ca.crt"));
  EXPECT_THAT(c.error().message, HasSubstr("client certificate and key go together"));
}

TEST(KubeConfig, NamesAMissingContextOrCluster) {
  std::string yaml = kubeconfig("    server: https://k:1\n", "    token: t\n");
  auto missing = parseKubeconfig(yaml, "/tmp", "nope");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("context \"nope\" not found"));
  auto other = parseKubeconfig(yaml, "/tmp", "other");
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().message, HasSubstr("cluster \"missing\" not found"));
  auto bad = parseKubeconfig("[1, 2", "/tmp");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("kubeconfig"));
}

TEST(KubeConfig, InClusterNeedsTheServiceEnvironment) {
  TempDir dir;
  auto none = loadInCluster(InClusterEnv{{}, dir.path()});
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("KUBERNETES_SERVICE_HOST"));
  dir.write("token", "tok\n");
  dir.write("ca.crt", "CA");
  auto c = loadInCluster(InClusterEnv{
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, dir.path()});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, dir.path() + "/token");
  EXPECT_EQ(c->ca_file, dir.path() + "/ca.crt");
}

TEST(TokenSource, RereadsTheTokenFileWhenItRotates) {
  TempDir dir;
  KubeConfig c;
  c.token_file = dir.write("token", "first\n");
  TokenSource tokens(c, 0);
  EXPECT_EQ(*tokens.token(), "first");
  EXPECT_EQ(*tokens.token(), "first");
  EXPECT_EQ(tokens.reloads(), 1u);
  dir.write("token.new", "second-longer\n");
  fs::rename(dir.path() + "/token.new", dir.path() + "/token");  // as kubelet swaps it
  EXPECT_EQ(*tokens.token(), "second-longer");
  EXPECT_EQ(tokens.reloads(), 2u);
  fs::remove(dir.path() + "/token");
  EXPECT_EQ(tokens.token().error().code, core::Errc::Permission);
}

TEST_F(KubeTest, UsesTheRotatedServiceAccountToken) {
  testkube::ApiServerOptions o;
  o.token = "token-2";
  startServer(o);
  TempDir dir;
  KubeConfig config;
  config.server = server_->url();
  config.token_file = dir.write("token", "token-1");
  ClientOptions options = fastOptions();
  client_ = std::make_unique<KubeClient>(loop_, config, options, *testLogger());
  auto denied = await<core::ListPage>([&](auto cb) { return client_->list("Module", "", {}, cb); });
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, core::Errc::Permission);
  ::sleep(1);  // TokenSource re-checks the file at most once a second
  dir.write("token.new", "token-2");
  fs::rename(dir.path() + "/token.new", dir.path() + "/token");
  auto ok = await<core::ListPage>([&](auto cb) { return client_->list("Module", "", {}, cb); });
  ASSERT_TRUE(ok) << ok.error().message;
}

}  // namespace
}  // namespace od::adapters::kube::testing
