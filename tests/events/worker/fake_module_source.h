#pragma once
// FakeModuleSource: a core::ModuleSource for worker tests. It serves prepared local archives
// by (owner, repo, version), copying them to the request's dest_path, and fails with chosen
// errors on demand. An unknown tag answers NotFound as GitHub's source does. Completions are
// posted on the Clock (zero delay), never run inside the call.
// Thread affinity: the test thread. *clock and *hasher must outlive it.

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/hasher.h"
#include "core/ports/sources.h"

namespace od::tests {

class FakeModuleSource final : public core::ModuleSource {
 public:
  FakeModuleSource(core::Clock& clock, const core::Hasher& hasher) : clock_(clock), hasher_(hasher) {}

  // Serves the archive at `archive_path` for owner/repo at `version` (replacing an earlier one).
  void serve(const std::string& owner, const std::string& repo, const std::string& version,
             const std::string& archive_path);
  // The next fetch() calls fail with these errors, in order.
  void failNext(core::Error error) { failures_.push_back(std::move(error)); }

  const std::vector<core::ModuleFetch>& requests() const { return requests_; }

  // core::ModuleSource
  core::CancelablePtr fetch(core::ModuleFetch request, Callback<core::FetchedFile> done) override;
  core::CancelablePtr listReleases(std::string owner, std::string repo, core::GithubAuth auth,
                                   Callback<std::vector<core::Release>> done) override;

 private:
  core::Result<core::FetchedFile> deliver(const core::ModuleFetch& request);

  core::Clock& clock_;
  const core::Hasher& hasher_;
  std::map<std::string, std::string> archives_;  // "owner/repo@version" -> local path
  std::deque<core::Error> failures_;
  std::vector<core::ModuleFetch> requests_;
};

}  // namespace od::tests
