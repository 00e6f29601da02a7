#pragma once
// KubeClient: core::ResourceStore on the Kubernetes API (libcurl multi on libev).
//
// DESIGN
// - Every call is one HttpCall run by a Pending record owned by the client; the returned
//   handle cancels it (transfer and backoff timer). Completions run on the loop thread.
// - Retries: transport errors, 429 and 5xx are retried up to options.max_attempts with
//   exponential backoff and jitter in [d/2, d]; a Retry-After header (seconds) replaces the
//   computed delay (capped at backoff_max). 409 on a patch is retried after a fresh GET of
//   the object when the patch carries no resourceVersion precondition (the server applies
//   the patch to its current state, so the retry is safe); otherwise it is Errc::Conflict
//   for the caller to re-read. 401/403 are Errc::Permission naming verb, resource and
//   namespace. Bodies are bounded: max_object_bytes, max_list_bytes per list page.
// - Each patch is sent with the content type of its kind (merge-patch+json /
//   json-patch+json); patchStatus() targets the /status subresource.
// - The bearer token comes from a TokenSource (token files are re-read when they change).
//
// Thread affinity: loop thread only. *loop and *log must outlive the client; handles may
// outlive it (no-ops then). Destroying the client cancels every call without callbacks.

#include <spdlog/logger.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "adapters/kube/curl_multi.h"
#include "adapters/kube/kube_config.h"
#include "adapters/loop/event_loop.h"
#include "adapters/loop/libev_clock.h"
#include "core/ports/resource_store.h"

namespace od::adapters::kube {

struct ClientOptions {
  int max_attempts = 6;                               // per call, the first one included
  std::chrono::milliseconds backoff_min{100};         // first retry delay
  std::chrono::milliseconds backoff_max{10000};       // cap of retry delays and Retry-After
  std::chrono::milliseconds request_timeout{30000};   // one attempt, connect to last byte
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_object_bytes = 4u << 20;                 // one object response
  size_t max_list_bytes = 16u << 20;                  // one list page
  int max_conflict_retries = 3;                       // patch 409 re-read-and-retry rounds
  uint64_t jitter_seed = 0;                           // 0: std::random_device
};

// One HTTP exchange as the client runs it.
struct HttpCall {
  std::string method;        // GET, POST, PATCH, DELETE
  std::string path;          // with query string
  std::string body;
  std::string content_type;  // for bodies
  size_t max_body = 4u << 20;
  std::string verb;          // Kubernetes verb for messages: get, list, patch, ...
  std::string resource;      // plural (+ "/status") for messages
  std::string name_space;    // for messages; "" = all namespaces
  std::string refresh_path;  // non-empty: a 409 is retried after GET of this path
};

class KubeClient final : public core::ResourceStore {
 public:
  KubeClient(loop::EventLoop& loop, KubeConfig config, ClientOptions options,
             spdlog::logger& log);
  ~KubeClient() override;

  // core::ResourceStore
  core::CancelablePtr get(core::ResourceRef ref, Callback<std::string> done) override;
  core::CancelablePtr list(std::string kind, std::string name_space, core::ListOptions options,
                           Callback<core::ListPage> done) override;
  core::CancelablePtr create(std::string kind, std::string name_space, std::string object_json,
                             Callback<std::string> done) override;
  core::CancelablePtr remove(core::ResourceRef ref, core::DeletePreconditions preconditions,
                             std::function<void(core::Status)> done) override;
  core::CancelablePtr patch(core::ResourceRef ref, core::PatchType type, std::string body,
                            Callback<std::string> done) override;
  core::CancelablePtr patchStatus(core::ResourceRef ref, core::PatchType type, std::string body,
                                  Callback<std::string> done) override;

  // Runs one call with the retry policy above; `done` gets the 2xx body.
  core::CancelablePtr send(HttpCall call, Callback<std::string> done);
  // A configured transfer (URL, auth, TLS, headers) for streaming use (watches).
  // `timeout` 0 means none. Errors: the token file is unreadable.
  core::Result<TransferSpec> prepare(const HttpCall& call, std::chrono::milliseconds timeout);

  CurlMulti& multi() { return multi_; }
  loop::EventLoop& loop() { return loop_; }
  spdlog::logger& logger() { return log_; }
  const ClientOptions& options() const { return options_; }
  uint64_t retries() const { return retries_; }

  struct Pending;

 private:
  core::CancelablePtr patchAt(core::ResourceRef ref, core::PatchType type, std::string body,
                              bool status, Callback<std::string> done);
  void attempt(uint64_t id);
  void onResult(uint64_t id, TransferResult result);
  void retryLater(uint64_t id, std::optional<long> retry_after_seconds, core::Error error);
  void refreshThenRetry(uint64_t id);
  void finish(uint64_t id, core::Result<std::string> result);
  std::chrono::milliseconds backoff(int attempt);

  loop::EventLoop& loop_;
  KubeConfig config_;
  ClientOptions options_;
  spdlog::logger& log_;
  CurlMulti multi_;
  loop::LibevClock clock_;
  TokenSource tokens_;
  std::mt19937_64 jitter_;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;
  uint64_t next_id_ = 1;
  uint64_t retries_ = 0;
  std::shared_ptr<KubeClient*> self_;
};

// Maps a non-2xx answer to an Error (message from the Status body when there is one).
core::Error errorFromResponse(const HttpCall& call, long status, const std::string& body);

}  // namespace od::adapters::kube
