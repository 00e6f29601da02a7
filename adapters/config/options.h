#pragma once
// The process options of `opendepot run` and friends (ARCHITECTURE "Command line").
// Each option has a flag (--valkey-url), an environment variable (OPENDEPOT_VALKEY_URL) and a
// key in the YAML file given by --config (valkeyUrl). Flags win over the environment, which
// wins over the file, which wins over the defaults below.
// Thread affinity: plain values; loaded once in main.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace od::adapters::config {

struct Options {
  std::vector<std::string> roles = {"all"};  // watch, reconcile, status, worker, serve, or all
  std::string valkey_url;                    // redis://[user:pass@]host:port[/db] or rediss://
  std::string kubeconfig;                    // empty: in-cluster configuration
  std::vector<std::string> namespaces;       // empty: all namespaces
  std::string groupbinding_namespace;        // empty: the server's own namespace
  std::string listen = "0.0.0.0:8080";       // host:port of the HTTP(S) server
  std::string tls_cert;                      // PEM file; plain HTTP when absent
  std::string tls_key;                       // PEM file
  std::string public_url;                    // external base URL used in download links
  std::string storage_root = "/data";        // root of filesystem storage
  std::string github_api_url = "https://api.github.com";
  std::string provider_registry_url = "https://registry.opentofu.org";
  std::string releases_api_url = "https://api.releases.hashicorp.com";
  // Where Depot polls list provider versions: "registry" (the provider registry, as the
  // reference) or "releases-api" (hashicorp/* from the HashiCorp releases API, the rest from
  // the registry). Packages always come from the registry.
  std::string provider_versions_from = "registry";
  std::string gpg_key_file;                  // armored private key that signs SHA256SUMS
  // Armored public keys of earlier signing keys, still published in signing_keys after a
  // rotation so that signatures they made keep verifying.
  std::vector<std::string> gpg_previous_key_files;
  std::string auth = "anonymous";            // anonymous, oidc, kubernetes
  bool allow_plain_http = false;             // upstream fetches may use http://
  std::vector<std::string> upstream_allow;   // HOST[:PORT] upstreams allowed although local
  std::string log_level = "info";            // trace, debug, info, warn, error
  std::string log_format = "text";           // text or json
  // Seconds a pending work entry of a dead worker stays idle before another claims it.
  std::string claim_idle = "120";
  // Seconds after which a temporary file in the work dir or the storage root counts as left
  // by a killed worker and is swept (at worker start and every few minutes). 0 sweeps every
  // temporary file at start: only right when a single worker writes to the storage root.
  std::string temp_max_age = "3600";
  // Milliseconds one minute of a Depot's pollingIntervalMinutes lasts. Only end-to-end tests
  // shorten it (pollingIntervalMinutes: 60 polls every 6 s at 100); operators leave it.
  std::string depot_poll_minute_ms = "60000";
};

// A non-negative whole number of seconds; nullopt otherwise.
std::optional<int64_t> parseSeconds(const std::string& text);

// Where each raw value came from, for `check-config` output and error messages.
enum class Source { Default, File, Environment, Flag };

struct RawValue {
  std::string value;
  Source source = Source::Default;
};

// Raw inputs: flag values given on the command line (by flag name without dashes, e.g.
// "valkey-url"), the process environment, and the YAML file text (empty: no file).
struct ConfigInputs {
  std::map<std::string, std::vector<std::string>> flags;
  std::map<std::string, std::string> environment;
  std::string file_text;
  std::string file_name;  // for messages
};

struct LoadedOptions {
  Options options;
  std::map<std::string, RawValue> sources;  // flag name -> effective raw value and its source
};

// The flag names, in documentation order.
const std::vector<std::string>& optionNames();
// "valkey-url" -> "OPENDEPOT_VALKEY_URL"; "valkey-url" -> "valkeyUrl".
std::string envName(const std::string& flag);
std::string yamlKey(const std::string& flag);

// Merges the inputs by precedence and validates the result. `dev` relaxes the options that
// `opendepot dev` fills in itself (valkey-url, public-url). Every problem is reported at once.
core::Result<LoadedOptions> loadOptions(const ConfigInputs& inputs, bool dev);

struct ValkeyAddress {
  std::string host;
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
  bool tls = false;
};
core::Result<ValkeyAddress> parseValkeyUrl(const std::string& url);

}  // namespace od::adapters::config
