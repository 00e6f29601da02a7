#include "adapters/main/app.h"

#include <curl/curl.h>
#include <ev.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "adapters/archive/packager.h"
#include "adapters/crypto/openssl_hasher.h"
#include "adapters/crypto/system_random.h"
#include "adapters/devstore/dev_watch.h"
#include "adapters/devstore/local_resource_store.h"
#include "adapters/devstore/manifest_folder.h"
#include "adapters/exec/worker_pool.h"
#include "adapters/github/github_module_source.h"
#include "adapters/github/secret_reader.h"
#include "adapters/kube/kube_client.h"
#include "adapters/kube/kube_config.h"
#include "adapters/kube/watch_adapter.h"
#include "adapters/log/logging.h"
#include "adapters/loop/event_loop.h"
#include "adapters/loop/libev_clock.h"
#include "adapters/main/dev_support.h"
#include "adapters/main/shared_key.h"
#include "adapters/main/signing_env.h"
#include "adapters/main/single_active.h"
#include "adapters/stats/stats_projection.h"
#include "adapters/stats/stream_download_recorder.h"
#include "adapters/registry/opentofu_registry_source.h"
#include "adapters/registry/releases_api_source.h"
#include "adapters/sign/gpgme_signer.h"
#include "adapters/sign/gpgme_verifier.h"
#include "adapters/storage/fs/fs_object_store.h"
#include "adapters/valkey/valkey_event_log.h"
#include "adapters/valkey/valkey_lease.h"
#include "events/consumer.h"
#include "events/reconcile/controller.h"
#include "events/reconcile/depot_controller.h"
#include "events/reconcile/status_writer.h"
#include "events/scheduler.h"
#include "events/worker/depot_poll.h"
#include "events/worker/version_sync.h"
#include "http/registry/registry_routes.h"
#include "http/router.h"
#include "http/server.h"
#include "projections/read_model/feed.h"

namespace od::adapters::main {
namespace {

constexpr std::chrono::milliseconds kLeaseTtl{15000};

std::set<std::string> rolesOf(const config::Options& options, bool dev) {
  std::set<std::string> roles;
  for (const auto& r : options.roles) {
    if (r == "all" || dev) {
      roles = {"watch", "reconcile", "status", "worker", "serve"};
      break;
    }
    roles.insert(r);
  }
  return roles;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
    return "opendepot";
  }
  return buf;
}

// host:port → (host, port). Errors: Invalid.
core::Result<std::pair<std::string, uint16_t>> splitListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return core::makeError(core::Errc::Invalid, "--listen '" + listen + "' is not host:port");
  }
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return core::makeError(core::Errc::Invalid, "--listen '" + listen + "' has no valid port");
  }
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(port));
}

// The process: adapters, then the roles asked for, all on one control loop.
class Registry {
 public:
  Registry(loop::EventLoop& loop, const RunRequest& request, std::string valkey_url)
      : loop_(loop),
        request_(request),
        options_(request.options),
        valkey_url_(std::move(valkey_url)),
        clock_(loop),
        roles_(rolesOf(request.options, request.dev)),
        runtime_{forward_, clock_, random_, log::logger("events")} {}

  core::Status start();
  // Stops every role, the HTTP server first; calls `done` on the loop when all is quiet.
  void stop(std::function<void()> done);

  uint16_t httpPort() const { return server_ ? server_->port() : 0; }
  // True once the leases given up by stop() are released.
  bool released() const {
    return (!reconcile_gate_ || reconcile_gate_->released()) &&
           (!status_gate_ || status_gate_->released());
  }

 private:
  core::Status startLog();
  core::Status startResources();
  core::Status startStorage();
  void startWatch();
  void startReconcile();
  void startStatus();
  core::Status startWorker();
  core::Status startServe();
  core::Status startSigner();
  std::string metricsText() const;
  void refreshMetrics();
  void sweepStoreTemps(std::chrono::seconds age);

