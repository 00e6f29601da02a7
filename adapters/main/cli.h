#pragma once
// The opendepot command line: parses arguments and runs the chosen command.
// Thread affinity: main thread, once.

namespace od::adapters::main {

// Returns the process exit code.
int runCli(int argc, char** argv);

}  // namespace od::adapters::main
