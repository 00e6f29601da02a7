#include "tests/events/worker/fake_module_source.h"

#include <fstream>
#include <iterator>
#include <utility>

namespace od::tests {

void FakeModuleSource::serve(const std::string& owner, const std::string& repo, const std::string& version,
                             const std::string& archive_path) {
  archives_[owner + "/" + repo + "@" + version] = archive_path;
}

core::Result<core::FetchedFile> FakeModuleSource::deliver(const core::ModuleFetch& request) {
  if (!failures_.empty()) {
    core::Error error = std::move(failures_.front());
    failures_.pop_front();
    return error;
  }
  auto it = archives_.find(request.owner + "/" + request.repo + "@" + request.version);
  if (it == archives_.end()) {
    return core::makeError(core::Errc::NotFound, "tag v" + request.version + " and " + request.version +
                                                     " not found in " + request.owner + "/" + request.repo);
  }
  std::ifstream in(it->second, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream out(request.dest_path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!in.good() && !in.eof()) {
    return core::makeError(core::Errc::Internal, "fake source cannot read " + it->second);
  }
  if (!out) {
    return core::makeError(core::Errc::Unavailable, "fake source cannot write " + request.dest_path);
  }
  return core::FetchedFile{request.dest_path, bytes.size(), hasher_.sha256Of(bytes), "v" + request.version};
}

core::CancelablePtr FakeModuleSource::fetch(core::ModuleFetch request, Callback<core::FetchedFile> done) {
  requests_.push_back(request);
  auto result = deliver(request);
  return clock_.after(std::chrono::milliseconds(0),
                      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

core::CancelablePtr FakeModuleSource::listReleases(std::string, std::string, core::GithubAuth,
                                                   Callback<std::vector<core::Release>> done) {
  std::vector<core::Release> releases;
  for (const auto& [key, path] : archives_) {
    releases.push_back(core::Release{"v" + key.substr(key.find('@') + 1), false, false});
  }
  return clock_.after(std::chrono::milliseconds(0),
                      [done = std::move(done), releases = std::move(releases)]() mutable { done(std::move(releases)); });
}

}  // namespace od::tests