  // The Runtime refers to the EventLog before the Valkey one exists (it is made in start(),
  // where a bad URL can still be reported): this forwards to it once it does.
  class ForwardingLog final : public core::EventLog {
   public:
    core::EventLog* target = nullptr;
    core::CancelablePtr append(std::vector<core::AppendRecord> r,
                               Callback<std::vector<core::AppendResult>> d) override {
      return target->append(std::move(r), std::move(d));
    }
    core::CancelablePtr read(std::string s, std::string a, size_t c, std::chrono::milliseconds b,
                             Callback<std::vector<core::StreamEntry>> d) override {
      return target->read(std::move(s), std::move(a), c, b, std::move(d));
    }
    core::CancelablePtr ensureGroup(std::string s, std::string g, StatusCallback d) override {
      return target->ensureGroup(std::move(s), std::move(g), std::move(d));
    }
    core::CancelablePtr readGroup(core::GroupRead r, Callback<std::vector<core::Delivery>> d) override {
      return target->readGroup(std::move(r), std::move(d));
    }
    core::CancelablePtr ack(std::string s, std::string g, std::vector<std::string> ids,
                            StatusCallback d) override {
      return target->ack(std::move(s), std::move(g), std::move(ids), std::move(d));
    }
    core::CancelablePtr claimIdle(core::ClaimRequest r, Callback<core::ClaimResult> d) override {
      return target->claimIdle(std::move(r), std::move(d));
    }
    core::CancelablePtr schedule(core::DueRecord r, StatusCallback d) override {
      return target->schedule(std::move(r), std::move(d));
    }
    core::CancelablePtr releaseDue(std::chrono::system_clock::time_point n, size_t c,
                                   Callback<size_t> d) override {
      return target->releaseDue(n, c, std::move(d));
    }
    core::CancelablePtr loadCheckpoint(std::string n,
                                       Callback<std::optional<std::string>> d) override {
      return target->loadCheckpoint(std::move(n), std::move(d));
    }
    core::CancelablePtr storeCheckpoint(std::string n, std::string id, StatusCallback d) override {
      return target->storeCheckpoint(std::move(n), std::move(id), std::move(d));
    }
  };

  loop::EventLoop& loop_;
  const RunRequest& request_;
  const config::Options& options_;
  std::string valkey_url_;
  loop::LibevClock clock_;
  crypto::SystemRandom random_;
  crypto::OpenSslHasher hasher_;
  std::set<std::string> roles_;
  ForwardingLog forward_;
  events::Runtime runtime_;
  // Who holds leases and consumes as this process. A restart with the same token takes its
  // leases back at once: in dev the token names the state folder; in a cluster it is the pod.
  std::string token_ = request_.dev ? "dev-" + hostName() + ":" + request_.state_dir
                                    : hostName() + "-" + std::to_string(::getpid());

  valkey::ValkeyOptions valkey_options_;
  std::unique_ptr<valkey::ValkeyEventLog> log_;
  std::unique_ptr<valkey::ValkeyLease> lease_;
  std::unique_ptr<exec::WorkerPool> pool_;
  std::unique_ptr<storage::FsObjectStore> objects_;
  std::unique_ptr<kube::KubeClient> kube_;
  std::unique_ptr<devstore::LocalResourceStore> local_;
  core::ResourceStore* resources_ = nullptr;

  std::unique_ptr<kube::WatchAdapter> watch_;
  std::unique_ptr<devstore::ManifestFolder> manifests_;
  std::unique_ptr<devstore::DevWatch> dev_watch_;

  std::unique_ptr<events::ModuleController> controller_;
  std::unique_ptr<events::DepotController> depots_;
  std::unique_ptr<events::Scheduler> scheduler_;
  std::unique_ptr<SingleActive> reconcile_gate_;
  std::unique_ptr<events::StatusWriter> status_;
  std::unique_ptr<SingleActive> status_gate_;
  std::unique_ptr<stats::StatsProjection> stats_;
  std::unique_ptr<events::Consumer> stats_consumer_;

  std::unique_ptr<github::GithubModuleSource> github_;
  std::unique_ptr<archive::ArchivePackager> packager_;
  std::unique_ptr<registry::OpenTofuRegistrySource> provider_source_;
  // --provider-versions-from=releases-api: lists hashicorp/* from the HashiCorp releases API
  // and hands every other call to provider_source_. Listings go through providerListing().
  std::unique_ptr<registry::ReleasesApiSource> releases_source_;
  core::ProviderSource& providerListing() {
    return releases_source_ ? static_cast<core::ProviderSource&>(*releases_source_) : *provider_source_;
  }
  std::unique_ptr<sign::GpgmeVerifier> verifier_;
  std::unique_ptr<events::VersionSyncHandler> sync_handler_;
  std::unique_ptr<events::DepotPollHandler> depot_poll_;
  std::unique_ptr<events::WorkRouter> work_router_;  // the work consumer's handler
  std::unique_ptr<events::Consumer> worker_;
  core::CancelablePtr sweep_call_;
  core::CancelablePtr sweep_timer_;

