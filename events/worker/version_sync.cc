#include "events/worker/version_sync.h"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "events/codec.h"
#include "events/worker/provider_sync.h"
#include "events/worker/sync_job.h"
#include "events/worker/sync_plan.h"

namespace od::events {
namespace {

namespace fs = std::filesystem;

void removeQuietly(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);  // missing is fine; a failure is left to prepareWorkDir's sweep
}

std::string_view contentType(core::ArtifactFormat format) {
  return format == core::ArtifactFormat::TarGz ? "application/gzip" : "application/zip";
}

}  // namespace

// One request in flight: decode -> (fetch ->) package -> put [-> stat | put(replace)] ->
// facts, or a failure fact (+ a scheduled retry). It is the handle handle() returns:
// destroying it cancels the current call and removes the temp files.
class VersionSyncHandler::Job final : public SyncJob {
 public:
  Job(VersionSyncHandler& owner, const Envelope& event, Done done)
      : SyncJob(std::move(done)), h_(owner), event_(event) {}
  ~Job() override {
    drop();
    removeTempFiles();
  }

  void cancel() override {
    drop();
    removeTempFiles();
  }

  void start();

 private:
  enum class Stage { Fetch, Package, Store };

  void fetch();
  void onFetched(core::Result<core::FetchedFile> result);
  void package(bool local);
  void onPackaged(core::Result<core::PackagedArtifact> result);
  void store(bool replace);
  void onStored(bool replace, core::Result<core::PutResult> result);
  void onConflict(core::Error conflict);
  void succeed();
  void fail(Stage stage, const core::Error& error);
  void failTerminal(std::string reason);
  void conclude(std::string reason, bool retryable);
  void removeTempFiles() {
    if (!download_path_.empty()) {
      removeQuietly(download_path_);
    }
    if (!out_path_.empty()) {
      removeQuietly(out_path_);
    }
  }
  int64_t nowMs() const { return core::unixMillis(h_.rt_.clock.now()); }
  spdlog::logger& log() { return h_.rt_.logger; }

  VersionSyncHandler& h_;
  Envelope event_;
  VersionSyncRequested data_;
  SyncPlan plan_;
  std::string download_path_;
  std::string out_path_;
  core::PackagedArtifact artifact_;
};

void VersionSyncHandler::Job::start() {
  auto data = decodeAs<VersionSyncRequested>(event_);
  if (!data.ok()) {
    // A producer bug, not a Version problem: the Consumer parks the entry with this reason.
    finish(core::makeError(core::Errc::Corrupt, "undecodable VersionSyncRequested " + event_.id + ": " +
                                                    data.error().message));
    return;
  }
  data_ = std::move(*data);
  auto plan = planSync(event_, data_, h_.config_.storage_root);
  if (!plan.ok()) {
    failTerminal(plan.error().message);
    return;
  }
  plan_ = std::move(*plan);
  const std::string base = tempBase(h_.config_.work_dir, h_.rt_.random.next());
  out_path_ = base + ".pkg";
  log().debug("event=VersionSyncStarted id={} key={} corr={} generation={} attempt={} object={}", event_.id,
              event_.key, event_.corr, data_.generation, data_.attempt, plan_.object_key);
  if (plan_.local) {
    package(true);
    return;
  }
  download_path_ = base + ".download";
  fetch();
}

void VersionSyncHandler::Job::fetch() {
  step([&] {
    return h_.source_.fetch(moduleFetchFor(plan_, download_path_),
                            [this](core::Result<core::FetchedFile> r) { onFetched(std::move(r)); });
  });
}

void VersionSyncHandler::Job::onFetched(core::Result<core::FetchedFile> result) {
  if (!result.ok()) {
    fail(Stage::Fetch, result.error());
    return;
  }
  log().debug("event=ModuleFetched id={} key={} ref={} bytes={}", event_.id, event_.key, result->ref,
              result->size);
  package(false);
}

