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
#include "events/worker/sync_plan.h"

namespace od::events {
namespace {

namespace fs = std::filesystem;

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

core::Error invalid(std::string message) { return core::makeError(core::Errc::Invalid, std::move(message)); }

struct ProviderPlan {
  core::VersionSpec spec;
  std::string object_key;
  std::string file_name;  // spec.fileName: what the object is stored as
  core::ProviderAddress address;
};

// The Version behind "Version/<ns>/<name>" + the request's spec, parsed whole so the
// resource's own validation applies.
core::Result<core::Version> parseRequestVersion(const Envelope& event, const VersionSyncRequested& request) {
  const std::string_view key = event.key;
  const size_t first = key.find('/');
  const size_t second = first == std::string_view::npos ? first : key.find('/', first + 1);
  if (second == std::string_view::npos || key.substr(0, first) != core::kKindVersion ||
      key.find('/', second + 1) != std::string_view::npos) {
    return invalid("event key '" + std::string(key) + "' is not Version/<namespace>/<name>");
  }
  core::JsonWriter w;
  w.beginObject();
  w.member("apiVersion", core::kApiVersion).member("kind", core::kKindVersion);
  w.key("metadata").beginObject();
  w.member("name", key.substr(second + 1)).member("namespace", key.substr(first + 1, second - first - 1));
  w.endObject();
  w.key("spec").raw(request.spec);
  w.endObject();
  auto version = core::parseVersion(w.take());
  if (!version.ok()) {
    return invalid("invalid Version: " + version.error().message);
  }
  return version;
}

core::Result<ProviderPlan> planProvider(const Envelope& event, const VersionSyncRequested& request,
                                        std::string_view storage_root) {
  OD_TRY(core::Version version, parseRequestVersion(event, request));
  ProviderPlan plan;
  plan.spec = std::move(version.spec);
  if (request.attempt < 1) {
    return invalid("attempt " + std::to_string(request.attempt) + " is not a positive number");
  }
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
  if (!plan.spec.file_name) {
    return invalid("spec.fileName is not set yet (the reconciler fixes it before a sync)");
  }
  plan.file_name = *plan.spec.file_name;
  auto object_key = core::artifactKey(plan.spec, storage_root);
  if (!object_key.ok()) {
    return invalid("no storage location: " + object_key.error().message);
  }
  plan.object_key = std::move(*object_key);
  plan.address.name_space = config.namespace_.value_or("hashicorp");
  plan.address.type = *config.name;
  return plan;
}

// One provider request in flight; the handle startProviderSync returns. Destroying it
// cancels the current port call and removes the temp download.
class ProviderJob final : public core::Cancelable {
 public:
  ProviderJob(ProviderSyncDeps deps, const Envelope& event, Handler::Done done)
      : d_(deps), event_(event), done_(std::move(done)), alive_(std::make_shared<bool>(true)) {}
  ~ProviderJob() override {
    *alive_ = false;
    call_.reset();
    removeDownload();
  }
  void cancel() override {
    done_ = nullptr;
    call_.reset();
    removeDownload();
  }

  void start();

 private:
  enum class Stage { Resolve, Shasums, Signature, Verify, Download, Store };

  template <typename Start>
  void step(Start call) {
    const std::weak_ptr<bool> alive = alive_;
    const uint64_t seq = ++seq_;
    auto handle = call();
    if (!alive.expired() && *alive.lock() && seq_ == seq && done_) {
      call_ = std::move(handle);
    }
  }

  void resolve();
  void fetchShasums();
  void fetchSignature();
  void verify();
  void download();
  void onDownloaded(core::FetchedFile file);
  void store(bool replace);
  void onStored(bool replace, core::Result<core::PutResult> result);
  void succeed();
  void fail(Stage stage, const core::Error& error);
  void failTerminal(std::string reason);
  void finish(core::Result<std::vector<core::AppendRecord>> result);
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
  Handler::Done done_;
  std::shared_ptr<bool> alive_;
  uint64_t seq_ = 0;
  core::CancelablePtr call_;
  VersionSyncRequested data_;
  ProviderPlan plan_;
  core::ProviderPackage package_;
  std::string shasums_;
  std::string signature_;
  std::string download_path_;
  core::FetchedFile file_;
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
  download_path_ = d_.config.work_dir + "/" + std::string(kSyncTempPrefix) + hex64(d_.rt.random.next()) + ".download";
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
  store(false);
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
  const int64_t ts = nowMs();
  ArtifactStored stored{data_.generation, plan_.file_name, plan_.object_key, file_.sha256.base64(), file_.size};
  VersionSynced synced{data_.generation, plan_.file_name, file_.sha256.base64(), file_.size, data_.attempt};
  std::vector<core::AppendRecord> facts;
  facts.push_back(factRecord(d_.config.facts_stream, event_, data_, stored, ts));
  facts.push_back(factRecord(d_.config.facts_stream, event_, data_, synced, ts));
  ++d_.metrics.synced;
  log().debug("event=VersionSynced id={} key={} corr={} object={} checksum={} bytes={}", event_.id, event_.key,
              event_.corr, plan_.object_key, stored.checksum, stored.size);
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
    case Stage::Store:
      reason = "storing " + plan_.object_key + " failed: " + error.message;
      break;
  }
  if (!error.retryable()) {
    failTerminal(std::move(reason));
    return;
  }
  if (data_.attempt >= d_.config.max_attempts) {
    failTerminal(reason + " (attempt " + std::to_string(data_.attempt) + " of " +
                 std::to_string(d_.config.max_attempts) + ", giving up)");
    return;
  }
  removeDownload();
  const auto delay = backoff(static_cast<uint64_t>(data_.attempt), d_.config.retry, d_.rt.random.next());
  const auto due_at = d_.rt.clock.now() + delay;
  const int64_t ts = nowMs();
  VersionSyncFailed failed{data_.generation, reason, true, data_.attempt, core::unixMillis(due_at)};
  auto fact = factRecord(d_.config.facts_stream, event_, data_, failed, ts);
  auto retry = retryRecord(d_.config.work_stream, event_, data_, ts);
  log().warn("event=VersionSyncRetry id={} key={} corr={} attempt={} retry_ms={} reason=\"{}\"", event_.id,
             event_.key, event_.corr, data_.attempt, delay.count(), reason);
  step([&] {
    return d_.rt.log.schedule(core::DueRecord{due_at, std::move(retry)},
                              [this, fact = std::move(fact)](core::Status status) mutable {
                                if (!status.ok()) {
                                  finish(status.error());  // the Consumer retries the entry
                                  return;
                                }
                                ++d_.metrics.retries;
                                std::vector<core::AppendRecord> facts;
                                facts.push_back(std::move(fact));
                                finish(std::move(facts));
                              });
  });
}

void ProviderJob::failTerminal(std::string reason) {
  removeDownload();
  ++d_.metrics.failed;
  log().warn("event=VersionSyncFailed id={} key={} corr={} attempt={} reason=\"{}\"", event_.id, event_.key,
             event_.corr, data_.attempt, reason);
  VersionSyncFailed failed{data_.generation, std::move(reason), false, data_.attempt, std::nullopt};
  std::vector<core::AppendRecord> facts;
  facts.push_back(factRecord(d_.config.facts_stream, event_, data_, failed, nowMs()));
  finish(std::move(facts));
}

// Calls done last: the Consumer may destroy this job inside it.
void ProviderJob::finish(core::Result<std::vector<core::AppendRecord>> result) {
  if (!done_) {
    return;
  }
  Handler::Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
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
  auto version = parseRequestVersion(event, *data);
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
