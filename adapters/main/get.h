#pragma once
// `opendepot get modules|versions|providers|depots`: a kubectl-like look at the dev store
// (the state file `opendepot dev` keeps), read without Valkey and without a running server.
// Thread affinity: main thread.

#include <string>

namespace od::adapters::main {

struct GetRequest {
  std::string what;                     // modules, versions, providers, depots (or singular)
  std::string state_dir = ".opendepot";
  std::string name_space;               // empty: every namespace
  std::string output = "table";         // table or json
};

// Prints to stdout; returns the exit code (1 with a message when the store cannot be read).
int runGet(const GetRequest& request);

}  // namespace od::adapters::main
