#include "adapters/devstore/manifest_folder.h"

#include <gtest/gtest.h>

#include "tests/adapters/devstore/devstore_fixture.h"

namespace od::adapters::devstore::testing {
namespace {

using core::ResourceRef;

constexpr const char* kModuleA = R"(apiVersion: opendepot.defdev.io/v1alpha1
kind: Module
metadata:
  name: key-pair
  labels:
    team: a
spec:
  moduleConfig:
    provider: aws
    repoOwner: terraform-aws-modules
    fileFormat: zip
    storageConfig:
      fileSystem:
        directoryPath: /data/modules
  versions:
    - version: "2.0.0"
)";

constexpr const char* kProvider = R"(apiVersion: opendepot.defdev.io/v1alpha1
kind: Provider
metadata:
  name: aws
  namespace: opendepot-system
spec:
  providerConfig:
    name: aws
    operatingSystems: [linux]
    architectures: [amd64]
    storageConfig:
      fileSystem:
        directoryPath: /data/providers
  versions:
    - version: "5.80.0"
)";

constexpr const char* kBindingJson = R"({"apiVersion":"opendepot.defdev.io/v1alpha1",
  "kind":"GroupBinding","metadata":{"name":"platform"},
  "spec":{"expression":"\"platform\" in groups","moduleResources":["*"]}})";

std::string moduleYaml(const std::string& name, const std::string& versions,
                       const std::string& labels = "") {
  return "apiVersion: opendepot.defdev.io/v1alpha1\nkind: Module\nmetadata:\n  name: " + name +
         "\n" + labels +
         "spec:\n  moduleConfig:\n    provider: aws\n    repoOwner: o\n    fileFormat: zip\n"
         "    storageConfig:\n      fileSystem:\n        directoryPath: /data/modules\n"
         "  versions:\n" +
         versions;
}

class ManifestFolderTest : public DevstoreTest {
 protected:
  void SetUp() override {
    store_ = makeStore();
    manifests_ = dir_.path() + "/manifests";
    std::filesystem::create_directories(manifests_);
    folder_ = std::make_unique<ManifestFolder>(
        *store_, clock_, ManifestFolderOptions{manifests_, std::chrono::milliseconds(10)});
  }
  std::string path(const std::string& name) { return manifests_ + "/" + name; }
  std::optional<json> object(const std::string& kind, const std::string& name,
                             const std::string& ns = "default") {
    auto r = store_->getNow(ResourceRef{kind, ns, name});
    if (!r) {
      return std::nullopt;
    }
    return json::parse(*r);
  }
  std::string problemsText() {
    std::string s;
    for (const auto& p : folder_->problems()) {
      s += p.describe() + "\n";
    }
    return s;
  }

  std::unique_ptr<LocalResourceStore> store_;
  std::string manifests_;
  std::unique_ptr<ManifestFolder> folder_;
};

TEST_F(ManifestFolderTest, LoadsMultiDocumentYamlAndJsonAsUserObjects) {
  writeFile(path("modules.yaml"), std::string(kModuleA) + "---\n" + kProvider + "---\n");
  writeFile(path("sub/binding.json"), kBindingJson);
  writeFile(path("README.md"), "not a manifest");
  writeFile(path(".hidden.yaml"), "this: [is broken");
  ScanResult r = folder_->scanNow();
  EXPECT_TRUE(folder_->problems().empty()) << problemsText();
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.created, 3u);
  auto module = object("Module", "key-pair");
  ASSERT_TRUE(module);
  EXPECT_EQ((*module)["spec"]["versions"][0]["version"], "2.0.0");
  EXPECT_EQ((*module)["metadata"]["labels"]["team"], "a");
  EXPECT_TRUE(object("Provider", "aws", "opendepot-system"));
  EXPECT_TRUE(object("GroupBinding", "platform"));
  EXPECT_EQ(store_->originOf(ResourceRef{"Module", "default", "key-pair"}), kOriginManifests);
  // A second scan of unchanged files does nothing.
  r = folder_->scanNow();
  EXPECT_EQ(r.created + r.updated + r.deleted, 0u);
  EXPECT_EQ(store_->resourceVersion(), 3u);
}

TEST_F(ManifestFolderTest, ReportsEachInvalidDocumentWithFileAndNumber) {
  writeFile(path("mixed.yaml"), std::string(kModuleA) + "---\n" +
                                    moduleYaml("empty", "    []\n") + "---\n" +
                                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" +
                                    "---\n" + moduleYaml("numeric", "    - version: 1.5\n"));
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.created, 1u);
  ASSERT_EQ(folder_->problems().size(), 3u) << problemsText();
  const auto& p = folder_->problems();
  EXPECT_EQ(p[0].file, "mixed.yaml");
  EXPECT_EQ(p[0].document, 2u);
  EXPECT_NE(p[0].message.find("spec.versions"), std::string::npos) << p[0].message;
  EXPECT_EQ(p[1].document, 3u);
  EXPECT_NE(p[1].message.find("ConfigMap"), std::string::npos) << p[1].message;
  EXPECT_EQ(p[2].document, 4u);
  EXPECT_NE(p[2].message.find("spec.versions[0].version"), std::string::npos) << p[2].message;
  EXPECT_NE(p[0].describe().find("mixed.yaml: document 2: "), std::string::npos);
  EXPECT_TRUE(object("Module", "key-pair"));
}

