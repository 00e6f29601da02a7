#include "events/worker/provider_sync.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "core/resources/meta.h"
#include "core/storage_key.h"
#include "events/codec.h"
#include "events/scheduler.h"
#include "events/worker/sync_job.h"
#include "events/worker/sync_plan.h"

namespace od::events {
namespace {

namespace fs = std::filesystem;

core::Error invalid(std::string message) { return core::makeError(core::Errc::Invalid, std::move(message)); }

struct ProviderPlan {
  core::VersionSpec spec;
  std::string object_key;
  std::string file_name;  // spec.fileName: what the object is stored as
  core::ProviderAddress address;
};

core::Result<ProviderPlan> planProvider(const Envelope& event, const VersionSyncRequested& request,
                                        std::string_view storage_root) {
  OD_TRY(core::Version version, requestVersion(event, request));
  ProviderPlan plan;
  plan.spec = std::move(version.spec);
  if (!plan.spec.provider_config_ref) {
    return invalid("spec.providerConfigRef is required for a provider Version");
  }
  const core::ProviderConfig& config = *plan.spec.provider_config_ref;
  if (!config.name || config.name->empty()) {
    return invalid("spec.providerConfigRef.name (the provider type) is required");
  }
  if (plan.spec.operating_system.empty() || plan.spec.architecture.empty()) {
    return invalid("spec.operatingSystem and spec.architecture are required for a provider Version");
  }
  OD_TRY(StoredAs stored, storedAs(plan.spec, request.attempt, storage_root));
  plan.file_name = std::move(stored.file_name);
  plan.object_key = std::move(stored.object_key);
  plan.address.name_space = config.namespace_.value_or("hashicorp");
  plan.address.type = *config.name;
  return plan;
}

// One provider request in flight; the handle startProviderSync returns. Destroying it
// cancels the current port call and removes the temp download.
class ProviderJob final : public SyncJob {
 public:
  ProviderJob(ProviderSyncDeps deps, const Envelope& event, Handler::Done done)
      : SyncJob(std::move(done)), d_(deps), event_(event) {}
  ~ProviderJob() override {
    drop();
    removeDownload();
  }
  void cancel() override {
    drop();
    removeDownload();
  }

  void start();

 private:
  enum class Stage { Resolve, Shasums, Signature, Verify, Download, Hash, Store };

  void resolve();
  void fetchShasums();
  void fetchSignature();
  void verify();
  void download();
  void onDownloaded(core::FetchedFile file);
  void hashContents();
  void store(bool replace);
  void onStored(bool replace, core::Result<core::PutResult> result);
  void succeed();
  void fail(Stage stage, const core::Error& error);
  void failTerminal(std::string reason);
  void conclude(std::string reason, bool retryable);
  void removeDownload() {
    if (!download_path_.empty()) {
      std::error_code ec;
      fs::remove(download_path_, ec);  // missing is fine; prepareWorkDir sweeps the rest
    }
  }
  int64_t nowMs() const { return core::unixMillis(d_.rt.clock.now()); }
  spdlog::logger& log() { return d_.rt.logger; }

