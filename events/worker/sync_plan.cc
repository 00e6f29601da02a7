#include "events/worker/sync_plan.h"

#include <cstdio>
#include <utility>

#include "core/json_writer.h"
#include "core/resources/meta.h"
#include "core/storage_key.h"

namespace od::events {
namespace {

struct VersionKey {
  std::string name_space;
  std::string name;
};

// "Version/<ns>/<name>" (the aggregate key of every Version event).
core::Result<VersionKey> splitVersionKey(std::string_view key) {
  const size_t first = key.find('/');
  const size_t second = first == std::string_view::npos ? first : key.find('/', first + 1);
  if (second == std::string_view::npos || key.substr(0, first) != core::kKindVersion ||
      key.find('/', second + 1) != std::string_view::npos) {
    return core::makeError(core::Errc::Invalid,
                           "event key '" + std::string(key) + "' is not Version/<namespace>/<name>");
  }
  return VersionKey{std::string(key.substr(first + 1, second - first - 1)),
                    std::string(key.substr(second + 1))};
}

// The Version document the spec belongs to, so the resource parser validates it whole.
std::string versionDocument(const VersionKey& key, std::string_view spec_json) {
  core::JsonWriter w;
  w.beginObject();
  w.member("apiVersion", core::kApiVersion).member("kind", core::kKindVersion);
  w.key("metadata").beginObject().member("name", key.name).member("namespace", key.name_space).endObject();
  w.key("spec").raw(spec_json);
  w.endObject();
  return w.take();
}

core::Error invalid(std::string message) { return core::makeError(core::Errc::Invalid, std::move(message)); }

}  // namespace

core::Result<core::Version> requestVersion(const Envelope& event, const VersionSyncRequested& request) {
  OD_TRY(VersionKey key, splitVersionKey(event.key));
  auto version = core::parseVersion(versionDocument(key, request.spec));
  if (!version.ok()) {
    return invalid("invalid Version: " + version.error().message);
  }
  return version;
}

core::Result<StoredAs> storedAs(const core::VersionSpec& spec, int64_t attempt,
                                std::string_view storage_root) {
  if (attempt < 1) {
    return invalid("attempt " + std::to_string(attempt) + " is not a positive number");
  }
  if (!spec.file_name) {
    return invalid("spec.fileName is not set yet (the reconciler fixes it before a sync)");
  }
  auto object_key = core::artifactKey(spec, storage_root);
  if (!object_key.ok()) {
    return invalid("no storage location: " + object_key.error().message);
  }
  return StoredAs{*spec.file_name, std::move(*object_key)};
}

std::string tempBase(std::string_view work_dir, uint64_t random_bits) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(random_bits));
  return std::string(work_dir) + "/" + std::string(kSyncTempPrefix) + hex;
}

core::Result<SyncPlan> planSync(const Envelope& event, const VersionSyncRequested& request,
                                std::string_view storage_root) {
  OD_TRY(core::Version version, requestVersion(event, request));
  SyncPlan plan;
  plan.name_space = version.metadata.namespace_;
  plan.spec = std::move(version.spec);
  if (plan.spec.type == core::kVersionTypeProvider) {
    return invalid(std::string(kProviderNotImplemented));
  }
  const core::ModuleConfig& config = *plan.spec.module_config_ref;  // validated: type Module
  OD_TRY(StoredAs stored, storedAs(plan.spec, request.attempt, storage_root));
  plan.file_name = std::move(stored.file_name);
  plan.object_key = std::move(stored.object_key);
  plan.format = config.file_format.value_or("zip") == "tar" ? core::ArtifactFormat::TarGz
                                                            : core::ArtifactFormat::Zip;
  plan.local = config.repo_url.has_value() && config.repo_url->starts_with("file://");
  plan.immutable = config.immutable.value_or(false);
  if (!plan.local && config.repo_owner.empty()) {
    return invalid("spec.moduleConfigRef.repoOwner is required to download from GitHub");
  }
  return plan;
}

core::ModuleFetch moduleFetchFor(const SyncPlan& plan, std::string dest_path) {
  const core::ModuleConfig& config = *plan.spec.module_config_ref;
  core::ModuleFetch fetch;
  fetch.repo_url = config.repo_url.value_or("");
  fetch.owner = config.repo_owner;
  fetch.repo = config.name.value_or("");
  fetch.version = plan.spec.version;
  fetch.format = plan.format == core::ArtifactFormat::TarGz ? "tar" : "zip";
  fetch.auth.use_app = config.github_client_config.has_value() &&
                       config.github_client_config->use_authenticated_client;
  fetch.auth.name_space = plan.name_space;
  fetch.dest_path = std::move(dest_path);
  return fetch;
}

core::AppendRecord retryRecord(std::string_view work_stream, const Envelope& request,
                               const VersionSyncRequested& data, int64_t ts_ms) {
  VersionSyncRequested next = data;
  next.attempt = data.attempt + 1;
  next.reason = SyncReason::Retry;
  EnvelopeMeta meta;
  meta.id = eventId({type::kVersionSyncRequested, request.key, std::to_string(data.generation),
                     std::to_string(next.attempt), "retry", request.id});
  meta.key = request.key;
  meta.corr = request.corr.empty() ? request.id : request.corr;
  meta.cause = request.id;
  meta.ts = ts_ms;
  return toAppendRecord(work_stream, makeEnvelope(next, std::move(meta)));
}

std::vector<core::AppendRecord> storedFacts(std::string_view facts_stream, const Envelope& request,
                                            const VersionSyncRequested& data,
                                            const std::string& file_name,
                                            const std::string& object_key,
                                            const core::Sha256& sha256, uint64_t size, int64_t ts_ms,
                                            std::optional<std::string> h1) {
  const std::string checksum = sha256.base64();
  std::vector<core::AppendRecord> facts;
  facts.push_back(factRecord(facts_stream, request, data,
                             ArtifactStored{data.generation, file_name, object_key, checksum, size},
                             ts_ms));
  facts.push_back(factRecord(facts_stream, request, data,
                             VersionSynced{data.generation, file_name, checksum, size, data.attempt, std::move(h1)},
                             ts_ms));
  return facts;
}

FailurePlan planFailure(const RetryRules& rules, const Envelope& request,
                        const VersionSyncRequested& data, std::string reason, bool retryable,
                        core::Clock::TimePoint now, core::Random& random) {
  FailurePlan plan;
  const int64_t ts = core::unixMillis(now);
  if (retryable && data.attempt >= rules.max_attempts) {
    reason += " (attempt " + std::to_string(data.attempt) + " of " +
              std::to_string(rules.max_attempts) + ", giving up)";
    retryable = false;
  }
  if (!retryable) {
    plan.fact = factRecord(rules.facts_stream, request, data,
                           VersionSyncFailed{data.generation, reason, false, data.attempt, std::nullopt},
                           ts);
    plan.reason = std::move(reason);
    return plan;
  }
  plan.delay = backoff(static_cast<uint64_t>(data.attempt), rules.backoff, random.next());
  const auto due_at = now + plan.delay;
  plan.fact = factRecord(rules.facts_stream, request, data,
                         VersionSyncFailed{data.generation, reason, true, data.attempt,
                                           core::unixMillis(due_at)},
                         ts);
  plan.retry = core::DueRecord{due_at, retryRecord(rules.work_stream, request, data, ts)};
  plan.reason = std::move(reason);
  return plan;
}

}  // namespace od::events
