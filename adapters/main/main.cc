// opendepot: the composition root. The only translation unit that sees every module.
#include "adapters/main/cli.h"

int main(int argc, char** argv) { return od::adapters::main::runCli(argc, argv); }