  std::unique_ptr<sign::GpgmeSigner> signer_;  // provider SHA256SUMS; outlives feed_
  std::vector<core::PublicKey> signing_keys_;   // what signing_keys publishes (current first)
  proj::SnapshotHolder snapshots_;
  std::unique_ptr<proj::ReadModelFeed> feed_;
  std::unique_ptr<stats::StreamDownloadRecorder> recorder_;  // the router's handlers use it
  http::Router router_;
  std::unique_ptr<http::Server> server_;

  // /metrics text of the roles, rendered on the loop and read by the HTTP threads.
  mutable std::mutex metrics_mu_;
  std::string metrics_text_;
  core::CancelablePtr metrics_timer_;
};

core::Status Registry::startLog() {
  OD_TRY(config::ValkeyAddress address, config::parseValkeyUrl(valkey_url_));
  if (address.tls) {
    return core::makeError(core::Errc::Invalid,
                           "rediss:// (TLS to Valkey) is not supported by this build yet: use "
                           "redis:// inside the cluster network, or a TLS sidecar");
  }
  valkey::ValkeyOptions vo;
  vo.host = address.host;
  vo.port = address.port;
  vo.user = address.user;
  vo.password = address.password;
  vo.db = address.db;
  // One blocking connection per live reader: the read model (2 streams), the reconciler (3),
  // the status writer (2) and the worker's consumer (1) in an all-in-one process. Fewer
  // would queue reads behind each other's BLOCK time until they time out.
  vo.max_blocking_connections = 16;  // + the Depot controller (3)
  valkey_options_ = vo;
  log_ = std::make_unique<valkey::ValkeyEventLog>(loop_, vo, log::logger("valkey"));
  lease_ = std::make_unique<valkey::ValkeyLease>(loop_, vo, log::logger("valkey"));
  forward_.target = log_.get();
  return core::Status();
}

core::Status Registry::startResources() {
  const bool needs_store = roles_.count("watch") || roles_.count("reconcile") ||
                           roles_.count("status") || roles_.count("worker");
  if (!needs_store) {
    return core::Status();
  }
  if (request_.dev) {
    devstore::LocalStoreOptions lo;
    lo.state_file = request_.state_dir + "/" + std::string(devstore::kStateFileName);
    lo.logger = &log::logger("k8s");
    local_ = std::make_unique<devstore::LocalResourceStore>(loop_, clock_, random_, lo);
    OD_TRY(devstore::OpenReport report, local_->open());
    if (!report.moved_aside.empty()) {
      log::logger("main").error("the dev store was corrupt ({}); it was moved to {} and starts empty",
                                report.problem, report.moved_aside);
    }
    resources_ = local_.get();
    return core::Status();
  }
  auto kc = options_.kubeconfig.empty() ? kube::loadInCluster() : kube::loadKubeconfig(options_.kubeconfig);
  if (!kc.ok()) {
    return core::makeError(kc.error().code,
                           (options_.kubeconfig.empty() ? "in-cluster configuration: "
                                                        : "--kubeconfig " + options_.kubeconfig + ": ") +
                               kc.error().message);
  }
  kube_ = std::make_unique<kube::KubeClient>(loop_, std::move(kc).value(), kube::ClientOptions{},
                                             log::logger("k8s"));
  resources_ = kube_.get();
  return core::Status();
}

core::Status Registry::startStorage() {
  exec::WorkerPoolOptions po;
  po.threads = 2;
  pool_ = std::make_unique<exec::WorkerPool>(loop_, po);
  if (!roles_.count("worker") && !roles_.count("reconcile")) {
    return core::Status();
  }
  storage::FsObjectStoreOptions so;
  so.root = options_.storage_root;
  auto store = storage::FsObjectStore::open(loop_, *pool_, so);
  if (!store.ok()) {
    return core::makeError(store.error().code,
                           "--storage-root " + options_.storage_root + ": " + store.error().message);
  }
  objects_ = std::move(store).value();
  return core::Status();
}

void Registry::startWatch() {
  if (request_.dev) {
    devstore::DevWatchOptions wo;
    wo.logger = &log::logger("k8s");
    dev_watch_ = std::make_unique<devstore::DevWatch>(*local_, *log_, clock_, wo);
    devstore::ManifestFolderOptions mo;
    mo.directory = request_.manifests_dir;
    mo.logger = &log::logger("k8s");
    manifests_ = std::make_unique<devstore::ManifestFolder>(*local_, clock_, mo);
    dev_watch_->start();
    manifests_->start();
    return;
  }
  kube::WatchAdapterOptions wo;
  wo.namespaces = options_.namespaces;
  wo.lease_token = token_;
  watch_ = std::make_unique<kube::WatchAdapter>(*kube_, *log_, *lease_, clock_, wo);
  watch_->start();
}

