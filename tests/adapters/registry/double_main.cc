// od_provider_registry_double: the upstream provider registry double as a process (end-to-end
// tests, dev by hand).
//   od_provider_registry_double [--host 127.0.0.1] [--port 0] --provider ns/type=1.0.0,1.1.0 ...
//       [--platforms linux_amd64,darwin_arm64] [--payload-bytes N] [--fault NAME[@PAGE][xTIMES]]
// NAME: one of registryFaultFromName's (provider_registry_double.h), e.g. versions-html or
// releases-429; @PAGE limits a releases-* fault to that page of the releases API list and
// xTIMES to that many answers (e.g. releases-429@2x1: one 429 on page 2). Versions
// and faults can also be changed while it runs (POST /_double/...). --platforms and
// --payload-bytes apply to every --provider. Prints the bound
// port on its own line once it serves, then runs until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "tests/adapters/registry/provider_registry_double.h"

namespace {

using od::testing::RegistryFault;

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "od_provider_registry_double: " << problem << "\n"
            << "usage: od_provider_registry_double [--host H] [--port P] --provider ns/type=V1,V2... "
               "[--platforms os_arch,...] [--payload-bytes N] [--fault NAME[@PAGE][xTIMES]]\n";
  std::exit(2);
}

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

uint64_t number(const std::string& text, const char* flag) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-') {
    usage(std::string(flag) + " wants a non-negative integer, got \"" + text + "\"");
  }
  return v;
}

RegistryFault faultNamed(const std::string& name) {
  auto fault = od::testing::registryFaultFromName(name);
  if (!fault) {
    usage("unknown fault \"" + name + "\"");
  }
  return *fault;
}

}  // namespace

int main(int argc, char** argv) {
  od::testing::RegistryDoubleOptions options;
  std::vector<std::pair<std::string, std::string>> platforms = {{"linux", "amd64"}, {"darwin", "arm64"}};
  uint64_t payload = 4096;
  RegistryFault fault = RegistryFault::None;
  int fault_page = 0;
  int fault_times = 0;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      usage(flag + " needs a value");
    }
    std::string value = argv[++i];
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = static_cast<uint16_t>(number(value, "--port"));
    } else if (flag == "--provider") {
      size_t slash = value.find('/');
      size_t eq = value.find('=');
      if (slash == std::string::npos || eq == std::string::npos || slash > eq || slash == 0) {
        usage("--provider wants ns/type=V1,V2, got \"" + value + "\"");
      }
      od::testing::DoubleProvider p;
      p.name_space = value.substr(0, slash);
      p.type = value.substr(slash + 1, eq - slash - 1);
      p.versions = commaList(value.substr(eq + 1));
      if (p.type.empty() || p.versions.empty()) {
        usage("--provider wants ns/type=V1,V2, got \"" + value + "\"");
      }
      options.providers.push_back(p);
    } else if (flag == "--platforms") {
      platforms.clear();
      for (const std::string& item : commaList(value)) {
        size_t us = item.find('_');
        if (us == std::string::npos || us == 0 || us + 1 == item.size()) {
          usage("--platforms wants os_arch items, got \"" + item + "\"");
        }
        platforms.emplace_back(item.substr(0, us), item.substr(us + 1));
      }
    } else if (flag == "--payload-bytes") {
      payload = number(value, "--payload-bytes");
    } else if (flag == "--fault") {
      std::string name = value;
      size_t x = name.rfind('x');
      size_t at = name.find('@');
      if (x != std::string::npos && at != std::string::npos && x > at) {
        fault_times = static_cast<int>(number(name.substr(x + 1), "--fault times"));
        name.resize(x);
      }
      if (at != std::string::npos) {
        fault_page = static_cast<int>(number(name.substr(at + 1), "--fault page"));
        name.resize(at);
      }
      fault = faultNamed(name);
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (options.providers.empty() || platforms.empty()) {
    usage("at least one --provider and one platform are needed");
  }
  for (auto& p : options.providers) {
    p.platforms = platforms;
    p.payload_bytes = payload;
  }
  sigset_t stop_signals;  // blocked before the server threads start, so only sigwait sees them
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  od::testing::ProviderRegistryDouble server(options);
  auto started = server.start();
  if (!started.ok()) {
    std::cerr << "od_provider_registry_double: " << started.error().describe() << "\n";
    return 1;
  }
  server.setFault(fault, fault_page, fault_times);
  std::cout << server.port() << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  return 0;
}
