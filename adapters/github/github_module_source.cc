#include "adapters/github/github_module_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "adapters/crypto/openssl_hasher.h"
#include "adapters/github/source_op.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

namespace {

class OpHandle final : public core::Cancelable {
 public:
  OpHandle(std::weak_ptr<GithubModuleSource*> source,
           std::function<void(GithubModuleSource*)> cancel_fn)
      : source_(std::move(source)), cancel_fn_(std::move(cancel_fn)) {}
  ~OpHandle() override { cancel(); }
  void cancel() override {
    if (auto locked = source_.lock(); locked && *locked && cancel_fn_) {
      cancel_fn_(*locked);
    }
    cancel_fn_ = nullptr;
  }

 private:
  std::weak_ptr<GithubModuleSource*> source_;
  std::function<void(GithubModuleSource*)> cancel_fn_;
};

}  // namespace

// ---- fetch -------------------------------------------------------------------------------

class FetchOp final : public GithubModuleSource::Op {
 public:
  FetchOp(GithubModuleSource& source, core::ModuleFetch request,
          core::ModuleSource::Callback<core::FetchedFile> done)
      : Op(source), req_(std::move(request)), done_(std::move(done)) {}
  ~FetchOp() override { closeFile(true); }

  void start() override {
    auto checked = check();
    if (!checked.ok()) {
      failSoon(checked.error());
      return;
    }
    withAuth(req_.auth, [this](std::string bearer) {
      bearer_ = std::move(bearer);
      fd_ = ::open(req_.dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd_ < 0) {
        failSoon(makeError(Errc::Internal, "opening " + req_.dest_path + ": " + std::strerror(errno)));
        return;
      }
      created_ = true;
      request(0);
    });
  }

  void fail(core::Error error) override { finish(std::move(error)); }

 private:
  core::Status check() {
    if (req_.repo_url.rfind("file://", 0) == 0) {
      return makeError(Errc::Invalid, "repoUrl " + req_.repo_url +
                                          " is a file:// source, not a GitHub repository");
    }
    for (const core::Status& status : {checkOwner(req_.owner), checkRepo(req_.repo)}) {
      if (!status.ok()) {
        return status;
      }
    }
    std::string bare = req_.version;
    if (!bare.empty() && bare[0] == 'v') {  // go-version's optional prefix
      bare.erase(0, 1);
    }
    auto ref_ok = checkRef(bare);
    if (!ref_ok.ok()) {
      return ref_ok;
    }
    refs_ = {"v" + bare, bare};
    if (req_.format == "zip") {
      kind_ = "zipball";
    } else if (req_.format == "tar" || req_.format == "tar.gz" || req_.format == "tgz") {
      kind_ = "tarball";
    } else {
      return makeError(Errc::Invalid, "fileFormat \"" + req_.format.substr(0, 40) +
                                          "\": want \"zip\" or \"tar\"");
    }
    if (req_.dest_path.empty()) {
      return makeError(Errc::Invalid, "fetch of " + slug(req_.owner, req_.repo) + ": no dest_path");
    }
    return core::okStatus();
  }

  void request(size_t index) {
    ref_index_ = index;
    ApiRequest api;
    api.url = repoUrl(req_.owner, req_.repo) + "/" + kind_ + "/" + refs_[index];
    api.bearer = bearer_;
    send(std::move(api), false);
  }

