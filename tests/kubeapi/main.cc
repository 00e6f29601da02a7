// od_test_apiserver: the project's test Kubernetes API server as a process.
//   od_test_apiserver [--host 127.0.0.1] [--port 0] [--crds DIR]... [--token T]
//                     [--bookmark-interval-ms 5000] [--git-version v1.32.3] [--verbose]
//                     [--kubeconfig PATH]
// Prints "listening HOST:PORT" as its first stdout line, then serves until SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/kubeapi/api_server.h"

int main(int argc, char** argv) {
  od::testkube::ApiServerOptions options;
  std::string kubeconfig;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") {
      options.host = value();
    } else if (a == "--port") {
      options.port = std::atoi(value().c_str());
    } else if (a == "--crds") {
      options.crd_dirs.push_back(value());
    } else if (a == "--token") {
      options.token = value();
    } else if (a == "--bookmark-interval-ms") {
      options.bookmark_interval_ms = std::atoi(value().c_str());
    } else if (a == "--git-version") {
      options.git_version = value();
    } else if (a == "--kubeconfig") {
      kubeconfig = value();
    } else if (a == "--verbose") {
      options.verbose = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts
  std::signal(SIGPIPE, SIG_IGN);
  od::testkube::TestApiServer server(options);
  int port = 0;
  try {
    port = server.Start();
    if (!kubeconfig.empty()) server.WriteKubeconfig(kubeconfig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "od_test_apiserver: %s\n", e.what());
    return 1;
  }
  std::printf("listening %s:%d\n", options.host.c_str(), port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  server.Stop();
  return 0;
}