TEST_F(ManifestFolderTest, AnEditIsPickedUpAndKeepsStatus) {
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  folder_->start();
  ASSERT_TRUE(object("Module", "vpc"));
  ASSERT_TRUE(store_->patchNow(ResourceRef{"Module", "default", "vpc"}, core::PatchType::Merge,
                               R"({"status":{"synced":true}})", true)
                  .ok());
  writeFile(path("m.yaml"),
            moduleYaml("vpc", "    - version: \"1.0.0\"\n    - version: \"1.1.0\"\n"));
  ASSERT_TRUE(loop_.runUntil(
      [&] { return (*object("Module", "vpc"))["metadata"]["generation"] == 2; }, 5s));
  json o = *object("Module", "vpc");
  EXPECT_EQ(o["spec"]["versions"].size(), 2u);
  EXPECT_EQ(o["status"]["synced"], true);

  // A label change leaves the generation alone.
  writeFile(path("m.yaml"),
            moduleYaml("vpc", "    - version: \"1.0.0\"\n    - version: \"1.1.0\"\n",
                       "  labels:\n    team: platform\n"));
  ASSERT_TRUE(loop_.runUntil(
      [&] { return (*object("Module", "vpc"))["metadata"].contains("labels"); }, 5s));
  EXPECT_EQ((*object("Module", "vpc"))["metadata"]["generation"], 2);
  folder_->stop();
}

TEST_F(ManifestFolderTest, ASameSizeEditRightAfterTheLastScanIsNotMissed) {
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  folder_->scanNow();
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"2.0.0\"\n"));
  EXPECT_EQ(folder_->scanNow().updated, 1u);
  EXPECT_EQ((*object("Module", "vpc"))["spec"]["versions"][0]["version"], "2.0.0");
}

TEST_F(ManifestFolderTest, AManifestIsReappliedOnlyWhenItChanges) {
  std::string versions = "    - version: \"1.0.0\"\n";
  writeFile(path("m.yaml"), moduleYaml("vpc", versions) + "  forceSync: true\n");
  folder_->scanNow();
  ASSERT_EQ((*object("Module", "vpc"))["spec"]["forceSync"], true);
  // The status projection resets forceSync once the sync is requested.
  ASSERT_TRUE(store_->patchNow(ResourceRef{"Module", "default", "vpc"}, core::PatchType::Merge,
                               R"({"spec":{"forceSync":false}})", false)
                  .ok());
  EXPECT_EQ(folder_->scanNow().updated, 0u);
  EXPECT_EQ((*object("Module", "vpc"))["spec"]["forceSync"], false);
  // An edit of the manifest applies it again.
  writeFile(path("m.yaml"), moduleYaml("vpc", versions, "  labels:\n    a: b\n") +
                                "  forceSync: true\n");
  EXPECT_EQ(folder_->scanNow().updated, 1u);
  EXPECT_EQ((*object("Module", "vpc"))["spec"]["forceSync"], true);
}

TEST_F(ManifestFolderTest, ABrokenEditKeepsTheLastGoodObjects) {
  writeFile(path("m.yaml"), moduleYaml("a", "    - version: \"1.0.0\"\n") + "---\n" +
                                moduleYaml("b", "    - version: \"1.0.0\"\n"));
  folder_->scanNow();
  ASSERT_TRUE(object("Module", "a") && object("Module", "b"));
  std::string uid_b = (*object("Module", "b"))["metadata"]["uid"];

  writeFile(path("m.yaml"), "apiVersion: [unclosed\n");
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.deleted, 0u);
  ASSERT_EQ(folder_->problems().size(), 1u);
  EXPECT_EQ(folder_->problems()[0].file, "m.yaml");
  EXPECT_EQ(folder_->problems()[0].document, 0u);
  EXPECT_NE(folder_->problems()[0].message.find("line"), std::string::npos);
  EXPECT_TRUE(object("Module", "a") && object("Module", "b"));

  // a changes, b's document is broken: a is updated, b stays as it was.
  writeFile(path("m.yaml"), moduleYaml("a", "    - version: \"2.0.0\"\n") + "---\n" +
                                moduleYaml("b", "    []\n"));
  r = folder_->scanNow();
  EXPECT_EQ(r.updated, 1u);
  EXPECT_EQ(r.deleted, 0u);
  EXPECT_EQ((*object("Module", "a"))["spec"]["versions"][0]["version"], "2.0.0");
  ASSERT_TRUE(object("Module", "b"));
  EXPECT_EQ((*object("Module", "b"))["metadata"]["uid"], uid_b);

  // Fixed without b: now b goes.
  writeFile(path("m.yaml"), moduleYaml("a", "    - version: \"2.0.0\"\n"));
  r = folder_->scanNow();
  EXPECT_TRUE(folder_->problems().empty()) << problemsText();
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_FALSE(object("Module", "b"));
}

