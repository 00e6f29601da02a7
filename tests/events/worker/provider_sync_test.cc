// The worker's provider path: Given a VersionSyncRequested for a provider Version, When the
// worker handles it, Then SHA256SUMS is verified before anything is stored, and these facts
// come back (house style §10). The ProviderSource serves local files; the verifier accepts a
// signature that names the document's hash and a known key.
#include "events/worker/provider_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "events/worker/sync_plan.h"
#include "tests/adapters/archive/archive_builder.h"
#include "tests/events/worker/worker_fixture.h"

namespace od::tests {
namespace {

namespace fs = std::filesystem;

constexpr const char* kZipName = "terraform-provider-aws_5.0.0_linux_amd64.zip";
constexpr const char* kKeyArmor = "-----BEGIN PGP PUBLIC KEY BLOCK----- test key";

class FakeProviderSource final : public core::ProviderSource {
 public:
  explicit FakeProviderSource(const core::Hasher& hasher) : hasher_(hasher) {}

  core::CancelablePtr listVersions(core::ProviderAddress, Callback<std::vector<std::string>> done) override {
    done(std::vector<std::string>{});
    return core::completedHandle();
  }
  core::CancelablePtr resolve(core::ProviderAddress address, std::string version, std::string os, std::string arch,
                              Callback<core::ProviderPackage> done) override {
    resolved.push_back(address.name_space + "/" + address.type + " " + version + " " + os + "_" + arch);
    if (resolve_error) {
      done(*resolve_error);
    } else {
      done(package);
    }
    return core::completedHandle();
  }
  core::CancelablePtr download(std::string url, std::string dest_path, Callback<core::FetchedFile> done) override {
    ++downloads;
    auto it = files.find(url);
    if (it == files.end()) {
      done(core::makeError(core::Errc::NotFound, url + " not found"));
      return core::completedHandle();
    }
    if (!lose_download) {
      std::ofstream(dest_path, std::ios::binary) << it->second;
    }
    done(core::FetchedFile{dest_path, it->second.size(), hasher_.sha256Of(it->second), ""});
    return core::completedHandle();
  }
  core::CancelablePtr fetchSmall(std::string url, size_t max_bytes, Callback<std::string> done) override {
    small_limits[url] = max_bytes;
    auto it = files.find(url);
    if (it == files.end()) {
      done(core::makeError(core::Errc::NotFound, url + " not found"));
    } else {
      done(it->second);
    }
    return core::completedHandle();
  }

  core::ProviderPackage package;
  std::optional<core::Error> resolve_error;
  std::map<std::string, std::string> files;  // url -> bytes
  std::map<std::string, size_t> small_limits;
  std::vector<std::string> resolved;
  int downloads = 0;
  bool lose_download = false;  // report the download but leave no file (a local I/O failure)

 private:
  const core::Hasher& hasher_;
};

// Accepts "signed:<hex sha256 of the document>" when kKeyArmor is among the keys.
class FakeVerifier final : public core::SignatureVerifier {
 public:
  explicit FakeVerifier(const core::Hasher& hasher) : hasher_(hasher) {}
  core::CancelablePtr verifyDetached(std::string document, std::string signature, std::vector<std::string> keys,
                                     std::function<void(core::Result<core::VerifiedSignature>)> done) override {
    ++calls;
    const bool known = std::find(keys.begin(), keys.end(), kKeyArmor) != keys.end();
    if (!known || signature != "signed:" + hasher_.sha256Of(document).hex()) {
      done(core::makeError(core::Errc::Invalid, "bad signature"));
    } else {
      done(core::VerifiedSignature{"0123456789ABCDEF", "0123456789ABCDEF", "FP"});
    }
    return core::completedHandle();
  }
  int calls = 0;

 private:
  const core::Hasher& hasher_;
};

class ProviderSyncTest : public WorkerTest {
 public:
  ProviderSyncTest() {
    handler_->setProviderSync(&provider_, &verifier_);
    zip_ = zipOf({adapters::archive::testing::file("terraform-provider-aws_v5.0.0", "provider binary bytes", 0755),
                  adapters::archive::testing::file("LICENSE", "MPL-2.0\n")});
    const auto sum = hasher_.sha256Of(zip_);
    shasums_ = "1111111111111111111111111111111111111111111111111111111111111111  "
               "terraform-provider-aws_5.0.0_darwin_arm64.zip\n" +
               sum.hex() + "  " + kZipName + "\n";
    provider_.package = core::ProviderPackage{kZipName, "https://up/zip", "https://up/SHA256SUMS",
                                              "https://up/SHA256SUMS.sig", sum, {kKeyArmor}};
    serve();
  }

  // The bytes of a zip of `items`.
  std::string zipOf(const std::vector<adapters::archive::testing::Item>& items) const {
    const std::string path = dir_ + "/upstream.zip";
    EXPECT_TRUE(adapters::archive::testing::writeArchive(path, adapters::archive::testing::Container::Zip, items));
    return readFile(path);
  }
  // Publishes `zip` as the package: listed in SHA256SUMS (signed) and as the shasum.
  void publish(const std::string& zip) {
    zip_ = zip;
    const auto sum = hasher_.sha256Of(zip_);
    shasums_ = sum.hex() + "  " + kZipName + "\n";
    provider_.package.shasum = sum;
    serve();
  }

