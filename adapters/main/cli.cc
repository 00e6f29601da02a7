#include "adapters/main/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/config/options.h"

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

// Loads and validates; prints the effective options (secrets redacted) or every problem.
int checkConfig(ConfigFlags& flags) {
  flags.inputs.environment = processEnvironment();
  if (!flags.config_file.empty()) {
    std::ifstream in(flags.config_file);
    if (!in) {
      std::fprintf(stderr, "check-config: cannot read --config file '%s'\n", flags.config_file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    flags.inputs.file_text = text.str();
    flags.inputs.file_name = flags.config_file;
  }
  auto loaded = config::loadOptions(flags.inputs, false);
  if (!loaded.ok()) {
    std::fprintf(stderr, "check-config: the configuration has problems:\n");
    std::string all = loaded.error().message;
    size_t start = 0;
    while (start < all.size()) {
      size_t end = all.find("; ", start);
      end = end == std::string::npos ? all.size() : end;
      std::fprintf(stderr, "  - %s\n", all.substr(start, end - start).c_str());
      start = end + 2;
    }
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
      "Not yet available in this build: run, dev, replay, audit, get (they arrive with the\n"
      "server, Kubernetes and pipeline work; see README).");
  int exit_code = 0;
  auto* version = app.add_subcommand("version", "print the version and exit");
  version->callback([] { std::printf("opendepot %s\n", kVersion); });
  ConfigFlags check_flags;
  auto* check = app.add_subcommand(
      "check-config", "validate the options (flags > environment > --config file) and print them");
  addOptionFlags(check, check_flags);
  check->callback([&] { exit_code = checkConfig(check_flags); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace od::adapters::main
