#pragma once
// KubeConfig: how the client reaches and authenticates to the Kubernetes API server, from
// the in-cluster service account or from a kubeconfig file (its current-context).
//
// - In-cluster: KUBERNETES_SERVICE_HOST/PORT, the token FILE (re-read by TokenSource when it
//   changes: projected tokens rotate) and the CA bundle next to it.
// - kubeconfig: server, bearer token (inline or tokenFile), client certificate and key
//   (inline *-data, base64, or files), CA (data or file), insecure-skip-tls-verify only when
//   the file asks for it. Relative file paths are relative to the kubeconfig's folder.
// Errors are Errc::Invalid with a message naming the file, context and field; several
// problems are reported together. Tokens never appear in messages.
// Thread affinity: plain values and functions, any thread; loading reads files (startup).

#include <ctime>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"

namespace od::adapters::kube {

struct KubeConfig {
  std::string server;            // "https://10.0.0.1:443" (no trailing slash)
  std::string token;             // bearer token (inline); never logged
  std::string token_file;        // bearer token file, re-read when it changes
  std::string ca_file;           // PEM bundle file
  std::string ca_data;           // PEM bundle bytes
  std::string client_cert_file;  // PEM
  std::string client_cert_data;  // PEM bytes
  std::string client_key_file;   // PEM
  std::string client_key_data;   // PEM bytes; never logged
  bool insecure_skip_tls_verify = false;
  std::string name_space;        // the context's namespace (informational)
};

// Reads a kubeconfig file and picks `context` (empty: current-context).
core::Result<KubeConfig> loadKubeconfig(const std::string& path, const std::string& context = {});
// Parses kubeconfig YAML text; relative paths resolve against `base_dir`.
core::Result<KubeConfig> parseKubeconfig(const std::string& yaml, const std::string& base_dir,
                                         const std::string& context = {});

struct InClusterEnv {
  std::map<std::string, std::string> env;  // KUBERNETES_SERVICE_HOST/PORT
  std::string sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};
// The in-cluster configuration from the process environment (or `env` for tests).
core::Result<KubeConfig> loadInCluster(std::optional<InClusterEnv> env = std::nullopt);

// TokenSource: the bearer token of a config, re-reading token_file when its modification
// time or size changes (checked at most once per `recheck_seconds`; a stat() of a tiny file
// is the only file I/O it does on the loop, house style §5 allows small reads).
// Thread affinity: one thread (the loop).
class TokenSource {
 public:
  explicit TokenSource(const KubeConfig& config, int recheck_seconds = 1);
  // The current token, "" when there is none. Errors: the file vanished or is unreadable
  // (Errc::Permission; message names the file).
  core::Result<std::string> token();
  size_t reloads() const { return reloads_; }

 private:
  std::string inline_token_;
  std::string file_;
  std::string cached_;
  struct timespec mtime_ {};
  off_t size_ = -1;
  time_t checked_at_ = 0;
  int recheck_seconds_;
  size_t reloads_ = 0;
};

}  // namespace od::adapters::kube
