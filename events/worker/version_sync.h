#pragma once
// VersionSyncHandler: the `worker` role for module Versions. A Handler for the Consumer on
// od:{ctl}:work (group "workers"): each VersionSyncRequested becomes a stored artifact and
// the facts ArtifactStored + VersionSynced, or a VersionSyncFailed fact (ARCHITECTURE "The
// data's way through the house"; house style §3 and §6).
//
// DESIGN
// - Per request: decode the data and the Version spec (the event key "Version/<ns>/<name>"
//   supplies the metadata); key = core::artifactKey(spec, storage_root). A file:// repoUrl
//   is packaged locally (Packager::packageLocal); anything else is downloaded from GitHub
//   (ModuleSource::fetch, repoOwner/name) into a per-attempt file under work_dir and
//   repacked with the wrapper directory stripped. fileFormat "tar" -> .tar.gz, else zip.
// - Store: ObjectStore::put (create-or-verify). A different checksum under the key is a
//   terminal failure naming both checksums when moduleConfigRef.immutable is set (the stored
//   artifact is kept); otherwise the object is replaced (PutRequest::replace, the reference's
//   behaviour), a warning is logged and the new checksum is recorded in the facts.
// - Results go back to the Consumer, which appends them to od:{ctl}:facts and then acks.
//   Fact ids are eventId({type, key, generation, attempt, request id}): a redelivered request
//   yields the same ids, so the log drops the duplicates; the store answers created=false.
// - Failures: Unavailable/Timeout (network, 5xx upstream, a full pool) are retryable: while
//   attempt < max_attempts a VersionSyncRequested{attempt+1, reason retry} is scheduled in
//   the due set at now + backoff(attempt) (deterministic id, so rescheduling is idempotent)
//   and a VersionSyncFailed{retryable, nextAttemptAt} fact is returned; after that, or for
//   any other error (tag not found, archive rejected, permission, invalid spec, provider
//   Versions when setProviderSync() was not given a source and a verifier), a terminal
//   VersionSyncFailed{retryable=false} whose reason says what an operator must look at.
//   Only a failing schedule() or an undecodable event reaches the Consumer as an error
//   (retried locally / parked).
// - Temp files ("<work_dir>/.od-sync-<random>.download|.pkg") are removed when a request
//   ends, whatever the outcome (also when the handle is dropped; a pool job still running
//   then may finish its file afterwards). prepareWorkDir() at startup removes what a killed
//   or cancelled request left. Removing them is one unlink each on the loop thread.
// - Provider Versions go to the provider path (provider_sync.h) once setProviderSync() has
//   given a ProviderSource and a SignatureVerifier: verify SHA256SUMS, then the zip, then put.
// - Event types other than VersionSyncRequested are acknowledged without results (warned).
// Thread affinity: loop thread only. Ownership: the Runtime's referents, *source, *packager
// and *store must outlive the handler; handles returned by handle() must not outlive it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/ports/object_store.h"
#include "core/ports/packager.h"
#include "core/ports/sources.h"
#include "core/ports/verifier.h"
#include "events/codec.h"
#include "events/consumer.h"
#include "events/runtime.h"
#include "events/scheduler.h"
#include "events/streams.h"
#include "events/worker/sync_plan.h"

namespace od::events {

struct VersionSyncConfig {
  std::string work_dir;      // downloads and packaged files; must exist (prepareWorkDir)
  std::string storage_root;  // --storage-root: object keys are relative to it
  BackoffPolicy retry{std::chrono::milliseconds(10000), std::chrono::milliseconds(600000), 0.5};
  int64_t max_attempts = 5;  // attempts per generation; the last failure is terminal
  std::string facts_stream = std::string(streams::kFacts);
  std::string work_stream = std::string(streams::kWork);  // where retries are released
};

struct VersionSyncMetrics {
  uint64_t synced = 0;            // requests that ended with VersionSynced
  uint64_t failed = 0;            // terminal VersionSyncFailed
  uint64_t retries = 0;           // retryable failures with a retry scheduled
  uint64_t replaced = 0;          // mutable artifacts replaced after an upstream change
  uint64_t ignored = 0;           // other event types
};

// Shared by the module and the provider jobs (sync_plan.h's planFailure() decides; these
// carry it out).
struct RetryRules;
struct FailurePlan;
// The retry part of the config.
RetryRules retryRulesOf(const VersionSyncConfig& config);
// Answers a failed request: a terminal failure is counted, logged and answered at once (the
// handle is null); a retry is scheduled in the due set first and answered with its fact
// once scheduled (a failed schedule answers with the error: the Consumer retries the entry).
core::CancelablePtr answerFailure(FailurePlan plan, const Envelope& event,
                                  const VersionSyncRequested& data, Runtime& rt,
                                  VersionSyncMetrics& metrics, Handler::Done done);


class VersionSyncHandler final : public Handler {
 public:
  VersionSyncHandler(Runtime runtime, core::ModuleSource& source, core::Packager& packager,
                     core::ObjectStore& store, VersionSyncConfig config);
  ~VersionSyncHandler() override;
  VersionSyncHandler(const VersionSyncHandler&) = delete;
  VersionSyncHandler& operator=(const VersionSyncHandler&) = delete;

  // events::Handler
  core::CancelablePtr handle(const Envelope& event, const core::StreamEntry& raw,
                             Done done) override;

  const VersionSyncMetrics& metrics() const { return metrics_; }

  // Enables provider Versions (provider_sync.h): with both set, a request whose spec.type is
  // Provider is resolved, verified and stored through *source and *verifier; with either null
  // (the default), provider Versions stay a terminal failure. Call before the first handle().
  // *source and *verifier must outlive the handler.
  void setProviderSync(core::ProviderSource* source, core::SignatureVerifier* verifier) {
    provider_source_ = source;
    verifier_ = verifier;
  }

  class Job;  // one request in flight (version_sync.cc)

 private:
  friend class Job;
  Runtime rt_;
  core::ModuleSource& source_;
  core::Packager& packager_;
  core::ObjectStore& store_;
  VersionSyncConfig config_;
  VersionSyncMetrics metrics_;
  core::ProviderSource* provider_source_ = nullptr;  // not owned; null: providers refused
  core::SignatureVerifier* verifier_ = nullptr;      // not owned
};

// Creates work_dir if missing and removes kSyncTempPrefix files in it older than
// `older_than` (a live request's files are younger). Blocking: call it at startup, before
// the loop runs. Returns how many files were removed; Errc::Unavailable when work_dir
// cannot be created or read.
core::Result<size_t> prepareWorkDir(const std::string& work_dir, std::chrono::seconds older_than);

}  // namespace od::events