void VersionSyncHandler::Job::package(bool local) {
  auto done = [this](core::Result<core::PackagedArtifact> r) { onPackaged(std::move(r)); };
  if (local) {
    step([&] {
      return h_.packager_.packageLocal(
          core::LocalPackageJob{*plan_.spec.module_config_ref->repo_url, plan_.spec.version, out_path_, plan_.format},
          done);
    });
    return;
  }
  step([&] { return h_.packager_.repack(core::RepackJob{download_path_, out_path_, plan_.format, true}, done); });
}

void VersionSyncHandler::Job::onPackaged(core::Result<core::PackagedArtifact> result) {
  if (!download_path_.empty()) {
    removeQuietly(download_path_);  // the untrusted download is not needed any more
  }
  if (!result.ok()) {
    fail(Stage::Package, result.error());
    return;
  }
  artifact_ = std::move(*result);
  store(false);
}

void VersionSyncHandler::Job::store(bool replace) {
  core::PutRequest request{plan_.object_key, out_path_, artifact_.sha256, artifact_.size,
                           std::string(contentType(plan_.format)), replace};
  step([&] {
    return h_.store_.put(std::move(request),
                         [this, replace](core::Result<core::PutResult> r) { onStored(replace, std::move(r)); });
  });
}

void VersionSyncHandler::Job::onStored(bool replace, core::Result<core::PutResult> result) {
  if (!result.ok()) {
    if (result.error().code == core::Errc::Conflict && !replace) {
      onConflict(result.error());
      return;
    }
    fail(Stage::Store, result.error());
    return;
  }
  if (replace && result->created) {
    ++h_.metrics_.replaced;
  }
  succeed();
}

// A different artifact is stored under the key. Immutable: refuse, naming both checksums
// (stat() gives the stored one). Otherwise replace it, as the reference does.
void VersionSyncHandler::Job::onConflict(core::Error conflict) {
  if (!plan_.immutable) {
    log().warn("event=ArtifactReplaced id={} key={} object={} checksum={} detail=\"{}\"", event_.id, event_.key,
               plan_.object_key, artifact_.sha256.base64(), conflict.message);
    store(true);
    return;
  }
  step([&] {
    return h_.store_.stat(plan_.object_key, [this, conflict](core::Result<core::ObjectInfo> info) {
      if (!info.ok() && info.error().retryable()) {
        fail(Stage::Store, info.error());
        return;
      }
      const std::string what = "immutable version " + plan_.spec.version + " changed upstream: ";
      if (info.ok() && info->sha256) {
        failTerminal(what + "stored checksum " + info->sha256->base64() + ", new checksum " +
                     artifact_.sha256.base64() + "; the stored artifact is kept");
        return;
      }
      failTerminal(what + conflict.message + "; the stored object is kept");
    });
  });
}

void VersionSyncHandler::Job::succeed() {
  removeTempFiles();
  auto facts = storedFacts(h_.config_.facts_stream, event_, data_, plan_.file_name, plan_.object_key,
                           artifact_.sha256, artifact_.size, nowMs());
  ++h_.metrics_.synced;
  log().debug("event=VersionSynced id={} key={} corr={} object={} checksum={} bytes={}", event_.id, event_.key,
              event_.corr, plan_.object_key, artifact_.sha256.base64(), artifact_.size);
  finish(std::move(facts));
}

void VersionSyncHandler::Job::fail(Stage stage, const core::Error& error) {
  std::string reason;
  switch (stage) {
    case Stage::Fetch:
      reason = "download of " + plan_.spec.module_config_ref->repo_owner + "/" +
               plan_.spec.module_config_ref->name.value_or("") + " " + plan_.spec.version +
               " failed: " + error.message;
      break;
    case Stage::Package:
      reason = (error.code == core::Errc::Invalid ? "archive rejected: " : "packaging failed: ") + error.message;
      break;
    case Stage::Store:
      reason = "storing " + plan_.object_key + " failed: " + error.message;
      break;
  }
  conclude(std::move(reason), error.retryable());
}

void VersionSyncHandler::Job::failTerminal(std::string reason) { conclude(std::move(reason), false); }

