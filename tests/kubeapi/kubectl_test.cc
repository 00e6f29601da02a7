// The real kubectl (/usr/bin/kubectl, a dispatcher that picks kubectl 1.32 from /version)
// against od_test_apiserver run as a child process, loaded with chart/crds and the test CRD.
#include <gmock/gmock.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/kubeapi/client.h"
#include "tests/kubeapi/process.h"

namespace od::testkube {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct KubectlRun {
  int code = -1;
  std::string out;
};

class KubectlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access("/usr/bin/kubectl", X_OK) != 0) return;
    char tmpl[] = "/tmp/od-kubectl-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::vector<std::string> args = {"--crds", OD_KUBEAPI_TESTDATA,
                                     "--kubeconfig", dir_ + "/kubeconfig",
                                     "--bookmark-interval-ms", "1000"};
    crds_ = fs::exists(fs::path(OD_CHART_CRDS) / "opendepot.defdev.io_modules.yaml");
    if (crds_) {
      args.insert(args.begin(), {"--crds", OD_CHART_CRDS});
    }
    server_ = new ApiServerProcess(OD_TEST_APISERVER_BIN, args);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << "kubectl is not installed";
  }

  static KubectlRun Kubectl(const std::string& args) {
    std::string cmd = "env HOME=" + dir_ + " KUBECONFIG=" + dir_ + "/kubeconfig KUBECACHEDIR=" +
                      dir_ + "/cache /usr/bin/kubectl " + args + " 2>&1";
    KubectlRun r;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  static std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  static void EnsureNamespace(const std::string& ns) {
    Kubectl("apply -f " + WriteFile("ns-" + ns + ".yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n"));
  }
  void RequireCrds() {
    if (!crds_) GTEST_SKIP() << "chart/crds is not there yet";
  }
  static Client Api() { return Client(server_->url()); }

  static std::string Module(const std::string& name, const std::string& ns,
                            const std::string& format) {
    return "apiVersion: opendepot.defdev.io/v1alpha1\nkind: Module\nmetadata:\n  name: " + name +
           "\n  namespace: " + ns +
           "\nspec:\n  moduleConfig:\n    provider: aws\n    repoOwner: terraform-aws-modules\n"
           "    fileFormat: " + format +
           "\n    storageConfig:\n      fileSystem:\n        directoryPath: /data\n"
           "  versions:\n  - version: \"1.0.0\"\n";
  }

  static inline ApiServerProcess* server_ = nullptr;
  static inline std::string dir_;
  static inline bool crds_ = false;
};

TEST_F(KubectlTest, TalksToTheServerAsKubernetes132) {
  KubectlRun v = Kubectl("version");
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_THAT(v.out, HasSubstr("Server Version: v1.32."));
  KubectlRun res = Kubectl("api-resources");
  EXPECT_EQ(res.code, 0) << res.out;
  EXPECT_THAT(res.out, HasSubstr("widgets"));
  KubectlRun ns = Kubectl("apply -f " + WriteFile("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: applied-ns\n"));
  EXPECT_EQ(ns.code, 0) << ns.out;
  EXPECT_THAT(ns.out, HasSubstr("namespace/applied-ns created"));
  EXPECT_EQ(Kubectl("get namespace applied-ns -o jsonpath={.status.phase}").out, "Active");
}

TEST_F(KubectlTest, TypedCreateCommandsSendProtobuf) {
  KubectlRun ns = Kubectl("create namespace pb");
  ASSERT_EQ(ns.code, 0) << ns.out;
  KubectlRun secret = Kubectl("create secret generic s -n pb --from-literal=k=v");
  ASSERT_EQ(secret.code, 0) << secret.out;
  EXPECT_EQ(Kubectl("get secret s -n pb -o jsonpath={.data.k}").out, "dg==");
  KubectlRun cm = Kubectl("create configmap c -n pb --from-literal=a=b");
  ASSERT_EQ(cm.code, 0) << cm.out;
  EXPECT_EQ(Kubectl("get configmap c -n pb -o jsonpath={.data.a}").out, "b");
  KubectlRun again = Kubectl("create namespace pb");
  EXPECT_NE(again.code, 0);
  EXPECT_THAT(again.out, HasSubstr("AlreadyExists"));
  KubectlRun del = Kubectl("delete namespace pb");
  EXPECT_EQ(del.code, 0) << del.out;
  EXPECT_NE(Kubectl("get secret s -n pb").code, 0);
}

