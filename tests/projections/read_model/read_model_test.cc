// ReadModel specs: Given envelopes from the resources and facts streams / When folded and
// built / Then the snapshot serves exactly the synced module versions.
#include "projections/read_model/read_model.h"

#include <gtest/gtest.h>

#include "tests/projections/read_model/read_model_events.h"

namespace od::proj {
namespace {

using testing::VersionFixture;
using testing::checksumOf;
using testing::moduleDeleted;
using testing::moduleObserved;

struct ReadModelSpec : ::testing::Test {
  ReadModel model{ReadModelOptions{"/data"}};

  ReadModel::Outcome fold(const events::Envelope& e) {
    auto r = model.apply(e);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : ReadModel::Outcome::Ignored;
  }
  const ModuleView* module(const SnapshotPtr& s, std::string_view ns = "team",
                           std::string_view name = "vpc", std::string_view system = "aws") {
    return s->findModule(ns, name, system);
  }
};

TEST_F(ReadModelSpec, VersionIsServableOnlyAfterItsVersionSynced) {
  VersionFixture v;
  fold(v.observed());
  SnapshotPtr before = model.build();
  EXPECT_EQ(module(before), nullptr);  // no Module resource and nothing to serve yet
  fold(moduleObserved("team", "vpc", "aws"));
  SnapshotPtr known = model.build();
  ASSERT_NE(module(known), nullptr);  // known, but nothing to serve yet
  EXPECT_TRUE(module(known)->versions.empty());
  EXPECT_EQ(module(known)->versions_body, R"({"modules":[{"versions":[]}]})");

  EXPECT_EQ(fold(v.synced(checksumOf('a'), 4096)), ReadModel::Outcome::Changed);
  SnapshotPtr after = model.build();
  const ModuleView* m = module(after);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->versions.size(), 1u);
  EXPECT_EQ(m->versions[0].version, "1.2.0");  // canonical, no 'v'
  EXPECT_EQ(m->versions[0].checksum, checksumOf('a'));
  EXPECT_EQ(m->versions[0].size, 4096u);
  EXPECT_EQ(m->versions[0].key, "modules/vpc/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
  EXPECT_EQ(m->versions[0].fileName(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip");
  EXPECT_EQ(m->versions_body, R"({"modules":[{"versions":[{"version":"1.2.0"}]}]})");
  EXPECT_EQ(after->sequence(), before->sequence() + 2);
}

TEST_F(ReadModelSpec, FactFoldedBeforeItsVersionIsMatchedLater) {
  VersionFixture v;
  EXPECT_EQ(fold(v.synced(checksumOf('b'))), ReadModel::Outcome::Changed);
  fold(v.observed());
  const ModuleView* m = module(model.build());
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->versions.size(), 1u);
  EXPECT_EQ(m->versions[0].checksum, checksumOf('b'));
}

TEST_F(ReadModelSpec, FactOfAnotherGenerationDoesNotPublishButSyncedStatusDoes) {
  fold(moduleObserved("team", "vpc", "aws"));
  VersionFixture v;
  v.generation = 2;
  fold(v.observed());
  fold(v.synced(checksumOf('c'), 1, /*gen=*/1));
  ASSERT_NE(module(model.build()), nullptr);
  EXPECT_TRUE(module(model.build())->versions.empty());

  v.resource_version = "11";
  v.status = R"({"synced":true,"syncStatus":"ok","checksum":")" + checksumOf('d') +
             R"(","archiveSizeBytes":77})";
  fold(v.observed());
  const ModuleView* m = module(model.build());
  ASSERT_EQ(m->versions.size(), 1u);
  EXPECT_EQ(m->versions[0].checksum, checksumOf('d'));
  EXPECT_EQ(m->versions[0].size, 77u);
}

TEST_F(ReadModelSpec, SyncedStatusWithoutChecksumIsNotServable) {
  fold(moduleObserved("team", "vpc", "aws"));
  VersionFixture v;
  v.status = R"({"synced":true,"syncStatus":"ok"})";
  fold(v.observed());
  EXPECT_TRUE(module(model.build())->versions.empty());
}

TEST_F(ReadModelSpec, NewerFactOfTheSameGenerationWinsAndOlderOnesAreIgnored) {
  VersionFixture v;
  v.generation = 3;
  fold(v.observed());
  fold(v.synced(checksumOf('e')));
  EXPECT_EQ(fold(v.synced(checksumOf('f'), 1, /*gen=*/2)), ReadModel::Outcome::Unchanged);
  EXPECT_EQ(module(model.build())->versions[0].checksum, checksumOf('e'));
  fold(v.synced(checksumOf('g')));
  EXPECT_EQ(module(model.build())->versions[0].checksum, checksumOf('g'));
}