void Registry::startReconcile() {
  events::ModuleControllerConfig cc;
  cc.storage_root = options_.storage_root;
  controller_ = std::make_unique<events::ModuleController>(runtime_, *resources_, objects_.get(), cc);
  events::DepotControllerConfig dc;
  dc.minute = std::chrono::milliseconds(*config::parseSeconds(options_.depot_poll_minute_ms));
  depots_ = std::make_unique<events::DepotController>(runtime_, *resources_, dc);
  scheduler_ = std::make_unique<events::Scheduler>(runtime_, events::SchedulerConfig{});
  reconcile_gate_ = std::make_unique<SingleActive>(
      *lease_, clock_, log::logger("main"), "reconcile", token_, kLeaseTtl,
      [this] {
        controller_->start();
        depots_->start();
        scheduler_->start();
      },
      [this] {
        controller_->stop();
        depots_->stop();
        scheduler_->stop();
      });
  reconcile_gate_->start();
}

void Registry::startStatus() {
  status_ = std::make_unique<events::StatusWriter>(runtime_, *resources_, events::StatusWriterConfig{});
  status_gate_ = std::make_unique<SingleActive>(
      *lease_, clock_, log::logger("main"), "status", token_, kLeaseTtl,
      [this] { status_->start(); }, [this] { status_->stop(); });
  status_gate_->start();
  // Download statistics: a consumer group, so every status replica may share the work; each
  // event is counted once whoever handles it (the projection's FUNCTION marks it).
  stats_ = std::make_unique<stats::StatsProjection>(loop_, valkey_options_, log::logger("proj"));
  stats_consumer_ = std::make_unique<events::Consumer>(runtime_, *stats_,
                                                       stats::statsConsumerConfig(token_));
  stats_consumer_->start();
}

core::Status Registry::startWorker() {
  github::GithubOptions go;
  go.api_url = options_.github_api_url;
  go.allow_plain_http = options_.allow_plain_http;
  go.upstream_allow = options_.upstream_allow;
  // GitHub App credentials live in a Secret of the Module's namespace (the reference's
  // layout); the dev store holds no Secrets, so App auth reports that clearly there.
  github::SecretReader secrets = github::secretReaderFor(*resources_);
  auto source = github::GithubModuleSource::create(loop_, clock_, std::move(secrets), go);
  if (!source.ok()) {
    return core::makeError(source.error().code, "--github-api-url: " + source.error().message);
  }
  github_ = std::move(source).value();
  // Per host name: a restarted container of the same pod finds what its predecessor left;
  // two pods on one node never share (and never sweep) each other's files.
  const std::string work_dir =
      request_.dev ? request_.state_dir + "/work"
                   : (std::filesystem::temp_directory_path() / "opendepot-work" / hostName()).string();
  const std::chrono::seconds temp_age(*config::parseSeconds(options_.temp_max_age));
  OD_TRY(size_t swept, events::prepareWorkDir(work_dir, temp_age));
  if (swept > 0) {
    log::logger("worker").info("removed {} files a previous worker left in {}", swept, work_dir);
  }
  sweepStoreTemps(temp_age);
  archive::PackagerOptions pko;
  pko.temp_parent = work_dir;
  packager_ = std::make_unique<archive::ArchivePackager>(loop_, *pool_, pko, hasher_);
  packager_->sweepStale(temp_age);
  events::VersionSyncConfig vc;
  vc.work_dir = work_dir;
  vc.storage_root = options_.storage_root;
  sync_handler_ = std::make_unique<events::VersionSyncHandler>(runtime_, *github_, *packager_,
                                                               *objects_, vc);
  // Providers: resolved through the OpenTofu-protocol registry, verified (signature over
  // SHA256SUMS, the zip's hash listed under its file name) before anything is stored.
  registry::RegistryOptions ro;
  ro.base_url = options_.provider_registry_url;
  ro.allow_plain_http = options_.allow_plain_http;
  ro.upstream_allow = options_.upstream_allow;
  auto providers = registry::OpenTofuRegistrySource::create(loop_, ro);
  if (!providers.ok()) {
    return core::makeError(providers.error().code,
                           "--provider-registry-url: " + providers.error().message);
  }
  provider_source_ = std::move(providers).value();
  if (options_.provider_versions_from == "releases-api") {
    registry::ReleasesApiOptions rao;
    rao.base_url = options_.releases_api_url;
    rao.transport = registry::transportOf(ro);
    auto releases = registry::ReleasesApiSource::create(loop_, rao, *provider_source_);
    if (!releases.ok()) {
      return core::makeError(releases.error().code, "--releases-api-url: " + releases.error().message);
    }
    releases_source_ = std::move(releases).value();
  }
  verifier_ = std::make_unique<sign::GpgmeVerifier>(loop_, *pool_);
  sync_handler_->setProviderSync(provider_source_.get(), verifier_.get());
  events::ConsumerConfig wc;
  wc.stream = std::string(events::streams::kWork);
  wc.group = "workers";
  wc.consumer = token_;
  wc.min_idle = std::chrono::seconds(*config::parseSeconds(options_.claim_idle));
  wc.claim_interval = std::clamp<std::chrono::milliseconds>(wc.min_idle / 4, std::chrono::seconds(1),
                                                            std::chrono::seconds(30));
  // Depot polls list releases through the same GitHub and registry sources.
  depot_poll_ = std::make_unique<events::DepotPollHandler>(runtime_, *github_, providerListing(),
                                                           events::DepotPollConfig{});
  work_router_ = std::make_unique<events::WorkRouter>(*sync_handler_);
  work_router_->route(std::string(events::type::kDepotPollRequested), *depot_poll_);
  worker_ = std::make_unique<events::Consumer>(runtime_, *work_router_, wc);
  worker_->start();
  return core::Status();
}