  // Publishes the current zip_/shasums_ upstream, signed.
  void serve() {
    provider_.files["https://up/zip"] = zip_;
    provider_.files["https://up/SHA256SUMS"] = shasums_;
    provider_.files["https://up/SHA256SUMS.sig"] = "signed:" + hasher_.sha256Of(shasums_).hex();
  }

  events::Envelope providerRequest(int64_t attempt = 1) const {
    core::JsonWriter w;
    w.beginObject().member("type", "Provider").member("version", "5.0.0").member("fileName", kZipName);
    w.member("operatingSystem", "linux").member("architecture", "amd64");
    w.key("providerConfigRef").beginObject().member("name", "aws").endObject().endObject();
    events::VersionSyncRequested data{2, w.take(), attempt, events::SyncReason::New};
    return events::makeEnvelope(data, events::EnvelopeMeta{"req-p", kKey, "corr-p", "", 1704067200000});
  }

  std::string objectPath() const { return storedPath(std::string("aws/") + kZipName); }

  // Runs the request and returns the terminal failure's reason, checking nothing was stored.
  std::string terminalReason() {
    auto r = run(providerRequest());
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->size() != 1u) {
      ADD_FAILURE() << "expected one fact";
      return "";
    }
    EXPECT_EQ(typeOf((*r)[0]), events::type::kVersionSyncFailed);
    auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
    EXPECT_FALSE(failed.retryable);
    EXPECT_FALSE(fs::exists(objectPath()));
    EXPECT_TRUE(log_.due().empty());
    EXPECT_EQ(workFiles(), 0u);
    EXPECT_EQ(handler_->metrics().failed, 1u);
    return failed.reason;
  }

  FakeProviderSource provider_{hasher_};
  FakeVerifier verifier_{hasher_};
  std::string zip_;
  std::string shasums_;
};

TEST_F(ProviderSyncTest, VerifiedZipIsStoredAndBothFactsComeBack) {
  auto r = run(providerRequest());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u) << factAs<events::VersionSyncFailed>((*r)[0]).reason;
  EXPECT_EQ(typeOf((*r)[0]), events::type::kArtifactStored);
  EXPECT_EQ(typeOf((*r)[1]), events::type::kVersionSynced);
  ASSERT_TRUE(fs::is_regular_file(objectPath()));
  EXPECT_EQ(readFile(objectPath()), zip_);
  auto stored = factAs<events::ArtifactStored>((*r)[0]);
  EXPECT_EQ(stored.generation, 2);
  EXPECT_EQ(stored.file_name, kZipName);
  EXPECT_EQ(stored.location, std::string("aws/") + kZipName);
  EXPECT_EQ(stored.checksum, hasher_.sha256Of(zip_).base64());
  EXPECT_EQ(stored.size, zip_.size());
  auto synced = factAs<events::VersionSynced>((*r)[1]);
  EXPECT_EQ(synced.checksum, stored.checksum);
  EXPECT_EQ(synced.attempt, 1);
  // h1 from the definition (protocol-conformance §4.2): sorted names, "<hex>  <name>\n".
  const std::string summary = hasher_.sha256Of("MPL-2.0\n").hex() + "  LICENSE\n" +
                              hasher_.sha256Of("provider binary bytes").hex() + "  terraform-provider-aws_v5.0.0\n";
  EXPECT_EQ(synced.h1, "h1:" + hasher_.sha256Of(summary).base64());

  EXPECT_EQ(provider_.resolved, (std::vector<std::string>{"hashicorp/aws 5.0.0 linux_amd64"}));
  EXPECT_EQ(provider_.small_limits["https://up/SHA256SUMS"], events::kMaxShasumsBytes);
  EXPECT_EQ(provider_.small_limits["https://up/SHA256SUMS.sig"], events::kMaxSignatureBytes);
  EXPECT_EQ(verifier_.calls, 1);
  EXPECT_EQ(workFiles(), 0u);
  EXPECT_EQ(handler_->metrics().synced, 1u);
  EXPECT_TRUE(source_.requests().empty());  // the module source is not involved
}

TEST_F(ProviderSyncTest, TheSameRequestTwiceStoresOneObjectAndTheSameFactIds) {
  auto first = run(providerRequest());
  auto second = run(providerRequest());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ(first->size(), 2u);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*first)[0].dedupe_id, (*second)[0].dedupe_id);
  EXPECT_EQ(readFile(objectPath()), zip_);
}

TEST_F(ProviderSyncTest, BadSignatureIsTerminalAndNothingIsDownloadedOrStored) {
  provider_.files["https://up/SHA256SUMS.sig"] = "signed:by-someone-else";
  const std::string reason = terminalReason();
  EXPECT_EQ(reason, "SHA256SUMS signature does not verify: bad signature");
  EXPECT_EQ(provider_.downloads, 0);
}