TEST_F(KubectlTest, AppliesEveryExampleManifestClientSide) {
  RequireCrds();
  EnsureNamespace("opendepot-system");
  int applied = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(OD_CHART_CRDS) / "../../tests/data/manifests")) {
    if (entry.path().extension() != ".yaml") continue;
    KubectlRun r = Kubectl("apply -f " + entry.path().string());
    EXPECT_EQ(r.code, 0) << entry.path() << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr("created")) << entry.path();
    KubectlRun again = Kubectl("apply -f " + entry.path().string());
    // A manifest carrying .status is re-sent every time (the server drops status on the main
    // resource), so kubectl says "configured", as against a real cluster.
    EXPECT_EQ(again.code, 0) << entry.path() << "\n" << again.out;
    EXPECT_THAT(again.out, ::testing::AnyOf(HasSubstr("unchanged"), HasSubstr("configured")));
    ++applied;
  }
  EXPECT_GT(applied, 0);
}

TEST_F(KubectlTest, RejectsBadManifestsNamingTheField) {
  RequireCrds();
  EnsureNamespace("opendepot-system");
  for (const auto& entry : fs::directory_iterator(fs::path(OD_CHART_CRDS) / "../../tests/data/manifests/bad")) {
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect-error: ";
    if (first.rfind(marker, 0) != 0) continue;
    std::string field = first.substr(marker.size());
    KubectlRun r = Kubectl("apply -f " + entry.path().string());
    if (field.rfind("status.", 0) == 0) {
      // The real server ignores .status on create when the status subresource is on; the
      // status is checked when written through /status.
      EXPECT_EQ(r.code, 0) << entry.path() << "\n" << r.out;
      json doc = YamlToJson(YAML::LoadFile(entry.path().string()));
      std::string ns = doc["metadata"].value("namespace", "default");
      std::string name = doc["metadata"]["name"];
      KubectlRun s = Kubectl("patch " + doc["kind"].get<std::string>() + " " + name + " -n " + ns +
                      " --subresource=status --type=merge -p '" +
                      Dump({{"status", doc["status"]}}) + "'");
      EXPECT_NE(s.code, 0) << entry.path();
      EXPECT_THAT(s.out, HasSubstr(field)) << entry.path();
      continue;
    }
    EXPECT_NE(r.code, 0) << entry.path() << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(field)) << entry.path();
  }
}

TEST_F(KubectlTest, RejectsWrongTypesUnknownEnumsAndUnknownFields) {
  std::string base = "apiVersion: test.example.com/v1\nkind: Widget\nmetadata:\n  name: bad\nspec:\n";
  KubectlRun type = Kubectl("apply -f " + WriteFile("t.yaml", base + "  format: zip\n  size: big\n"));
  EXPECT_NE(type.code, 0);
  EXPECT_THAT(type.out, HasSubstr("spec.size: Invalid value: \"string\": spec.size in body must be of type integer"));
  KubectlRun en = Kubectl("apply -f " + WriteFile("e.yaml", base + "  format: rar\n"));
  EXPECT_NE(en.code, 0);
  EXPECT_THAT(en.out, HasSubstr("spec.format: Unsupported value: \"rar\": supported values: \"zip\", \"tar\""));
  KubectlRun unknown = Kubectl("apply -f " + WriteFile("u.yaml", base + "  format: zip\n  colour: red\n"));
  EXPECT_NE(unknown.code, 0);
  EXPECT_THAT(unknown.out, HasSubstr("unknown field \"spec.colour\""));
  KubectlRun ssa = Kubectl("apply --server-side -f " + WriteFile("s.yaml", base + "  format: rar\n"));
  EXPECT_NE(ssa.code, 0);
  EXPECT_THAT(ssa.out, HasSubstr("spec.format"));
}

TEST_F(KubectlTest, ServerSideApplyReportsConflictsUntilForced) {
  RequireCrds();
  EnsureNamespace("ssa");
  KubectlRun first = Kubectl("apply --server-side -f " + WriteFile("m1.yaml", Module("m", "ssa", "zip")));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_THAT(first.out, HasSubstr("module.opendepot.defdev.io/m serverside-applied"));
  std::string other = WriteFile("m2.yaml", Module("m", "ssa", "tar"));
  KubectlRun conflict = Kubectl("apply --server-side --field-manager=ci -f " + other);
  EXPECT_NE(conflict.code, 0);
  EXPECT_THAT(conflict.out, HasSubstr("conflict"));
  EXPECT_THAT(conflict.out, HasSubstr(".spec.moduleConfig.fileFormat"));
  KubectlRun forced = Kubectl("apply --server-side --field-manager=ci --force-conflicts -f " + other);
  EXPECT_EQ(forced.code, 0) << forced.out;
  EXPECT_EQ(Kubectl("get module m -n ssa -o jsonpath={.spec.moduleConfig.fileFormat}").out, "tar");
  KubectlRun managers = Kubectl("get module m -n ssa --show-managed-fields -o jsonpath={.metadata.managedFields[*].manager}");
  EXPECT_THAT(managers.out, HasSubstr("ci"));
}