  // One leg: the API call (answers 302, or 200 itself), or the redirect to codeload.
  void send(ApiRequest api, bool redirected) {
    redirected_ = redirected;
    size_ = 0;
    too_big_ = false;
    write_errno_ = 0;
    refused_address_ = false;
    hash_ = crypto::OpenSslHasher().sha256();
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
      failSoon(makeError(Errc::Internal, "truncating " + req_.dest_path + ": " + std::strerror(errno)));
      return;
    }
    api.download = true;
    api.sink = [this](std::string_view chunk) { return write(chunk); };
    step_ = sendApi(*src_.curl_, src_.options_, std::move(api),
                    [this](ApiResponse response) { onResponse(response); });
  }

  // Follows the API's redirect. Off api_url's origin no credentials go along (as the
  // reference) and non-public addresses are refused unless listed in upstream_allow.
  void followRedirect(const ApiResponse& response, const std::string& what) {
    std::string location = response.location;
    if (location.rfind("/", 0) == 0 && location.rfind("//", 0) != 0) {
      auto origin = hostAndAuthority(src_.options_.api_url);
      location = src_.options_.api_url.substr(0, src_.options_.api_url.find("://") + 3) +
                 (origin ? origin->second : "") + location;
    }
    auto target = hostAndAuthority(location);
    if (!target) {
      fail(makeError(Errc::Corrupt, what + ": redirect without a usable http(s) Location"));
      return;
    }
    ApiRequest api;
    api.url = location;
    api.follow_redirects = true;
    const auto& allow = src_.options_.upstream_allow;
    bool same = sameOrigin(src_.options_.api_url, location);
    if (same) {
      api.bearer = bearer_;
    } else if (std::find(allow.begin(), allow.end(), target->first) == allow.end() &&
               std::find(allow.begin(), allow.end(), target->second) == allow.end()) {
      api.refused_address = &refused_address_;
    }
    send(std::move(api), true);
  }

  bool write(std::string_view chunk) {
    if (size_ + chunk.size() > src_.options_.max_archive_bytes) {
      too_big_ = true;
      return false;
    }
    hash_->update(chunk);
    size_ += chunk.size();
    while (!chunk.empty()) {
      ssize_t n = ::write(fd_, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        write_errno_ = n < 0 ? errno : EIO;
        return false;
      }
      chunk.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void onResponse(const ApiResponse& response) {
    std::string what = "GitHub " + kind_ + " " + slug(req_.owner, req_.repo) + "@" + refs_[ref_index_];
    if (too_big_) {
      fail(makeError(Errc::Invalid, what + ": archive larger than " +
                                        std::to_string(src_.options_.max_archive_bytes) + " bytes"));
      return;
    }
    if (write_errno_ != 0) {
      fail(makeError(Errc::Internal, "writing " + req_.dest_path + ": " + std::strerror(write_errno_)));
      return;
    }
    if (refused_address_) {
      fail(makeError(Errc::Permission, what + ": the redirect leads to a non-public address; "
                                              "list its host in upstream_allow to permit it"));
      return;
    }
    if (response.result.code != CURLE_OK) {
      fail(transportError(response, what));
      return;
    }
    long status = response.result.status;
    if (status == 200) {
      succeed();
      return;
    }
    if (!redirected_ && status >= 300 && status < 400 && status != 304) {
      followRedirect(response, what);
      return;
    }
    if (status == 404 && ref_index_ == 0 && !redirected_) {
      request(1);  // tags without the "v" prefix (the reference's fallback)
      return;
    }
    if (status == 404 && !redirected_) {
      fail(makeError(Errc::NotFound, "GitHub has neither ref \"" + refs_[0] + "\" nor \"" + refs_[1] +
                                         "\" in " + slug(req_.owner, req_.repo) +
                                         " (or the repository is private and not readable)"));
      return;
    }
    noteRefusal(req_.auth, bearer_, status);
    fail(statusError(response, what));
  }

  void succeed() {
    if (::fsync(fd_) != 0) {
      fail(makeError(Errc::Internal, "fsync " + req_.dest_path + ": " + std::strerror(errno)));
      return;
    }
    core::FetchedFile file;
    file.path = req_.dest_path;
    file.size = size_;
    file.sha256 = hash_->finish();
    file.ref = refs_[ref_index_];
    closeFile(false);
    finish(std::move(file));
  }

  void closeFile(bool remove) {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (remove && created_) {
      ::unlink(req_.dest_path.c_str());  // a partial download must never be taken for an archive
    }
    created_ = false;
  }

  void finish(core::Result<core::FetchedFile> result) {
    if (!result.ok()) {
      closeFile(true);
    }
    auto done = std::move(done_);
    GithubModuleSource& source = src_;
    source.erase(id);  // destroys *this
    done(std::move(result));
  }

  core::ModuleFetch req_;
  core::ModuleSource::Callback<core::FetchedFile> done_;
  std::vector<std::string> refs_;
  std::string kind_;
  std::string bearer_;
  size_t ref_index_ = 0;
  bool redirected_ = false;
  bool refused_address_ = false;  // set by the socket filter of a redirect leg
  int fd_ = -1;
  bool created_ = false;
  uint64_t size_ = 0;
  bool too_big_ = false;
  int write_errno_ = 0;
  std::unique_ptr<core::HashStream> hash_;
};

// ---- the source ------------------------------------------------------------------------

core::Result<std::unique_ptr<GithubModuleSource>> GithubModuleSource::create(
    loop::EventLoop& loop, core::Clock& clock, SecretReader secrets, GithubOptions options) {
  auto valid = validateOptions(options);
  if (!valid.ok()) {
    return valid.error();
  }
  while (!options.api_url.empty() && options.api_url.back() == '/') {
    options.api_url.pop_back();
  }
  return std::unique_ptr<GithubModuleSource>(
      new GithubModuleSource(loop, clock, std::move(secrets), std::move(options)));
}

GithubModuleSource::GithubModuleSource(loop::EventLoop& loop, core::Clock& clock,
                                       SecretReader secrets, GithubOptions options)
    : loop_(loop),
      clock_(clock),
      options_(std::move(options)),
      curl_(std::make_unique<kube::CurlMulti>(loop)),
      self_(std::make_shared<GithubModuleSource*>(this)) {
  if (secrets) {
    tokens_ = std::make_unique<AppTokens>(loop_, *curl_, options_, clock_, std::move(secrets));
  }
}

GithubModuleSource::~GithubModuleSource() {
  *self_ = nullptr;
  ops_.clear();  // cancels transfers and token waits, removes partial files
}

core::CancelablePtr GithubModuleSource::fetch(core::ModuleFetch request,
                                              Callback<core::FetchedFile> done) {
  return track(std::make_unique<FetchOp>(*this, std::move(request), std::move(done)));
}

core::CancelablePtr GithubModuleSource::listReleases(std::string owner, std::string repo,
                                                     core::GithubAuth auth,
                                                     Callback<std::vector<core::Release>> done) {
  return track(makeListOp(*this, std::move(owner), std::move(repo), std::move(auth), std::move(done)));
}

core::CancelablePtr GithubModuleSource::track(std::unique_ptr<Op> op) {
  uint64_t id = next_id_++;
  op->id = id;
  Op* raw = op.get();
  ops_.emplace(id, std::move(op));
  raw->start();  // every completion path is asynchronous (transfer, token, or posted failure)
  return std::make_unique<OpHandle>(self_, [id](GithubModuleSource* s) { s->erase(id); });
}

void GithubModuleSource::erase(uint64_t id) { ops_.erase(id); }

}  // namespace od::adapters::github
