#include "adapters/kube/kube_config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/base64.h"

namespace od::adapters::kube {
namespace {

using core::Errc;
using core::makeError;

core::Result<std::string> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(Errc::Invalid, std::string(what) + ": cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) {
    return path;
  }
  return base_dir + "/" + path;
}

std::string trimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// The map entry of `list` (a kubeconfig list of {name, <field>}) whose name is `name`.
YAML::Node findNamed(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) {
    return YAML::Node();
  }
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) {
      return item[field];
    }
  }
  return YAML::Node();
}

std::string str(const YAML::Node& n, const char* key) {
  return (n && n[key]) ? n[key].as<std::string>() : std::string();
}

// `data_key` (base64) wins over `file_key`; problems go to `errors`.
void dataOrFile(const YAML::Node& n, const char* data_key, const char* file_key,
                const std::string& base_dir, std::string& data, std::string& file,
                std::vector<std::string>& errors) {
  if (std::string b64 = str(n, data_key); !b64.empty()) {
    auto decoded = core::base64Decode(b64);
    if (!decoded) {
      errors.push_back(std::string(data_key) + ": not valid base64");
    } else {
      data = std::move(*decoded);
    }
    return;
  }
  file = resolve(str(n, file_key), base_dir);
  struct stat st {};
  if (!file.empty() && ::stat(file.c_str(), &st) != 0) {
    errors.push_back(std::string(file_key) + ": cannot read " + file);
  }
}

core::Result<KubeConfig> fromContext(const YAML::Node& root, const std::string& ctx_name,
                                     const std::string& base_dir) {
  std::vector<std::string> errors;
  KubeConfig c;
  YAML::Node ctx = findNamed(root["contexts"], ctx_name, "context");
  if (!ctx || ctx.IsNull()) {
    return makeError(Errc::Invalid, "kubeconfig: context \"" + ctx_name + "\" not found");
  }
  YAML::Node cluster = findNamed(root["clusters"], str(ctx, "cluster"), "cluster");
  YAML::Node user = findNamed(root["users"], str(ctx, "user"), "user");
  if (!cluster || cluster.IsNull()) {
    errors.push_back("cluster \"" + str(ctx, "cluster") + "\" not found");
  }
  c.name_space = str(ctx, "namespace");
  c.server = str(cluster, "server");
  if (cluster && c.server.empty()) {
    errors.push_back("cluster \"" + str(ctx, "cluster") + "\": server is missing");
  }
  while (!c.server.empty() && c.server.back() == '/') {
    c.server.pop_back();
  }
  c.insecure_skip_tls_verify = cluster && cluster["insecure-skip-tls-verify"] &&
                               cluster["insecure-skip-tls-verify"].as<bool>();
  dataOrFile(cluster, "certificate-authority-data", "certificate-authority", base_dir, c.ca_data,
             c.ca_file, errors);
  if (user) {
    c.token = str(user, "token");
    c.token_file = resolve(str(user, "tokenFile"), base_dir);
    dataOrFile(user, "client-certificate-data", "client-certificate", base_dir,
               c.client_cert_data, c.client_cert_file, errors);
    dataOrFile(user, "client-key-data", "client-key", base_dir, c.client_key_data,
               c.client_key_file, errors);
    bool has_cert = !c.client_cert_data.empty() || !c.client_cert_file.empty();
    bool has_key = !c.client_key_data.empty() || !c.client_key_file.empty();
    if (has_cert != has_key) {
      errors.push_back("user \"" + str(ctx, "user") + "\": client certificate and key go together");
    }
  }
  if (!errors.empty()) {
    std::string msg = "kubeconfig context \"" + ctx_name + "\":";
    for (const auto& e : errors) {
      msg += " " + e + ";";
    }
    return makeError(Errc::Invalid, msg);
  }
  return c;
}

}  // namespace

core::Result<KubeConfig> parseKubeconfig(const std::string& yaml, const std::string& base_dir,
                                         const std::string& context) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root || !root.IsMap()) {
      return makeError(Errc::Invalid, "kubeconfig: not a YAML map");
    }
    std::string ctx = context.empty() ? str(root, "current-context") : context;
    if (ctx.empty()) {
      return makeError(Errc::Invalid, "kubeconfig: no current-context and none given");
    }
    return fromContext(root, ctx, base_dir);
  } catch (const YAML::Exception& e) {
    return makeError(Errc::Invalid, std::string("kubeconfig: ") + e.what());
  }
}

core::Result<KubeConfig> loadKubeconfig(const std::string& path, const std::string& context) {
  OD_TRY(std::string text, readFile(path, "kubeconfig"));
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  auto c = parseKubeconfig(text, dir, context);
  if (!c) {
    return makeError(Errc::Invalid, path + ": " + c.error().message);
  }
  return c;
}

core::Result<KubeConfig> loadInCluster(std::optional<InClusterEnv> env) {
  InClusterEnv e = env.value_or(InClusterEnv{});
  auto get = [&](const char* name) -> std::string {
    if (env) {
      auto it = e.env.find(name);
      return it == e.env.end() ? std::string() : it->second;
    }
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  std::string host = get("KUBERNETES_SERVICE_HOST");
  std::string port = get("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return makeError(Errc::Invalid,
                     "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
                     "be set (or pass --kubeconfig)");
  }
  KubeConfig c;
  bool v6 = host.find(':') != std::string::npos;
  c.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  c.token_file = e.sa_dir + "/token";
  c.ca_file = e.sa_dir + "/ca.crt";
  struct stat st {};
  if (::stat(c.token_file.c_str(), &st) != 0) {
    return makeError(Errc::Invalid, "in-cluster config: cannot read " + c.token_file);
  }
  if (::stat(c.ca_file.c_str(), &st) != 0) {
    c.ca_file.clear();  // no bundle: curl's default trust store
  }
  return c;
}

TokenSource::TokenSource(const KubeConfig& config, int recheck_seconds)
    : inline_token_(config.token), file_(config.token_file), recheck_seconds_(recheck_seconds) {}

core::Result<std::string> TokenSource::token() {
  if (file_.empty()) {
    return inline_token_;
  }
  time_t now = std::time(nullptr);
  if (size_ >= 0 && now - checked_at_ < recheck_seconds_) {
    return cached_;
  }
  checked_at_ = now;
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) {
    return makeError(Errc::Permission, "token file " + file_ + " is unreadable");
  }
  bool changed = st.st_size != size_ || st.st_mtim.tv_sec != mtime_.tv_sec ||
                 st.st_mtim.tv_nsec != mtime_.tv_nsec;
  if (changed) {
    OD_TRY(std::string text, readFile(file_, "token file"));
    cached_ = trimRight(std::move(text));
    size_ = st.st_size;
    mtime_ = st.st_mtim;
    ++reloads_;
  }
  return cached_;
}

}  // namespace od::adapters::kube