void VersionSyncHandler::Job::conclude(std::string reason, bool retryable) {
  removeTempFiles();
  FailurePlan plan = planFailure(retryRulesOf(h_.config_), event_, data_, std::move(reason), retryable,
                                 h_.rt_.clock.now(), h_.rt_.random);
  step([&] {
    return answerFailure(std::move(plan), event_, data_, h_.rt_, h_.metrics_,
                         [this](core::Result<std::vector<core::AppendRecord>> r) { finish(std::move(r)); });
  });
}

VersionSyncHandler::VersionSyncHandler(Runtime runtime, core::ModuleSource& source, core::Packager& packager,
                                       core::ObjectStore& store, VersionSyncConfig config)
    : rt_(runtime), source_(source), packager_(packager), store_(store), config_(std::move(config)) {}

VersionSyncHandler::~VersionSyncHandler() = default;

core::CancelablePtr VersionSyncHandler::handle(const Envelope& event, const core::StreamEntry& raw, Done done) {
  if (event.type != type::kVersionSyncRequested) {
    ++metrics_.ignored;
    rt_.logger.warn("event=WorkIgnored id={} type={} key={} entry={}", event.id, event.type, event.key, raw.id);
    done(std::vector<core::AppendRecord>{});
    return core::completedHandle();
  }
  if (provider_source_ != nullptr && verifier_ != nullptr && isProviderRequest(event)) {
    return startProviderSync(ProviderSyncDeps{rt_, *provider_source_, *verifier_, packager_, store_, config_, metrics_}, event,
                             std::move(done));
  }
  auto job = std::make_unique<Job>(*this, event, std::move(done));
  job->start();
  return job;
}

core::Result<size_t> prepareWorkDir(const std::string& work_dir, std::chrono::seconds older_than) {
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot create work directory " + work_dir + ": " + ec.message());
  }
  const auto cutoff = fs::file_time_type::clock::now() - older_than;
  size_t removed = 0;
  fs::directory_iterator it(work_dir, ec);
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot read work directory " + work_dir + ": " + ec.message());
  }
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    std::error_code item_ec;
    // Never follows links: a symlink named like a temp file is removed as a link, if at all.
    if (!it->path().filename().string().starts_with(kSyncTempPrefix) || !it->is_regular_file(item_ec) ||
        it->is_symlink(item_ec)) {
      continue;
    }
    if (it->last_write_time(item_ec) < cutoff && !item_ec && fs::remove(it->path(), item_ec)) {
      ++removed;
    }
  }
  if (ec) {
    return core::makeError(core::Errc::Unavailable, "cannot read work directory " + work_dir + ": " + ec.message());
  }
  return removed;
}

RetryRules retryRulesOf(const VersionSyncConfig& config) {
  return RetryRules{config.retry, config.max_attempts, config.facts_stream, config.work_stream};
}

core::CancelablePtr answerFailure(FailurePlan plan, const Envelope& event,
                                  const VersionSyncRequested& data, Runtime& rt,
                                  VersionSyncMetrics& metrics, Handler::Done done) {
  if (!plan.retry) {
    ++metrics.failed;
    rt.logger.warn("event=VersionSyncFailed id={} key={} corr={} attempt={} reason=\"{}\"", event.id,
                   event.key, event.corr, data.attempt, plan.reason);
    std::vector<core::AppendRecord> facts;
    facts.push_back(std::move(plan.fact));
    done(std::move(facts));
    return nullptr;
  }
  rt.logger.warn("event=VersionSyncRetry id={} key={} corr={} attempt={} retry_ms={} reason=\"{}\"",
                 event.id, event.key, event.corr, data.attempt, plan.delay.count(), plan.reason);
  return rt.log.schedule(std::move(*plan.retry),
                         [&metrics, fact = std::move(plan.fact), done = std::move(done)](
                             core::Status status) mutable {
                           if (!status.ok()) {
                             done(status.error());
                             return;
                           }
                           ++metrics.retries;
                           std::vector<core::AppendRecord> facts;
                           facts.push_back(std::move(fact));
                           done(std::move(facts));
                         });
}

}  // namespace od::events
