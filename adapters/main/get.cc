#include "adapters/main/get.h"

#include <cstdio>

#include "adapters/devstore/get_table.h"
#include "adapters/devstore/state_file.h"

namespace od::adapters::main {

int runGet(const GetRequest& request) {
  devstore::GetOptions options;
  options.output = request.output;
  options.name_space = request.name_space;
  auto text = devstore::renderGet(request.what, request.state_dir + "/" + std::string(devstore::kStateFileName), options);
  if (!text.ok()) {
    std::fprintf(stderr, "opendepot get: %s\n", text.error().message.c_str());
    return 1;
  }
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace od::adapters::main
