// ReadModel provider specs: Given provider Versions (one per version x OS x arch), Provider
// resources and VersionSynced facts / When folded and built / Then the snapshot serves each
// release with exactly its synced platforms, its SHA256SUMS and, once signed, its signature.
#include <gtest/gtest.h>

#include "core/base64.h"
#include "projections/read_model/read_model.h"
#include "tests/projections/read_model/read_model_events.h"

namespace od::proj {
namespace {

using testing::ProviderVersionFixture;
using testing::checksumOf;
using testing::providerObserved;

struct ProviderReadModelSpec : ::testing::Test {
  ReadModel model{ReadModelOptions{"/data"}};

  void fold(const events::Envelope& e) {
    auto r = model.apply(e);
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  static ProviderVersionFixture platform(std::string version, std::string os, std::string arch) {
    ProviderVersionFixture f;
    f.version = std::move(version);
    f.os = std::move(os);
    f.arch = std::move(arch);
    return f;
  }
  static std::string hexOf(char fill) { return core::hexEncode(std::string(32, fill)); }
};

TEST_F(ProviderReadModelSpec, ReleaseListsOnlyItsSyncedPlatforms) {
  auto linux = platform("5.80.0", "linux", "amd64");
  auto darwin = platform("5.80.0", "darwin", "arm64");
  auto windows = platform("5.80.0", "windows", "amd64");  // never synced
  fold(linux.observed());
  fold(darwin.observed());
  fold(windows.observed());
  EXPECT_EQ(model.build()->findProvider("team", "aws"), nullptr);  // nothing servable yet

  fold(linux.synced(checksumOf('a'), "h1:linuxhash="));
  fold(darwin.synced(checksumOf('b')));
  SnapshotPtr s = model.build();
  const ProviderView* p = s->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name_space, "team");
  EXPECT_EQ(p->name, "aws");
  ASSERT_EQ(p->releases.size(), 1u);
  const ProviderRelease& r = p->releases[0];
  EXPECT_EQ(r.version, "5.80.0");
  ASSERT_EQ(r.platforms.size(), 2u);
  EXPECT_EQ(r.platforms[0].os, "darwin");  // sorted by (os, arch)
  EXPECT_EQ(r.platforms[1].os, "linux");
  EXPECT_EQ(r.find("windows", "amd64"), nullptr);
  const ProviderPlatform* l = r.find("linux", "amd64");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->filename, "terraform-provider-aws_5.80.0_linux_amd64.zip");
  EXPECT_EQ(l->shasum, hexOf('a'));
  EXPECT_EQ(l->checksum, checksumOf('a'));
  EXPECT_EQ(l->key, "providers/aws/f-aws-5.80.0-linux-amd64.zip");
  EXPECT_EQ(l->size, 4321u);
  EXPECT_EQ(l->h1, "h1:linuxhash=");
  EXPECT_EQ(r.find("darwin", "arm64")->h1, "");  // unknown
  EXPECT_EQ(r.shasums, hexOf('b') + "  terraform-provider-aws_5.80.0_darwin_arm64.zip\n" + hexOf('a') +
                           "  terraform-provider-aws_5.80.0_linux_amd64.zip\n");
  EXPECT_EQ(r.signature, "");
  EXPECT_EQ(p->versions_body,
            R"({"versions":[{"version":"5.80.0","protocols":["5.0"],"platforms":[)"
            R"({"os":"darwin","arch":"arm64"},{"os":"linux","arch":"amd64"}]}]})");
  EXPECT_EQ(p->mirror_index_body, R"({"versions":{"5.80.0":{}}})");
  EXPECT_EQ(s->moduleCount(), 0u);  // no module appears for a provider Version
}

TEST_F(ProviderReadModelSpec, LookupIgnoresCaseAndReleasesAreNewestFirst) {
  auto old = platform("v1.2.0", "linux", "amd64");  // the reconciler strips 'v'; tolerate it
  auto next = platform("1.10.0", "linux", "amd64");
  old.provider = "Widget";
  next.provider = "Widget";
  for (auto* f : {&old, &next}) {
    fold(f->observed());
    fold(f->synced(checksumOf('c')));
  }
  SnapshotPtr s = model.build();
  const ProviderView* p = s->findProvider("TEAM", "widget");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->find("1.2.0"), nullptr);
  EXPECT_EQ(p->find("1.2.0")->platforms[0].filename,
            "terraform-provider-widget_1.2.0_linux_amd64.zip");  // type lowercased
  EXPECT_EQ(p->find("v1.2.0"), nullptr);  // canonical texts only
  EXPECT_EQ(p->mirror_index_body, R"({"versions":{"1.10.0":{},"1.2.0":{}}})");
}

TEST_F(ProviderReadModelSpec, ProviderResourceAloneListsAnEmptyProvider) {
  fold(providerObserved("team", "my-aws", "aws"));
  SnapshotPtr s = model.build();
  const ProviderView* p = s->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->releases.empty());
  EXPECT_EQ(p->versions_body, R"({"versions":[]})");
  EXPECT_EQ(s->findProvider("team", "my-aws"), nullptr);  // keyed by providerConfig.name

  fold(providerObserved("team", "google"));  // no name: metadata.name
  EXPECT_NE(model.build()->findProvider("team", "google"), nullptr);
}

