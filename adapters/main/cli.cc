#include "adapters/main/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "adapters/config/options.h"
#include "adapters/main/app.h"
#include "adapters/main/get.h"

extern char** environ;

namespace od::adapters::main {
namespace {

constexpr const char* kVersion = "0.1.0";

struct ConfigFlags {
  std::string config_file;
  config::ConfigInputs inputs;
};

// Registers every option of the ARCHITECTURE command-line contract on `cmd`.
void addOptionFlags(CLI::App* cmd, ConfigFlags& flags) {
  cmd->add_option("--config", flags.config_file, "YAML file with options (keys in camelCase)");
  for (const auto& name : config::optionNames()) {
    const std::string help = "also " + config::envName(name) + ", or " + config::yamlKey(name) +
                             " in --config";
    if (name == "allow-plain-http") {
      cmd->add_flag_function("--" + name,
                             [&flags, name](int64_t) { flags.inputs.flags[name] = {"true"}; }, help);
    } else {
      cmd->add_option_function<std::vector<std::string>>(
          "--" + name, [&flags, name](const std::vector<std::string>& v) { flags.inputs.flags[name] = v; },
          help);
    }
  }
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos && entry.rfind("OPENDEPOT_", 0) == 0) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

std::string sourceName(config::Source s) {
  switch (s) {
    case config::Source::Default: return "default";
    case config::Source::File: return "file";
    case config::Source::Environment: return "environment";
    case config::Source::Flag: return "flag";
  }
  return "?";
}

// Loads and validates the options of `command`; prints every problem and returns nullopt
// when there are any.
std::optional<config::LoadedOptions> loadOrReport(const char* command, ConfigFlags& flags, bool dev) {
  flags.inputs.environment = processEnvironment();
  if (!flags.config_file.empty()) {
    std::ifstream in(flags.config_file);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read --config file '%s'\n", command, flags.config_file.c_str());
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    flags.inputs.file_text = text.str();
    flags.inputs.file_name = flags.config_file;
  }
  auto loaded = config::loadOptions(flags.inputs, dev);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s: the configuration has problems:\n", command);
    std::string all = loaded.error().message;
    size_t start = 0;
    while (start < all.size()) {
      size_t end = all.find("; ", start);
      end = end == std::string::npos ? all.size() : end;
      std::fprintf(stderr, "  - %s\n", all.substr(start, end - start).c_str());
      start = end + 2;
    }
    return std::nullopt;
  }
  return std::move(loaded).value();
}

// Prints the effective options (secrets redacted) or every problem.
int checkConfig(ConfigFlags& flags) {
  auto loaded = loadOrReport("check-config", flags, false);
  if (!loaded) {
    return 2;
  }
  for (const auto& name : config::optionNames()) {
    auto it = loaded->sources.find(name);
    std::string value = it == loaded->sources.end() ? "(default)" : it->second.value;
    if (name == "valkey-url" && value.find('@') != std::string::npos) {
      value = value.substr(0, value.find("://") + 3) + "***@" + value.substr(value.rfind('@') + 1);
    }
    std::printf("%-24s %s%s\n", name.c_str(), value.c_str(),
                it == loaded->sources.end() ? "" : (" [" + sourceName(it->second.source) + "]").c_str());
  }
  std::printf("check-config: ok\n");
  return 0;
}

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{
      "OpenDepot: a private Terraform/OpenTofu module and provider registry, event-sourced on "
      "Valkey streams."};
  app.require_subcommand(1);
  app.footer(
      "Start with `opendepot dev` on a laptop, `opendepot run` in a cluster (the Helm chart\n"
      "does). Not yet available in this build: replay, audit.");
  int exit_code = 0;
  auto* version = app.add_subcommand("version", "print the version and exit");
  version->callback([] { std::printf("opendepot %s\n", kVersion); });
  ConfigFlags check_flags;
  auto* check = app.add_subcommand(
      "check-config", "validate the options (flags > environment > --config file) and print them");
  addOptionFlags(check, check_flags);
  check->callback([&] { exit_code = checkConfig(check_flags); });

  ConfigFlags run_flags;
  auto* run = app.add_subcommand(
      "run", "run the roles given by --roles (watch, reconcile, status, worker, serve; all by default)");
  addOptionFlags(run, run_flags);
  run->callback([&] {
    auto loaded = loadOrReport("run", run_flags, false);
    if (!loaded) {
      exit_code = 2;
      return;
    }
    RunRequest request;
    request.options = loaded->options;
    exit_code = runRegistry(request);
  });

  ConfigFlags dev_flags;
  RunRequest dev_request;
  dev_request.dev = true;
  auto* dev = app.add_subcommand(
      "dev",
      "a registry on this machine: a private redis-server (unless --valkey-url), resources from\n"
      "a folder of manifests, artifacts on the local filesystem, HTTPS with a self-signed\n"
      "certificate on 127.0.0.1; prints how to point tofu/terraform at it");
  dev->add_option("--manifests", dev_request.manifests_dir, "folder of manifests (watched)")
      ->required();
  dev->add_option("--state-dir", dev_request.state_dir,
                  "private Valkey data, TLS files, the local store (default .opendepot)");
  dev->add_option("--port", dev_request.port, "HTTPS port on 127.0.0.1 (0 picks a free one)")->capture_default_str();
  dev->add_option("--redis-server", dev_request.redis_server,
                  "the redis-server (or valkey-server) executable")->capture_default_str();
  addOptionFlags(dev, dev_flags);
  dev->callback([&] {
    auto loaded = loadOrReport("dev", dev_flags, true);
    if (!loaded) {
      exit_code = 2;
      return;
    }
    dev_request.options = loaded->options;
    if (dev_request.state_dir.empty()) {
      dev_request.state_dir = ".opendepot";
    }
    exit_code = runRegistry(dev_request);
  });

  GetRequest get_request;
  auto* get = app.add_subcommand("get", "list modules, versions, providers or depots of the dev store");
  get->add_option("what", get_request.what, "modules | versions | providers | depots")
      ->required()
      ->check(CLI::IsMember({"modules", "versions", "providers", "depots", "module", "version",
                             "provider", "depot"}));
  get->add_option("--state-dir", get_request.state_dir, "the dev state folder")
      ->capture_default_str();
  get->add_option("-n,--namespace", get_request.name_space, "only this namespace");
  get->add_option("-o,--output", get_request.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  get->callback([&] { exit_code = runGet(get_request); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace od::adapters::main