TEST_F(ReadModelSpec, VersionSyncFailedAfterSyncedKeepsTheArtifactPublished) {
  VersionFixture v;
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  model.build();
  EXPECT_EQ(fold(v.failed()), ReadModel::Outcome::Ignored);
  EXPECT_FALSE(model.dirty());
  EXPECT_EQ(module(model.build())->versions.size(), 1u);
}

TEST_F(ReadModelSpec, DeletionRemovesTheVersionAndAnEmptyUnknownModule) {
  VersionFixture v;
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  ASSERT_EQ(module(model.build())->versions.size(), 1u);
  EXPECT_EQ(fold(v.deleted("12")), ReadModel::Outcome::Changed);
  SnapshotPtr s = model.build();
  EXPECT_EQ(module(s), nullptr);  // no Module resource names it and nothing is servable
  EXPECT_EQ(s->versionCount(), 0u);
  // a late observation of the deleted object does not resurrect it
  EXPECT_EQ(fold(v.observed()), ReadModel::Outcome::Unchanged);
  EXPECT_EQ(module(model.build()), nullptr);
}

TEST_F(ReadModelSpec, ModuleResourceKeepsTheModuleListedWithoutVersions) {
  fold(moduleObserved("team", "vpc", "aws"));
  VersionFixture v;
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  fold(v.deleted("12"));
  const ModuleView* m = module(model.build());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->versions.empty());
  fold(moduleDeleted("team", "vpc"));
  EXPECT_EQ(module(model.build()), nullptr);
}

TEST_F(ReadModelSpec, BeingDeletedIsNotServed) {
  VersionFixture v;
  v.deleting = true;
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  EXPECT_EQ(module(model.build()), nullptr);
}

TEST_F(ReadModelSpec, LateFactAboutARecreatedVersionDoesNotPublishTheOldArtifact) {
  VersionFixture old_object;
  fold(old_object.observed());
  fold(old_object.deleted("12"));
  VersionFixture recreated;
  recreated.uid = "uid-2";
  recreated.resource_version = "20";
  recreated.file_name = "0190ffff-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip";
  fold(recreated.observed());
  fold(old_object.synced(checksumOf('o')));  // the facts stream lagged behind
  EXPECT_EQ(module(model.build()), nullptr);
  fold(recreated.synced(checksumOf('n')));
  const ModuleView* m = module(model.build());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->versions[0].checksum, checksumOf('n'));
}

TEST_F(ReadModelSpec, FoldingTwiceChangesNothing) {
  VersionFixture v;
  fold(moduleObserved("team", "vpc", "aws"));
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  SnapshotPtr first = model.build();
  EXPECT_EQ(fold(moduleObserved("team", "vpc", "aws")), ReadModel::Outcome::Unchanged);
  EXPECT_EQ(fold(v.observed()), ReadModel::Outcome::Unchanged);
  EXPECT_EQ(fold(v.synced(checksumOf('a'))), ReadModel::Outcome::Unchanged);
  EXPECT_FALSE(model.dirty());
  SnapshotPtr second = model.build();
  EXPECT_EQ(module(second), module(first));  // the very same view, shared
  EXPECT_EQ(module(second)->versions_body, module(first)->versions_body);
}

TEST_F(ReadModelSpec, BuildRebuildsOnlyTouchedModules) {
  VersionFixture a;
  VersionFixture b;
  b.name = "dns-1-0-0";
  b.uid = "uid-b";
  b.module = "dns";
  b.version = "1.0.0";
  for (const VersionFixture* v : {&a, &b}) {
    fold(v->observed());
    fold(v->synced(checksumOf('a')));
  }
  SnapshotPtr first = model.build();
  fold(b.synced(checksumOf('z')));
  SnapshotPtr second = model.build();
  EXPECT_EQ(module(second, "team", "vpc"), module(first, "team", "vpc"));
  EXPECT_NE(module(second, "team", "dns"), module(first, "team", "dns"));
  EXPECT_EQ(module(second, "team", "dns")->versions[0].checksum, checksumOf('z'));
  EXPECT_EQ(module(first, "team", "dns")->versions[0].checksum, checksumOf('a'));  // old one intact
  EXPECT_EQ(second->moduleCount(), 2u);
  EXPECT_EQ(second->versionCount(), 2u);
}