TEST_F(ProviderReadModelSpec, FactsOfAnotherFileOrGenerationAndDeletingVersionsAreNotServed) {
  auto f = platform("1.0.0", "linux", "amd64");
  f.generation = 2;
  fold(f.observed());
  auto stale = f;
  stale.generation = 1;
  fold(stale.synced(checksumOf('d')));  // an older generation
  auto other = f;
  other.file_name = "someone-else.zip";
  fold(other.synced(checksumOf('e')));  // names another object's file
  EXPECT_EQ(model.build()->findProvider("team", "aws"), nullptr);

  fold(f.synced(checksumOf('f')));
  ASSERT_NE(model.build()->findProvider("team", "aws"), nullptr);

  f.resource_version = "21";
  f.deleting = true;
  fold(f.observed());
  EXPECT_EQ(model.build()->findProvider("team", "aws"), nullptr);
}

TEST_F(ProviderReadModelSpec, BadPlatformsAndChecksumsAreNeverServed) {
  auto slash = platform("1.0.0", "linux.x", "amd64");  // not letters and digits
  auto empty = platform("1.0.0", "", "amd64");
  auto bad_sum = platform("1.0.0", "linux", "arm64");
  auto bad_version = platform("one", "linux", "amd64");
  for (auto* f : {&slash, &empty, &bad_sum, &bad_version}) {
    fold(f->observed());
  }
  fold(slash.synced(checksumOf('a')));
  fold(empty.synced(checksumOf('a')));
  fold(bad_sum.synced(core::base64Encode("short")));  // not a SHA-256
  fold(bad_version.synced(checksumOf('a')));
  EXPECT_EQ(model.unservableVersions(), 3u);
  EXPECT_EQ(model.build()->findProvider("team", "aws"), nullptr);

  auto upper = platform("1.0.0", "Linux", "AMD64");  // lowercased, not refused
  fold(upper.observed());
  fold(upper.synced(checksumOf('a')));
  const ProviderView* p = model.build()->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->releases[0].find("linux", "amd64"), nullptr);
}

TEST_F(ProviderReadModelSpec, SyncedStatusServesWithoutH1) {
  auto f = platform("2.0.0", "linux", "amd64");
  f.status = R"({"synced":true,"checksum":")" + checksumOf('9') + R"(","archiveSizeBytes":12})";
  fold(f.observed());
  const ProviderView* p = model.build()->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  const ProviderPlatform* l = p->releases[0].find("linux", "amd64");
  EXPECT_EQ(l->shasum, hexOf('9'));
  EXPECT_EQ(l->size, 12u);
  EXPECT_EQ(l->h1, "");
}

TEST_F(ProviderReadModelSpec, SignaturesFollowTheShasumsDocument) {
  auto linux = platform("1.0.0", "linux", "amd64");
  fold(linux.observed());
  fold(linux.synced(checksumOf('a')));
  SnapshotPtr s1 = model.build();
  const std::string doc1 = s1->findProvider("team", "aws")->releases[0].shasums;
  ASSERT_EQ(model.unsignedShasums(), std::vector<std::string>{doc1});
  EXPECT_FALSE(model.addSignature("not served", "sig"));
  EXPECT_FALSE(model.addSignature(doc1, ""));

  EXPECT_TRUE(model.addSignature(doc1, "sig-1"));
  EXPECT_TRUE(model.dirty());
  SnapshotPtr s2 = model.build();
  EXPECT_EQ(s2->findProvider("team", "aws")->releases[0].signature, "sig-1");
  EXPECT_TRUE(model.unsignedShasums().empty());
  EXPECT_EQ(s1->findProvider("team", "aws")->releases[0].signature, "");  // snapshots immutable

  // a new platform changes the document: unsigned again until signed
  auto darwin = platform("1.0.0", "darwin", "arm64");
  fold(darwin.observed());
  fold(darwin.synced(checksumOf('b')));
  SnapshotPtr s3 = model.build();
  const ProviderRelease& r3 = s3->findProvider("team", "aws")->releases[0];
  EXPECT_EQ(r3.signature, "");
  EXPECT_NE(r3.shasums, doc1);
  EXPECT_EQ(model.unsignedShasums(), std::vector<std::string>{r3.shasums});
  EXPECT_FALSE(model.addSignature(doc1, "sig-late"));  // the old document is no longer served
}

TEST_F(ProviderReadModelSpec, RemovingAVersionDropsItsPlatform) {
  auto linux = platform("1.0.0", "linux", "amd64");
  auto darwin = platform("1.0.0", "darwin", "arm64");
  for (auto* f : {&linux, &darwin}) {
    fold(f->observed());
    fold(f->synced(checksumOf('a')));
  }
  ASSERT_EQ(model.build()->findProvider("team", "aws")->releases[0].platforms.size(), 2u);
  events::ResourceDeleted d{"uid-" + darwin.name(), "99"};
  fold(events::makeEnvelope(d, events::EnvelopeMeta{"del-1", darwin.key(), "", "", 2}));
  const ProviderView* p = model.build()->findProvider("team", "aws");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->releases[0].platforms.size(), 1u);
  EXPECT_EQ(p->releases[0].platforms[0].os, "linux");
}

}  // namespace
}  // namespace od::proj
