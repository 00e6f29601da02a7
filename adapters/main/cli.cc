#include "adapters/main/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace od::adapters::main {
namespace {

constexpr const char* kVersion = "0.1.0";

void printVersion() { std::printf("opendepot %s\n", kVersion); }

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{
      "OpenDepot: a private Terraform/OpenTofu module and provider registry, event-sourced on "
      "Valkey streams."};
  app.require_subcommand(1);
  app.footer(
      "Not yet available in this build: run, dev, replay, audit, check-config, get (they arrive\n"
      "with the server, Kubernetes and pipeline work; see README).");
  auto* version = app.add_subcommand("version", "print the version and exit");
  version->callback(printVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace od::adapters::main
