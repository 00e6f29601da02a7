#pragma once
// Runs od_test_apiserver as a child process for tests that want it out of process:
// starts it, reads the "listening HOST:PORT" line, and stops it (SIGTERM, then SIGKILL)
// by its process id. Not thread-safe; one owner.

#include <sys/types.h>

#include <string>
#include <vector>

namespace od::testkube {

class ApiServerProcess {
 public:
  // `binary` is the path of od_test_apiserver; `args` are its flags. Throws on failure.
  ApiServerProcess(const std::string& binary, const std::vector<std::string>& args);
  ~ApiServerProcess();
  ApiServerProcess(const ApiServerProcess&) = delete;
  ApiServerProcess& operator=(const ApiServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace od::testkube