TEST_F(ManifestFolderTest, ARenamedFileKeepsItsObjectsAndARemovedOneDeletesThem) {
  writeFile(path("a.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  folder_->scanNow();
  json module = *object("Module", "vpc");
  // A Version the reconciler created, owned by the Module.
  ASSERT_TRUE(store_->createNow("Version", "default",
                                versionObject("vpc-1-0-0", "1.0.0", {ownerRef(module)}).dump())
                  .ok());

  std::filesystem::rename(path("a.yaml"), path("b.yml"));
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.created + r.updated + r.deleted, 0u);
  EXPECT_EQ((*object("Module", "vpc"))["metadata"]["uid"], module["metadata"]["uid"]);

  std::filesystem::remove(path("b.yml"));
  r = folder_->scanNow();
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_FALSE(object("Module", "vpc"));
  EXPECT_FALSE(object("Version", "vpc-1-0-0"));  // owned: collected with its Module
}

TEST_F(ManifestFolderTest, ObjectsItDidNotCreateAreLeftAlone) {
  ASSERT_TRUE(store_->createNow("Module", "default", moduleObject("vpc").dump()).ok());
  ASSERT_TRUE(store_->createNow("Module", "default", moduleObject("api-only").dump()).ok());
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"9.0.0\"\n"));
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.created + r.updated + r.deleted, 0u);
  ASSERT_EQ(folder_->problems().size(), 1u);
  EXPECT_NE(folder_->problems()[0].message.find("not created from the manifest folder"),
            std::string::npos);
  EXPECT_EQ((*object("Module", "vpc"))["spec"]["versions"][0]["version"], "1.0.0");
  EXPECT_TRUE(object("Module", "api-only"));
}

TEST_F(ManifestFolderTest, TheSameObjectInTwoFilesIsReported) {
  writeFile(path("1.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  writeFile(path("2.yaml"), moduleYaml("vpc", "    - version: \"2.0.0\"\n"));
  folder_->scanNow();
  ASSERT_EQ(folder_->problems().size(), 1u);
  EXPECT_EQ(folder_->problems()[0].file, "2.yaml");
  EXPECT_NE(folder_->problems()[0].message.find("also declared in 1.yaml"), std::string::npos);
  EXPECT_EQ((*object("Module", "vpc"))["spec"]["versions"][0]["version"], "1.0.0");
}

TEST_F(ManifestFolderTest, AfterARestartABrokenFileDeletesNothing) {
  std::string state = dir_.file("store.json");
  store_ = makeStore(state);
  ASSERT_TRUE(store_->open().ok());
  folder_ = std::make_unique<ManifestFolder>(*store_, clock_, ManifestFolderOptions{manifests_});
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  writeFile(path("other.yaml"), moduleYaml("other", "    - version: \"1.0.0\"\n"));
  folder_->scanNow();
  ASSERT_TRUE(store_->flush().ok());
  folder_.reset();
  store_.reset();

  writeFile(path("m.yaml"), "kind: [broken\n");
  std::filesystem::remove(path("other.yaml"));
  store_ = makeStore(state);
  ASSERT_TRUE(store_->open().ok());
  folder_ = std::make_unique<ManifestFolder>(*store_, clock_, ManifestFolderOptions{manifests_});
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.deleted, 0u);  // what m.yaml held is unknown: delete nothing yet
  EXPECT_TRUE(object("Module", "vpc"));

  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  r = folder_->scanNow();
  EXPECT_EQ(r.deleted, 1u);  // now other.yaml's Module goes
  EXPECT_FALSE(object("Module", "other"));
  EXPECT_TRUE(object("Module", "vpc"));
}

TEST_F(ManifestFolderTest, AMissingFolderIsReportedAndDeletesNothing) {
  writeFile(path("m.yaml"), moduleYaml("vpc", "    - version: \"1.0.0\"\n"));
  folder_->scanNow();
  std::filesystem::remove_all(manifests_);
  ScanResult r = folder_->scanNow();
  EXPECT_EQ(r.deleted, 0u);
  ASSERT_EQ(folder_->problems().size(), 1u);
  EXPECT_EQ(folder_->problems()[0].file, "");
  EXPECT_TRUE(object("Module", "vpc"));
}

TEST_F(ManifestFolderTest, TheReferenceDocsExamplesLoad) {
  for (const auto& entry : std::filesystem::directory_iterator(OD_TEST_DATA_DIR "/manifests")) {
    if (entry.is_regular_file()) {
      std::filesystem::copy_file(entry.path(), path(entry.path().filename().string()));
    }
  }
  ScanResult r = folder_->scanNow();
  EXPECT_TRUE(folder_->problems().empty()) << problemsText();
  EXPECT_GE(r.created, 8u);
}

}  // namespace
}  // namespace od::adapters::devstore::testing