TEST_F(ReadModelSpec, LookupIsCaseInsensitiveAndEmptySystemAnswersAnySystem) {
  VersionFixture v;
  v.module = "Vpc";
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  VersionFixture no_system;
  no_system.name = "net-1-0-0";
  no_system.uid = "uid-n";
  no_system.module = "net";
  no_system.system = "";
  fold(no_system.observed());
  fold(no_system.synced(checksumOf('a')));
  SnapshotPtr s = model.build();
  ASSERT_NE(module(s, "TEAM", "vPC", "AWS"), nullptr);
  EXPECT_EQ(module(s, "team", "vpc", "aws")->name, "Vpc");
  EXPECT_EQ(module(s, "team", "vpc", "azurerm"), nullptr);
  EXPECT_NE(module(s, "team", "net", "whatever"), nullptr);
}

TEST_F(ReadModelSpec, VersionsAreListedNewestFirstAndDuplicatesOfOneVersionCollapse) {
  const char* versions[] = {"1.2.0", "v10.0.0", "2.0.0-rc.1", "2.0.0", "1.2"};
  int i = 0;
  for (const char* text : versions) {
    VersionFixture v;
    v.name = "vpc-" + std::to_string(i);
    v.uid = "uid-" + std::to_string(i);
    v.version = text;
    v.file_name = "f" + std::to_string(i++) + ".zip";
    fold(v.observed());
    fold(v.synced(checksumOf('a')));
  }
  const ModuleView* m = module(model.build());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->versions_body,
            R"({"modules":[{"versions":[{"version":"10.0.0"},{"version":"2.0.0"},)"
            R"({"version":"2.0.0-rc.1"},{"version":"1.2.0"}]}]})");
  ASSERT_NE(m->find("1.2.0"), nullptr);
  EXPECT_EQ(m->find("1.2.0")->fileName(), "f0.zip");  // "vpc-0" sorts before "vpc-4"
  EXPECT_EQ(m->find("v1.2.0"), nullptr);             // lookups take canonical text
}

TEST_F(ReadModelSpec, UnservableVersionsAreCountedAndSkipped) {
  fold(moduleObserved("team", "vpc", "aws"));
  VersionFixture bad_version;
  bad_version.version = "latest";
  fold(bad_version.observed());
  fold(bad_version.synced(checksumOf('a')));
  VersionFixture outside_root;
  outside_root.name = "vpc-2";
  outside_root.uid = "uid-2";
  outside_root.directory = "/etc";
  fold(outside_root.observed());
  fold(outside_root.synced(checksumOf('a')));
  EXPECT_EQ(model.unservableVersions(), 2u);
  EXPECT_TRUE(module(model.build())->versions.empty());
  fold(bad_version.deleted("30"));
  EXPECT_EQ(model.unservableVersions(), 1u);
}

TEST_F(ReadModelSpec, ProviderVersionsAndOtherKindsAreIgnored) {
  VersionFixture provider;
  provider.type = "Provider";
  EXPECT_EQ(fold(provider.observed()), ReadModel::Outcome::Changed);  // folded, not a module
  events::ResourceObserved depot;
  depot.uid = "d";
  depot.resource_version = "1";
  EXPECT_EQ(fold(events::makeEnvelope(depot, events::EnvelopeMeta{"id-d", "Depot/team/d", "", "", 1})),
            ReadModel::Outcome::Ignored);
  EXPECT_EQ(model.versionRecords(), 0u);
  EXPECT_EQ(model.build()->moduleCount(), 0u);
}

TEST_F(ReadModelSpec, CorruptEventsAreErrorsAndChangeNothing) {
  events::Envelope e = VersionFixture{}.synced(checksumOf('a'));
  e.data = R"({"generation":"one"})";
  EXPECT_FALSE(model.apply(e).ok());
  events::Envelope wrong_kind = VersionFixture{}.synced(checksumOf('a'));
  wrong_kind.key = "Module/team/vpc";
  EXPECT_FALSE(model.apply(wrong_kind).ok());
  events::Envelope bad_key = VersionFixture{}.observed();
  bad_key.key = "Version/no-name";
  EXPECT_FALSE(model.apply(bad_key).ok());
  EXPECT_FALSE(model.dirty());
}

TEST_F(ReadModelSpec, ModuleMovedToAnotherSystemLeavesTheOldEntry) {
  VersionFixture v;
  fold(v.observed());
  fold(v.synced(checksumOf('a')));
  ASSERT_NE(module(model.build()), nullptr);
  v.system = "azurerm";
  v.resource_version = "11";
  fold(v.observed());
  SnapshotPtr s = model.build();
  EXPECT_EQ(module(s, "team", "vpc", "aws"), nullptr);
  ASSERT_NE(module(s, "team", "vpc", "azurerm"), nullptr);
  EXPECT_EQ(module(s, "team", "vpc", "azurerm")->versions.size(), 1u);
}

}  // namespace
}  // namespace od::proj