// Temp files of puts a killed worker left in the storage root: swept now and every five
// minutes, when older than `age` (a live put's file is younger).
void Registry::sweepStoreTemps(std::chrono::seconds age) {
  sweep_call_ = objects_->sweepTempFiles(age, [this, age](core::Result<size_t> removed) {
    if (!removed.ok()) {
      log::logger("blob").warn("sweeping temporary files under {} failed: {}", options_.storage_root,
                               removed.error().describe());
    } else if (*removed > 0) {
      log::logger("blob").info("removed {} temporary files a killed worker left under {}", *removed,
                               options_.storage_root);
    }
    sweep_timer_ = clock_.after(std::chrono::minutes(5), [this, age] { sweepStoreTemps(age); });
  });
}

// Provider SHA256SUMS are signed by the serve role with --gpg-key-file, or with the key in
// the reference's Secret variables (signing_env.h: the chart passes server.gpg.secretName with
// envFrom); without either, providers are still listed and mirrored, but their package
// metadata and signatures answer 501.
core::Status Registry::startSigner() {
  OD_TRY(SigningEnv env, readSigningEnv(processEnv()));
  if (options_.gpg_key_file.empty() && env.private_key.empty()) {
    log::logger("main").warn(
        "no --gpg-key-file and no {}: provider package metadata and SHA256SUMS.sig answer 501 "
        "(the network mirror still serves providers)",
        kGpgPrivateKeyEnv);
    std::vector<core::PublicKey> none;
    return applySigningEnv(env, none);
  }
  sign::GpgmeSignerOptions so;
  so.key_file = options_.gpg_key_file;
  so.private_key = env.private_key;
  so.private_key_source = kGpgPrivateKeyEnv;
  so.previous_key_files = options_.gpg_previous_key_files;
  const std::string source =
      options_.gpg_key_file.empty() ? std::string(kGpgPrivateKeyEnv) : "--gpg-key-file " + options_.gpg_key_file;
  auto signer = sign::GpgmeSigner::create(loop_, *pool_, so);
  if (!signer.ok()) {
    return core::makeError(signer.error().code, source + ": " + signer.error().message);
  }
  signer_ = std::move(signer).value();
  signing_keys_ = signer_->publicKeys();
  if (auto st = applySigningEnv(env, signing_keys_); !st.ok()) {
    return st;
  }
  log::logger("main").info("provider SHA256SUMS are signed with key {} from {} ({} public keys published)",
                           signing_keys_.empty() ? std::string("?") : signing_keys_.front().key_id, source,
                           signing_keys_.size());
  return core::Status();
}