TEST_F(KubectlTest, GetsPatchesWaitsAndDeletes) {
  RequireCrds();
  EnsureNamespace("flow");
  KubectlRun a = Kubectl("apply -f " + WriteFile("flow.yaml", Module("m", "flow", "zip")));
  ASSERT_EQ(a.code, 0) << a.out;
  KubectlRun yaml = Kubectl("get module m -n flow -o yaml");
  EXPECT_EQ(yaml.code, 0);
  EXPECT_THAT(yaml.out, HasSubstr("kind: Module"));
  EXPECT_THAT(yaml.out, HasSubstr("fileFormat: zip"));
  EXPECT_EQ(Kubectl("get module m -n flow -o jsonpath={.metadata.generation}").out, "1");
  KubectlRun jp = Kubectl("patch module m -n flow --type json -p "
                   "'[{\"op\":\"replace\",\"path\":\"/spec/moduleConfig/fileFormat\",\"value\":\"tar\"}]'");
  EXPECT_EQ(jp.code, 0) << jp.out;
  EXPECT_THAT(jp.out, HasSubstr("patched"));
  KubectlRun mp = Kubectl("patch module m -n flow --type merge -p '{\"spec\":{\"forceSync\":true}}'");
  EXPECT_EQ(mp.code, 0) << mp.out;
  EXPECT_EQ(Kubectl("get module m -n flow -o jsonpath={.spec.moduleConfig.fileFormat}/{.spec.forceSync}/{.metadata.generation}").out,
            "tar/true/3");
  KubectlRun bad = Kubectl("patch module m -n flow --type merge -p '{\"spec\":{\"moduleConfig\":{\"fileFormat\":\"rar\"}}}'");
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.out, HasSubstr("spec.moduleConfig.fileFormat: Unsupported value: \"rar\""));
  KubectlRun smp = Kubectl("patch module m -n flow -p '{\"spec\":{\"forceSync\":false}}'");
  EXPECT_NE(smp.code, 0);  // strategic merge patch is not for custom resources
  KubectlRun waited;
  std::thread waiter([&] {
    waited = Kubectl("wait module/m -n flow --for=jsonpath='{.status.synced}'=true --timeout=30s");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Reply status = Api().Patch("/apis/opendepot.defdev.io/v1alpha1/namespaces/flow/modules/m/status",
                             "application/merge-patch+json",
                             R"({"status":{"synced":true,"syncStatus":"done"}})");
  EXPECT_EQ(status.status, 200) << status.body;
  waiter.join();
  EXPECT_EQ(waited.code, 0) << waited.out;
  EXPECT_THAT(waited.out, HasSubstr("condition met"));
  EXPECT_EQ(Kubectl("get module m -n flow -o jsonpath={.metadata.generation}").out, "3");
  KubectlRun del = Kubectl("delete module m -n flow");
  EXPECT_EQ(del.code, 0) << del.out;
  EXPECT_THAT(del.out, HasSubstr("deleted"));
  KubectlRun gone = Kubectl("get module m -n flow");
  EXPECT_NE(gone.code, 0);
  EXPECT_THAT(gone.out, HasSubstr("NotFound"));
}

TEST_F(KubectlTest, DeleteWaitsForFinalizers) {
  EnsureNamespace("fin");
  std::string w = "apiVersion: test.example.com/v1\nkind: Widget\nmetadata:\n  name: held\n"
                  "  namespace: fin\n  finalizers: [example.com/hold]\nspec:\n  format: zip\n";
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("held.yaml", w)).code, 0);
  KubectlRun del = Kubectl("delete widget held -n fin --wait=false");
  EXPECT_EQ(del.code, 0) << del.out;
  EXPECT_NE(Kubectl("get widget held -n fin -o jsonpath={.metadata.deletionTimestamp}").out, "");
  KubectlRun waited;
  std::thread waiter([&] { waited = Kubectl("wait widget/held -n fin --for=delete --timeout=30s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  KubectlRun unhold = Kubectl("patch widget held -n fin --type json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'");
  EXPECT_EQ(unhold.code, 0) << unhold.out;
  waiter.join();
  EXPECT_EQ(waited.code, 0) << waited.out;
  EXPECT_NE(Kubectl("get widget held -n fin").code, 0);
}

}  // namespace
}  // namespace od::testkube