TEST_F(ProviderSyncTest, NoSigningKeysIsTerminal) {
  provider_.package.signing_keys_armored.clear();
  EXPECT_TRUE(terminalReason().starts_with("SHA256SUMS signature does not verify: "));
  EXPECT_EQ(provider_.downloads, 0);
}

TEST_F(ProviderSyncTest, TamperedZipIsTerminalAndNothingIsStored) {
  const std::string listed = hasher_.sha256Of(zip_).hex();
  provider_.files["https://up/zip"] = zip_ + " and a backdoor";
  const std::string tampered = hasher_.sha256Of(zip_ + " and a backdoor").hex();
  EXPECT_EQ(terminalReason(), "zip hash " + tampered + " is not listed for " + kZipName +
                                  " in SHA256SUMS (it lists " + listed + ")");
}

TEST_F(ProviderSyncTest, ZipMissingFromSha256SumsIsTerminal) {
  shasums_ = "1111111111111111111111111111111111111111111111111111111111111111  "
             "terraform-provider-aws_5.0.0_darwin_arm64.zip\n" +
             hasher_.sha256Of(zip_).hex() + "  terraform-provider-aws_5.0.0_linux_amd64.zip.bak\n";
  serve();
  EXPECT_EQ(terminalReason(), "zip hash " + hasher_.sha256Of(zip_).hex() + " is not listed for " +
                                  kZipName + " in SHA256SUMS");
}

TEST_F(ProviderSyncTest, ZipDifferentFromTheRegistryShasumIsTerminal) {
  provider_.package.shasum = hasher_.sha256Of("something else");
  EXPECT_TRUE(terminalReason().starts_with("zip hash differs from the registry's shasum"));
}

TEST_F(ProviderSyncTest, SignedZipThatIsNoZipIsTerminalAndNothingIsStored) {
  publish("PK\x03\x04 provider binary bytes, but no zip");
  const std::string reason = terminalReason();
  EXPECT_TRUE(reason.starts_with(std::string(kZipName) + " is not a usable provider zip: ")) << reason;
}

TEST_F(ProviderSyncTest, SignedZipWithANewlineInANameIsTerminal) {
  publish(zipOf({adapters::archive::testing::file("bin\nary", "x")}));
  const std::string reason = terminalReason();
  EXPECT_NE(reason.find("newline"), std::string::npos) << reason;
}

TEST_F(ProviderSyncTest, ZipThatCannotBeOpenedForHashingIsRetried) {
  provider_.lose_download = true;
  auto r = run(providerRequest());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_TRUE(failed.retryable);
  EXPECT_TRUE(failed.reason.starts_with(std::string("hashing the contents of ") + kZipName + " failed: "))
      << failed.reason;
  EXPECT_EQ(log_.due().size(), 1u);
  EXPECT_FALSE(fs::exists(objectPath()));
  EXPECT_EQ(handler_->metrics().retries, 1u);
}

TEST_F(ProviderSyncTest, RetryableResolveErrorSchedulesTheNextAttempt) {
  provider_.resolve_error = core::makeError(core::Errc::Unavailable, "registry answered 503");
  auto r = run(providerRequest());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  auto failed = factAs<events::VersionSyncFailed>((*r)[0]);
  EXPECT_TRUE(failed.retryable);
  EXPECT_NE(failed.reason.find("registry answered 503"), std::string::npos) << failed.reason;
  ASSERT_TRUE(failed.next_attempt_at.has_value());
  auto due = log_.due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(core::unixMillis(due[0].due_at), *failed.next_attempt_at);
  EXPECT_EQ(due[0].record.stream, events::streams::kWork);
  auto next = events::decodeEnvelope(due[0].record.fields);
  ASSERT_TRUE(next.ok());
  auto data = events::decodeAs<events::VersionSyncRequested>(*next);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->attempt, 2);
  EXPECT_EQ(data->reason, events::SyncReason::Retry);
  EXPECT_FALSE(fs::exists(objectPath()));
  EXPECT_EQ(handler_->metrics().retries, 1u);
}

TEST_F(ProviderSyncTest, WithoutAProviderSourceProviderVersionsStayRefused) {
  handler_->setProviderSync(nullptr, nullptr);
  auto r = run(providerRequest());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(factAs<events::VersionSyncFailed>((*r)[0]).reason, events::kProviderNotImplemented);
  EXPECT_TRUE(provider_.resolved.empty());
}

TEST(ShasumFor, FindsExactlyTheNamedFile) {
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  const std::string sums = a + "  x.zip.sig\n" + b + " *x.zip\r\n";
  auto got = events::shasumFor(sums, "x.zip");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hex(), b);
  EXPECT_EQ(events::shasumFor(sums, "y.zip").error().code, core::Errc::NotFound);
  EXPECT_EQ(events::shasumFor(sums, "zip").error().code, core::Errc::NotFound);
}

}  // namespace
}  // namespace od::tests