core::Status Registry::startServe() {
  proj::ReadModelFeedOptions fo;
  fo.model.storage_root = options_.storage_root;
  if (auto st = startSigner(); !st.ok()) {
    return st;
  }
  fo.signer = signer_.get();
  feed_ = std::make_unique<proj::ReadModelFeed>(runtime_, snapshots_, fo);
  OD_TRY(std::string key, sharedDownloadKey(valkey_url_, random_));
  http::RegistryConfig rc;
  rc.public_url = options_.public_url;
  rc.storage_root = options_.storage_root;
  rc.token_key = std::move(key);
  recorder_ = std::make_unique<stats::StreamDownloadRecorder>(
      runtime_, [this](std::function<void()> fn) { loop_.post(std::move(fn)); });
  rc.recorder = recorder_.get();
  rc.signing_keys = signing_keys_;
  if (auto st = http::addRegistryRoutes(router_, snapshots_, rc); !st.ok()) {
    return st;
  }
  http::ServerOptions so;
  OD_TRY(auto listen, splitListen(options_.listen));
  so.host = listen.first;
  so.port = listen.second;
  if (!options_.tls_cert.empty()) {
    so.tls = http::TlsFiles{options_.tls_cert, options_.tls_key};
  }
  so.readiness = [this] { return feed_->readiness(); };
  so.extra_metrics = [this] { return metricsText(); };
  server_ = std::make_unique<http::Server>(so, router_, log::logger("http"));
  if (auto st = server_->start(); !st.ok()) {
    return st;
  }
  feed_->start();
  return core::Status();
}

core::Status Registry::start() {
  if (auto st = startLog(); !st.ok()) {
    return st;
  }
  if (auto st = startResources(); !st.ok()) {
    return st;
  }
  if (auto st = startStorage(); !st.ok()) {
    return st;
  }
  if (roles_.count("watch")) {
    startWatch();
  }
  if (roles_.count("reconcile")) {
    startReconcile();
  }
  if (roles_.count("status")) {
    startStatus();
  }
  if (roles_.count("worker")) {
    if (auto st = startWorker(); !st.ok()) {
    return st;
  }
  }
  if (roles_.count("serve")) {
    if (auto st = startServe(); !st.ok()) {
    return st;
  }
  }
  refreshMetrics();
  std::string list;
  for (const auto& r : roles_) {
    list += (list.empty() ? "" : ",") + r;
  }
  log::logger("main").info("opendepot started: roles {}, valkey {}, storage {}", list,
                           valkey_url_.substr(0, valkey_url_.find('@') == std::string::npos
                                                     ? valkey_url_.size()
                                                     : valkey_url_.find("://") + 3) +
                               (valkey_url_.find('@') == std::string::npos ? "" : "***@" + valkey_url_.substr(valkey_url_.rfind('@') + 1)),
                           options_.storage_root);
  return core::Status();
}

void Registry::stop(std::function<void()> done) {
  metrics_timer_.reset();
  sweep_timer_.reset();
  sweep_call_.reset();
  if (server_) {
    server_->stop();  // blocks until in-flight responses are out (bounded)
  }
  if (feed_) {
    feed_->stop([] {});
  }
  if (manifests_) {
    manifests_->stop();
  }
  if (dev_watch_) {
    dev_watch_->stop();
  }
  if (watch_) {
    watch_->stop();
  }
  if (reconcile_gate_) {
    reconcile_gate_->stop();
  }
  if (status_gate_) {
    status_gate_->stop();
  }
  if (local_) {
    if (auto st = local_->flush(); !st.ok()) {
      log::logger("main").error("the dev store could not be saved: {}", st.error().describe());
    }
  }
  if (stats_consumer_) {
    stats_consumer_->stop([] {});
  }
  if (worker_) {
    worker_->stop([this, done = std::move(done)] {
      pool_->shutdown();
      done();
    });
    return;
  }
  if (pool_) {
    pool_->shutdown();
  }
  done();
}

