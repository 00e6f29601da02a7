#pragma once
// Shared builders for the reconcile decision tests: a repeatable Random, Modules and
// Providers in a known shape, and "apply" helpers that turn a plan's creates into the
// Versions a cluster would then list.

#include <chrono>
#include <string>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/resources/module.h"
#include "core/resources/provider.h"
#include "core/resources/version.h"

namespace od::core::testing {

class SeqRandom final : public Random {
 public:
  uint64_t next() override { return state_ = state_ * 6364136223846793005ull + 1442695040888963407ull; }

 private:
  uint64_t state_ = 7;
};

inline Clock::TimePoint at(int64_t unix_seconds) {
  return Clock::TimePoint(std::chrono::seconds(unix_seconds));
}

inline Module makeModule(const std::vector<std::string>& versions, std::string format = "zip") {
  Module m;
  m.metadata.name = "key-pair";
  m.metadata.namespace_ = "team";
  m.metadata.uid = "uid-module";
  m.metadata.generation = 3;
  ModuleConfig c;
  c.name = "terraform-aws-key-pair";
  c.provider = "aws";
  c.repo_owner = "terraform-aws-modules";
  c.file_format = std::move(format);
  m.spec.module_config = c;
  for (const auto& v : versions) {
    ModuleVersion mv;
    mv.version = v;
    m.spec.versions.push_back(mv);
  }
  return m;
}

inline Provider makeProvider(const std::vector<std::string>& versions,
                             std::vector<std::string> os = {"linux", "darwin"},
                             std::vector<std::string> arch = {"amd64"}) {
  Provider p;
  p.metadata.name = "aws";
  p.metadata.namespace_ = "team";
  p.metadata.uid = "uid-provider";
  p.metadata.generation = 2;
  ProviderConfig c;
  c.operating_systems = std::move(os);
  c.architectures = std::move(arch);
  p.spec.provider_config = c;
  for (const auto& v : versions) {
    ProviderVersion pv;
    pv.version = v;
    p.spec.versions.push_back(pv);
  }
  return p;
}

// The Versions as the API server would return them after creation (uid, generation 1).
inline std::vector<Version> created(const std::vector<Version>& creates) {
  std::vector<Version> out = creates;
  for (auto& v : out) {
    v.metadata.uid = "uid-" + v.metadata.name;
    v.metadata.generation = 1;
  }
  return out;
}

inline void markSynced(std::vector<Version>& versions) {
  for (auto& v : versions) {
    v.status.synced = true;
    v.status.checksum = "c2hhMjU2";
    v.status.sync_status = "Successfully synced version";
  }
}

}  // namespace od::core::testing
