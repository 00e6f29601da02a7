#pragma once
// DownloadRecorder: how the HTTP server reports a download without touching the world itself
// (http/ may not include adapters/). record() never blocks: it hands the record to a bounded
// queue and returns false when the queue is full (the download is still served; the stat is
// dropped and counted).
// Thread affinity: any thread (every HTTP loop calls it).

#include <cstdint>
#include <string>

namespace od::core {

struct DownloadRecord {
  std::string kind;        // "Module" or "Provider"
  std::string name_space;
  std::string name;
  std::string version;
  std::string os;          // providers only
  std::string arch;        // providers only
  std::string client;      // User-Agent product, e.g. "Terraform/1.11.0"
  int64_t unix_ms = 0;
};

class DownloadRecorder {
 public:
  virtual ~DownloadRecorder() = default;
  virtual bool record(DownloadRecord record) = 0;
};

}  // namespace od::core