void Registry::refreshMetrics() {
  std::ostringstream m;
  auto counter = [&m](const char* name, const char* help, uint64_t value) {
    m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << ' ' << value << '\n';
  };
  if (worker_) {
    const auto& c = worker_->metrics();
    counter("opendepot_worker_handled_total", "work entries handled and acked", c.handled);
    counter("opendepot_worker_parked_total", "work entries parked on the dead stream", c.parked);
    counter("opendepot_worker_errors_total", "failed log calls and handler errors", c.errors);
    const auto& s = sync_handler_->metrics();
    counter("opendepot_versions_synced_total", "version syncs that stored an artifact", s.synced);
    counter("opendepot_versions_failed_total", "terminal version sync failures", s.failed);
    counter("opendepot_versions_retries_total", "version sync retries scheduled", s.retries);
  }
  if (controller_) {
    const auto& c = controller_->metrics();
    counter("opendepot_reconcile_runs_total", "reconcile runs finished", c.reconciles);
    counter("opendepot_reconcile_write_errors_total", "failed writes of the reconciler", c.write_errors);
    counter("opendepot_reconcile_sync_requests_total", "VersionSyncRequested appended", c.sync_requests);
  }
  if (depots_) {
    const auto& c = depots_->metrics();
    counter("opendepot_depot_polls_requested_total", "DepotPollRequested appended", c.polls_requested);
    counter("opendepot_depot_write_errors_total", "failed writes of the Depot controller", c.write_errors);
  }
  if (depot_poll_) {
    const auto& c = depot_poll_->metrics();
    counter("opendepot_depot_polls_total", "Depot polls answered with ReleasesDiscovered", c.polls);
    counter("opendepot_depot_entry_failures_total", "Depot entries whose listing failed", c.entry_failures);
  }
  if (status_) {
    const auto& c = status_->metrics();
    counter("opendepot_status_patches_total", "status patches written", c.patches);
    counter("opendepot_status_write_errors_total", "failed status patches", c.write_errors);
  }
  if (recorder_) {
    const auto c = recorder_->metrics();
    counter("opendepot_downloads_recorded_total", "download events queued", c.recorded);
    counter("opendepot_downloads_dropped_total", "download events dropped (queue full)", c.dropped);
  }
  if (stats_consumer_) {
    counter("opendepot_stats_handled_total", "download events counted into stats:*",
            stats_consumer_->metrics().handled);
  }
  if (feed_) {
    counter("opendepot_read_model_folded_total", "events folded into the read model", feed_->folded());
    counter("opendepot_read_model_published_total", "snapshots published", feed_->published());
    counter("opendepot_shasums_signed_total", "provider SHA256SUMS signed", feed_->signaturesMade());
    counter("opendepot_shasums_sign_failures_total", "failed SHA256SUMS signatures",
            feed_->signatureFailures());
  }
  {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    metrics_text_ = m.str();
  }
  metrics_timer_ = clock_.after(std::chrono::seconds(1), [this] { refreshMetrics(); });
}

std::string Registry::metricsText() const {
  std::lock_guard<std::mutex> lock(metrics_mu_);
  return metrics_text_;
}

// SIGINT/SIGTERM on the control loop: the first one stops gracefully, a second one exits.
struct SignalWatch {
  ev_signal sigint;
  ev_signal sigterm;
  std::function<void()> on_signal;
  int count = 0;
};

void onSignal(struct ev_loop*, ev_signal* w, int) {
  auto* watch = static_cast<SignalWatch*>(w->data);
  if (++watch->count > 1) {
    std::fprintf(stderr, "opendepot: second signal, exiting at once\n");
    std::_Exit(130);
  }
  watch->on_signal();
}

void printDevBanner(const RunRequest& request, const std::string& url, const CertFiles& cert,
                    const std::string& bundle) {
  const std::string host = url.substr(std::string_view("https://").size());
  std::printf(
      "\nOpenDepot dev registry is up: %s\n"
      "  manifests:  %s (watched; edit, add or remove files)\n"
      "  artifacts:  %s\n"
      "  state:      %s\n\n"
      "Point tofu or terraform at it (the certificate is self-signed):\n"
      "  export SSL_CERT_FILE=%s\n"
      "  # in a .tf file:\n"
      "  module \"greeting\" {\n"
      "    source  = \"%s/default/greeting/local\"\n"
      "    version = \"~> 1.0\"\n"
      "  }\n"
      "  # then: tofu init   (or terraform init)\n\n"
      "Look inside:  opendepot get modules --state-dir %s   (also: versions)\n"
      "Stop:         Ctrl-C\n\n",
      url.c_str(), request.manifests_dir.c_str(), request.options.storage_root.c_str(),
      request.state_dir.c_str(), bundle.empty() ? cert.cert.c_str() : bundle.c_str(), host.c_str(),
      request.state_dir.c_str());
  std::fflush(stdout);
}

