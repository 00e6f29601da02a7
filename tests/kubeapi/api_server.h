#pragma once
// DESIGN: TestApiServer, a faithful test double of the Kubernetes API server for the
// project's integration tests and for real `kubectl` (see test-peers.md). It serves
// /version, legacy discovery (/api, /apis, /apis/<g>/<v>), OpenAPI v3 (root and per
// group-version, with `x-kubernetes-group-version-kind` and `fieldValidation` on every
// patch operation, so `kubectl apply` validates server-side), core v1 namespaces, secrets
// and configmaps, apiextensions.k8s.io/v1 customresourcedefinitions (creating one registers
// its types; updates and deletes do not change registered types), and every CRD loaded
// from the --crds directories. Rules of the real server live in Store (store.h) and
// schema.h; this layer does routing, query parameters, patch types, watch streaming
// (chunked JSON lines, bookmarks, 410 Expired as an ERROR event) and fault injection.
//
// Fault injection (tests script it through POST /_faults, or in-process):
//   {"dropWatches": true}        close every watch connection now (no final chunk)
//   {"endWatches": true}         end every watch cleanly (final chunk), as a timeout does
//   {"compact": true}            forget history: older watch resourceVersions and continue
//                                tokens get 410 Expired
//   {"delayMs": 200}             delay every later response (0 turns it off)
//   {"rules": [{"verb": "patch", "path": "/status", "status": 429, "count": 2,
//               "retryAfterSeconds": 1}]}
//                                answer the next `count` matching requests with `status`
//                                (verb: HTTP method, Kubernetes verb or "*"; path: substring)
//   {"reset": true}              clear rules and delay
// GET /_faults returns the state: activeWatches, resourceVersion, rules, delayMs, requests.
// /_faults needs no token.
//
// Thread-safe. Start/Stop from one thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/kubeapi/http_server.h"
#include "tests/kubeapi/store.h"

namespace od::testkube {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                            // 0 picks a free port
  std::vector<std::string> crd_dirs;       // every *.yaml, *.yml, *.json file in them
  std::string token;                       // when set, "Authorization: Bearer <token>" is required
  int bookmark_interval_ms = 5000;         // idle time before a watch sends a BOOKMARK
  std::string git_version = "v1.32.3";
  bool verbose = false;                    // one stderr line per request
};

struct FaultRule {
  std::string verb = "*";
  std::string path;  // substring of the request path; empty matches every path
  int status = 500;
  int count = 1;
  int retry_after_seconds = 0;
};

class TestApiServer {
 public:
  explicit TestApiServer(ApiServerOptions options);
  ~TestApiServer();
  TestApiServer(const TestApiServer&) = delete;
  TestApiServer& operator=(const TestApiServer&) = delete;

  // Loads the CRDs and starts serving. Returns the port. Throws std::runtime_error.
  int Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const;
  // Writes a kubeconfig for kubectl pointing at this server; returns its path.
  std::string WriteKubeconfig(const std::string& path) const;

  // Registers the types of one CRD object (parsed). Throws std::runtime_error.
  void AddCrd(const json& crd);
  // Loads every CRD file in a directory.
  void LoadCrdDir(const std::string& dir);

  // Fault injection, in-process.
  void DropWatches(bool abrupt = true);
  void Compact() { store_.Compact(); }
  void AddFault(const FaultRule& rule);
  void SetDelay(std::chrono::milliseconds delay) { delay_ms_ = static_cast<int>(delay.count()); }
  void ResetFaults();
  int active_watches() const { return active_watches_; }

  Store& store() { return store_; }

 private:
  void Handle(const HttpRequest& req, ResponseWriter& w);
  void Route(const HttpRequest& req, ResponseWriter& w);
  bool Authorized(const HttpRequest& req) const;
  bool TakeFault(const HttpRequest& req, const std::string& verb, HttpResponse* out);
  void HandleFaults(const HttpRequest& req, ResponseWriter& w);
  void HandleResource(const HttpRequest& req, ResponseWriter& w);
  void HandleWatch(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                   const std::string& ns);
  void HandlePatch(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                   const std::string& ns, const std::string& name, bool status);
  void HandleDelete(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                    const std::string& ns, const std::string& name);
  json Discovery(const std::string& group, const std::string& version) const;
  json OpenApiRoot() const;
  json OpenApiGroupVersion(const std::string& group, const std::string& version) const;
  json FaultState();
  void RegisterBuiltins();

  ApiServerOptions options_;
  Store store_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::mutex fault_mu_;
  std::vector<FaultRule> rules_;
  std::atomic<int> delay_ms_{0};
  std::atomic<int> active_watches_{0};
  std::atomic<bool> drop_abrupt_{true};
  std::atomic<uint64_t> requests_{0};
};

// Kubernetes verb of a request: get, list, watch, create, update, patch, delete,
// deletecollection (or the lower-case method for non-resource paths).
std::string KubeVerb(const HttpRequest& req, bool has_name);

}  // namespace od::testkube