  ProviderSyncDeps d_;
  Envelope event_;
  VersionSyncRequested data_;
  ProviderPlan plan_;
  core::ProviderPackage package_;
  std::string shasums_;
  std::string signature_;
  std::string download_path_;
  core::FetchedFile file_;
  std::string h1_;
};

void ProviderJob::start() {
  auto data = decodeAs<VersionSyncRequested>(event_);
  if (!data.ok()) {
    finish(core::makeError(core::Errc::Corrupt,
                           "undecodable VersionSyncRequested " + event_.id + ": " + data.error().message));
    return;
  }
  data_ = std::move(*data);
  auto plan = planProvider(event_, data_, d_.config.storage_root);
  if (!plan.ok()) {
    failTerminal(plan.error().message);
    return;
  }
  plan_ = std::move(*plan);
  download_path_ = tempBase(d_.config.work_dir, d_.rt.random.next()) + ".download";
  log().debug("event=ProviderSyncStarted id={} key={} corr={} generation={} attempt={} provider={}/{} platform={}_{}",
              event_.id, event_.key, event_.corr, data_.generation, data_.attempt, plan_.address.name_space,
              plan_.address.type, plan_.spec.operating_system, plan_.spec.architecture);
  resolve();
}

void ProviderJob::resolve() {
  step([&] {
    return d_.source.resolve(plan_.address, plan_.spec.version, plan_.spec.operating_system,
                             plan_.spec.architecture, [this](core::Result<core::ProviderPackage> r) {
                               if (!r.ok()) {
                                 fail(Stage::Resolve, r.error());
                                 return;
                               }
                               package_ = std::move(*r);
                               fetchShasums();
                             });
  });
}

void ProviderJob::fetchShasums() {
  step([&] {
    return d_.source.fetchSmall(package_.shasums_url, kMaxShasumsBytes, [this](core::Result<std::string> r) {
      if (!r.ok()) {
        fail(Stage::Shasums, r.error());
        return;
      }
      shasums_ = std::move(*r);
      fetchSignature();
    });
  });
}

void ProviderJob::fetchSignature() {
  step([&] {
    return d_.source.fetchSmall(package_.shasums_signature_url, kMaxSignatureBytes,
                                [this](core::Result<std::string> r) {
                                  if (!r.ok()) {
                                    fail(Stage::Signature, r.error());
                                    return;
                                  }
                                  signature_ = std::move(*r);
                                  verify();
                                });
  });
}

void ProviderJob::verify() {
  if (package_.signing_keys_armored.empty()) {
    failTerminal("SHA256SUMS signature does not verify: the registry published no signing keys");
    return;
  }
  step([&] {
    return d_.verifier.verifyDetached(shasums_, signature_, package_.signing_keys_armored,
                                      [this](core::Result<core::VerifiedSignature> r) {
                                        if (!r.ok()) {
                                          fail(Stage::Verify, r.error());
                                          return;
                                        }
                                        log().debug("event=ShasumsVerified id={} key={} signing_key={}",
                                                    event_.id, event_.key, r->signing_key_id);
                                        download();
                                      });
  });
}

void ProviderJob::download() {
  step([&] {
    return d_.source.download(package_.download_url, download_path_, [this](core::Result<core::FetchedFile> r) {
      if (!r.ok()) {
        fail(Stage::Download, r.error());
        return;
      }
      onDownloaded(std::move(*r));
    });
  });
}

void ProviderJob::onDownloaded(core::FetchedFile file) {
  file_ = std::move(file);
  const std::string hex = file_.sha256.hex();
  auto listed = shasumFor(shasums_, package_.filename);
  if (!listed.ok() || !(*listed == file_.sha256)) {
    failTerminal("zip hash " + hex + " is not listed for " + package_.filename + " in SHA256SUMS" +
                 (listed.ok() ? " (it lists " + listed->hex() + ")" : ""));
    return;
  }
  if (!(file_.sha256 == package_.shasum)) {
    failTerminal("zip hash differs from the registry's shasum: downloaded " + hex + ", registry " +
                 package_.shasum.hex());
    return;
  }
  hashContents();
}

void ProviderJob::hashContents() {
  step([&] {
    return d_.packager.zipDirhash(download_path_, [this](core::Result<std::string> r) {
      if (!r.ok()) {
        fail(Stage::Hash, r.error());
        return;
      }
      h1_ = std::move(*r);
      store(false);
    });
  });
}

void ProviderJob::store(bool replace) {
  core::PutRequest request{plan_.object_key, download_path_, file_.sha256, file_.size, "application/zip", replace};
  step([&] {
    return d_.store.put(std::move(request),
                        [this, replace](core::Result<core::PutResult> r) { onStored(replace, std::move(r)); });
  });
}

void ProviderJob::onStored(bool replace, core::Result<core::PutResult> result) {
  if (!result.ok()) {
    if (result.error().code == core::Errc::Conflict && !replace) {
      // providerConfigRef has no `immutable`: replace as the reference does (mutable rule).
      log().warn("event=ArtifactReplaced id={} key={} object={} checksum={} detail=\"{}\"", event_.id, event_.key,
                 plan_.object_key, file_.sha256.base64(), result.error().message);
      store(true);
      return;
    }
    fail(Stage::Store, result.error());
    return;
  }
  if (replace && result->created) {
    ++d_.metrics.replaced;
  }
  succeed();
}

void ProviderJob::succeed() {
  removeDownload();
  auto facts = storedFacts(d_.config.facts_stream, event_, data_, plan_.file_name, plan_.object_key,
                           file_.sha256, file_.size, nowMs(), h1_);
  ++d_.metrics.synced;
  log().debug("event=VersionSynced id={} key={} corr={} object={} checksum={} h1={} bytes={}", event_.id,
              event_.key, event_.corr, plan_.object_key, file_.sha256.base64(), h1_, file_.size);
  finish(std::move(facts));
}

void ProviderJob::fail(Stage stage, const core::Error& error) {
  const std::string what = plan_.address.name_space + "/" + plan_.address.type + " " + plan_.spec.version + " " +
                           plan_.spec.operating_system + "_" + plan_.spec.architecture;
  std::string reason;
  switch (stage) {
    case Stage::Resolve:
      reason = "resolving provider " + what + " failed: " + error.message;
      break;
    case Stage::Shasums:
      reason = "fetching SHA256SUMS of " + what + " failed: " + error.message;
      break;
    case Stage::Signature:
      reason = "fetching the SHA256SUMS signature of " + what + " failed: " + error.message;
      break;
    case Stage::Verify:
      reason = error.retryable() ? "verifying the SHA256SUMS signature of " + what + " failed: " + error.message
                                 : "SHA256SUMS signature does not verify: " + error.message;
      break;
    case Stage::Download:
      reason = "download of " + package_.filename + " failed: " + error.message;
      break;
    case Stage::Hash:
      reason = error.retryable() ? "hashing the contents of " + package_.filename + " failed: " + error.message
                                 : package_.filename + " is not a usable provider zip: " + error.message;
      break;
    case Stage::Store:
      reason = "storing " + plan_.object_key + " failed: " + error.message;
      break;
  }
  conclude(std::move(reason), error.retryable());
}

void ProviderJob::failTerminal(std::string reason) { conclude(std::move(reason), false); }

void ProviderJob::conclude(std::string reason, bool retryable) {
  removeDownload();
  FailurePlan plan = planFailure(retryRulesOf(d_.config), event_, data_, std::move(reason), retryable,
                                 d_.rt.clock.now(), d_.rt.random);
  step([&] {
    return answerFailure(std::move(plan), event_, data_, d_.rt, d_.metrics,
                         [this](core::Result<std::vector<core::AppendRecord>> r) { finish(std::move(r)); });
  });
}

}  // namespace

bool isProviderRequest(const Envelope& event) {
  if (event.type != type::kVersionSyncRequested) {
    return false;
  }
  auto data = decodeAs<VersionSyncRequested>(event);
  if (!data.ok()) {
    return false;
  }
  auto version = requestVersion(event, *data);
  return version.ok() && version->spec.type == core::kVersionTypeProvider;
}

core::CancelablePtr startProviderSync(ProviderSyncDeps deps, const Envelope& event, Handler::Done done) {
  auto job = std::make_unique<ProviderJob>(deps, event, std::move(done));
  job->start();
  return job;
}

core::Result<core::Sha256> shasumFor(std::string_view shasums, std::string_view filename) {
  while (!shasums.empty()) {
    const size_t eol = shasums.find('\n');
    std::string_view line = shasums.substr(0, eol);
    shasums = eol == std::string_view::npos ? std::string_view{} : shasums.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space + 2 > line.size()) {
      continue;
    }
    const char mode = line[space + 1];  // "  name" (text) or " *name" (binary)
    if ((mode != ' ' && mode != '*') || line.substr(space + 2) != filename) {
      continue;
    }
    return core::Sha256::fromHex(line.substr(0, space));
  }
  return core::makeError(core::Errc::NotFound, std::string(filename) + " is not listed");
}

}  // namespace od::events