// dev: the system's CA bundle plus our certificate, so SSL_CERT_FILE keeps public registries
// (provider downloads) working. Empty when the system bundle is not there.
std::string writeTrustBundle(const std::string& dir, const CertFiles& cert) {
  const char* system_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::error_code ec;
  if (!std::filesystem::exists(system_bundle, ec)) {
    return "";
  }
  const std::string out = dir + "/trust-bundle.crt";
  std::FILE* o = std::fopen(out.c_str(), "w");
  if (o == nullptr) {
    return "";
  }
  for (const std::string& in : {std::string(system_bundle), cert.cert}) {
    std::FILE* i = std::fopen(in.c_str(), "r");
    if (i == nullptr) {
      continue;
    }
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), i)) > 0) {
      std::fwrite(buf, 1, n, o);
    }
    std::fclose(i);
  }
  std::fclose(o);
  return out;
}

}  // namespace

int runRegistry(const RunRequest& original) {
  RunRequest request = original;
  log::LogOptions lo;
  lo.level = request.options.log_level;
  lo.format = request.options.log_format;
  if (auto st = log::setupLogging(lo); !st.ok()) {
    std::fprintf(stderr, "opendepot: %s\n", st.error().describe().c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  PrivateValkey private_valkey;
  std::string valkey_url = request.options.valkey_url;
  CertFiles cert;
  std::string bundle;
  if (request.dev) {
    std::error_code ec;
    std::filesystem::create_directories(request.state_dir, ec);
    request.state_dir = std::filesystem::absolute(request.state_dir, ec).lexically_normal().string();
    if (request.options.storage_root == "/data") {
      request.options.storage_root = request.state_dir + "/artifacts";
    }
    std::filesystem::create_directories(request.options.storage_root, ec);
    if (valkey_url.empty()) {
      auto st = private_valkey.start(request.redis_server, request.state_dir + "/valkey",
                                     std::chrono::seconds(10));
      if (!st.ok()) {
        std::fprintf(stderr, "opendepot dev: %s\n", st.error().message.c_str());
        return 1;
      }
      valkey_url = private_valkey.url();
    }
    auto files = ensureSelfSignedCert(request.state_dir + "/tls");
    if (!files.ok()) {
      std::fprintf(stderr, "opendepot dev: TLS certificate: %s\n", files.error().message.c_str());
      return 1;
    }
    cert = *files;
    bundle = writeTrustBundle(request.state_dir + "/tls", cert);
    if (request.options.gpg_key_file.empty() && std::getenv(kGpgPrivateKeyEnv) == nullptr) {
      auto key = ensureDevSigningKey(request.state_dir + "/signing.asc");
      if (!key.ok()) {
        std::fprintf(stderr, "opendepot dev: provider signing key: %s\n", key.error().message.c_str());
        return 1;
      }
      request.options.gpg_key_file = *key;
    }
    int port = request.port == 0 ? freeLoopbackPort() : request.port;
    request.options.listen = "127.0.0.1:" + std::to_string(port);
    request.options.tls_cert = cert.cert;
    request.options.tls_key = cert.key;
    request.options.public_url = "https://127.0.0.1:" + std::to_string(port);
  }

  loop::EventLoop loop;
  auto registry = std::make_unique<Registry>(loop, request, valkey_url);
  if (auto st = registry->start(); !st.ok()) {
    std::fprintf(stderr, "opendepot: cannot start: %s\n", st.error().describe().c_str());
    registry->stop([] {});
    loop.runUntil([] { return false; }, std::chrono::milliseconds(100));
    return 1;
  }
  if (request.dev) {
    printDevBanner(request, request.options.public_url, cert, bundle);
  }

  SignalWatch signals;
  bool stopping = false;
  signals.on_signal = [&] {
    if (stopping) {
      return;
    }
    stopping = true;
    log::logger("main").info("signal received: stopping (a second one exits at once)");
    registry->stop([&loop] { loop.stop(); });
  };
  ev_signal_init(&signals.sigint, onSignal, SIGINT);
  ev_signal_init(&signals.sigterm, onSignal, SIGTERM);
  signals.sigint.data = &signals;
  signals.sigterm.data = &signals;
  ev_signal_start(loop.raw(), &signals.sigint);
  ev_signal_start(loop.raw(), &signals.sigterm);
  loop.run();
  loop.runUntil([&] { return registry->released(); }, std::chrono::seconds(2));
  ev_signal_stop(loop.raw(), &signals.sigint);
  ev_signal_stop(loop.raw(), &signals.sigterm);
  registry.reset();
  log::logger("main").info("opendepot stopped");
  spdlog::shutdown();
  private_valkey.stop();
  curl_global_cleanup();
  return 0;
}

}  // namespace od::adapters::main
