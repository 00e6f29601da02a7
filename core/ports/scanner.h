#pragma once
// Scanner: security scanning of artifacts (Trivy as a child process in adapters/scan). The
// scanner gets a local directory prepared by the worker (an extracted module, a provider
// binary, a go.mod) and returns findings in the reference's SecurityFinding shape; the
// policy (block on CRITICAL/HIGH) is decided by the caller, not here.
// Errors: Unavailable (scanner missing or its database unreachable), Timeout (killed after
// the deadline), Corrupt (a report that cannot be parsed). A scan error never fails a sync
// by itself; the caller records it.
// Thread affinity: loop thread; the process runs on the worker pool.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/cancelable.h"
#include "core/resources/configs.h"
#include "core/result.h"

namespace od::core {

enum class ScanKind {
  ModuleSource,    // IaC misconfigurations (`trivy fs --scanners misconfig`)
  ProviderBinary,  // packages compiled into the binary (`trivy rootfs`)
  ProviderSource,  // the provider's go.mod (`trivy fs`)
};

struct ScanRequest {
  ScanKind kind = ScanKind::ModuleSource;
  std::string path;                          // directory to scan, prepared by the caller
  std::chrono::seconds timeout{300};
};

struct ScanReport {
  std::vector<SecurityFinding> findings;     // de-duplicated
  std::string scanner_version;               // e.g. "0.72.0", when known
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  virtual CancelablePtr scan(ScanRequest request, std::function<void(Result<ScanReport>)> done) = 0;
};

}  // namespace od::core
