#include "adapters/registry/opentofu_registry_source.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "adapters/crypto/openssl_hasher.h"
#include "adapters/github/github_http.h"
#include "adapters/registry/registry_parse.h"
#include "adapters/registry/upstream_http.h"

namespace od::adapters::registry {

using core::Errc;
using core::makeError;

namespace {

// The handle every call returns: cancels the transfer and runs the call's own cleanup.
class CallHandle final : public core::Cancelable {
 public:
  explicit CallHandle(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  ~CallHandle() override { cancel(); }
  void cancel() override {
    *cancelled_ = true;
    transfer.reset();  // CurlMulti: `done` never runs after this
    if (on_cancel) {
      auto fn = std::move(on_cancel);
      on_cancel = nullptr;
      fn();
    }
  }
  core::CancelablePtr transfer;
  std::function<void()> on_cancel;

 private:
  std::shared_ptr<bool> cancelled_;
};

}  // namespace

// A download in flight: the destination file and the running hash. Removes the file unless
// the download completed.
struct OpenTofuRegistrySource::Download {
  ~Download() { close(!completed); }
  bool write(std::string_view chunk) {
    if (size + chunk.size() > limit) {
      too_big = true;
      return false;
    }
    hash->update(chunk);
    size += chunk.size();
    while (!chunk.empty()) {
      ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        write_errno = n < 0 ? errno : EIO;
        return false;
      }
      chunk.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void close(bool remove) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    if (remove && !path.empty()) {
      ::unlink(path.c_str());  // a partial download must never be taken for a package
      path.clear();
    }
  }
  std::string path;
  int fd = -1;
  uint64_t limit = 0;
  uint64_t size = 0;
  bool too_big = false;
  bool completed = false;
  int write_errno = 0;
  std::unique_ptr<core::HashStream> hash = crypto::OpenSslHasher().sha256();
  Leg leg;
};

UpstreamTransport transportOf(const RegistryOptions& o) {
  UpstreamTransport t;
  t.user_agent = o.user_agent;
  t.connect_timeout = o.connect_timeout;
  t.request_timeout = o.request_timeout;
  t.download_timeout = o.download_timeout;
  t.stall_timeout = o.stall_timeout;
  t.allow_plain_http = o.allow_plain_http;
  t.upstream_allow = o.upstream_allow;
  t.ca_file = o.ca_file;
  return t;
}

core::Status validateOptions(const RegistryOptions& options) {
  if (!isAcceptableUrl(options.base_url, options.allow_plain_http) ||
      options.base_url.find_first_of("?#") != std::string::npos) {
    return makeError(Errc::Invalid, "provider registry URL \"" + options.base_url.substr(0, 200) +
                                        "\": want https://host[:port][/path]" +
                                        (options.allow_plain_http ? " or http://" : " (plain http is off)"));
  }
  if (options.max_download_bytes == 0 || options.max_metadata_bytes == 0 ||
      options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0 ||
      options.download_timeout.count() <= 0 || options.stall_timeout.count() <= 0) {
    return makeError(Errc::Invalid, "provider registry options: limits and timeouts must be positive");
  }
  return core::okStatus();
}

core::Result<std::unique_ptr<OpenTofuRegistrySource>> OpenTofuRegistrySource::create(
    loop::EventLoop& loop, RegistryOptions options) {
  auto valid = validateOptions(options);
  if (!valid.ok()) {
    return valid.error();
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') {
    options.base_url.pop_back();
  }
  return std::unique_ptr<OpenTofuRegistrySource>(new OpenTofuRegistrySource(loop, std::move(options)));
}

OpenTofuRegistrySource::OpenTofuRegistrySource(loop::EventLoop& loop, RegistryOptions options)
    : loop_(loop),
      options_(std::move(options)),
      transport_(transportOf(options_)),
      curl_(std::make_unique<kube::CurlMulti>(loop)),
      alive_(std::make_shared<bool>(true)) {}

OpenTofuRegistrySource::~OpenTofuRegistrySource() {
  *alive_ = false;
  curl_.reset();  // drops every transfer; their callbacks never run
}

core::CancelablePtr OpenTofuRegistrySource::failSoon(core::Error error,
                                                     std::function<void(core::Error)> done) {
  auto cancelled = std::make_shared<bool>(false);
  std::weak_ptr<bool> alive = alive_;
  loop_.post([alive, cancelled, error = std::move(error), done = std::move(done)]() mutable {
    auto locked = alive.lock();
    if (locked && *locked && !*cancelled) {
      done(std::move(error));
    }
  });
  return std::make_unique<CallHandle>(cancelled);
}


core::CancelablePtr OpenTofuRegistrySource::getSmall(std::string url, size_t max_bytes, std::string what,
                                                     std::function<void(core::Result<std::string>)> done) {
  if (!isAcceptableUrl(url, options_.allow_plain_http)) {
    return failSoon(makeError(Errc::Invalid, what + ": URL \"" + url.substr(0, 200) + "\" is not an absolute " +
                                                 (options_.allow_plain_http ? "http(s)" : "https") + " URL"),
                    [done](core::Error e) { done(std::move(e)); });
  }
  auto leg = std::make_shared<Leg>();
  kube::TransferSpec spec;
  spec.easy = upstreamEasy(transport_, url, leg.get(), false);
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  spec.headers.reset(headers);
  spec.max_body = max_bytes;
  auto cancelled = std::make_shared<bool>(false);
  auto handle = std::make_unique<CallHandle>(cancelled);
  handle->transfer = curl_->start(std::move(spec), [leg, what = std::move(what), max_bytes,
                                                    done = std::move(done)](kube::TransferResult r) {
    if (r.status == 200 && r.code == CURLE_OK && !r.too_large) {
      done(std::move(r.body));
      return;
    }
    if (r.too_large && !leg->refused_address) {
      done(makeError(Errc::Corrupt, what + ": answer larger than " + std::to_string(max_bytes) + " bytes"));
      return;
    }
    done(upstreamError(r, *leg, what));
  });
  return handle;
}

core::CancelablePtr OpenTofuRegistrySource::listVersions(core::ProviderAddress address,
                                                         Callback<std::vector<std::string>> done) {
  std::string what = "provider registry versions of " + address.name_space + "/" + address.type;
  for (const core::Status& s : {checkNamespace(address.name_space), checkType(address.type)}) {
    if (!s.ok()) {
      return failSoon(s.error(), [done](core::Error e) { done(std::move(e)); });
    }
  }
  // Registry addresses are case-insensitive; the reference's Depot asks in lowercase.
  for (std::string* part : {&address.name_space, &address.type}) {
    for (char& c : *part) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  std::string url = options_.base_url + "/v1/providers/" + address.name_space + "/" + address.type + "/versions";
  return getSmall(std::move(url), options_.max_metadata_bytes, what,
                  [done = std::move(done), what](core::Result<std::string> body) {
                    if (!body) {
                      done(std::move(body).takeError());
                      return;
                    }
                    auto versions = parseVersions(*body);
                    if (!versions) {
                      done(makeError(versions.error().code, what + ": " + versions.error().message));
                      return;
                    }
                    done(std::move(versions));
                  });
}

core::CancelablePtr OpenTofuRegistrySource::resolve(core::ProviderAddress address, std::string version,
                                                    std::string os, std::string arch,
                                                    Callback<core::ProviderPackage> done) {
  std::string what = "provider registry package " + address.name_space + "/" + address.type + " " +
                     version + " " + os + "_" + arch;
  for (const core::Status& s : {checkNamespace(address.name_space), checkType(address.type),
                                checkVersion(version), checkPlatform(os), checkPlatform(arch)}) {
    if (!s.ok()) {
      return failSoon(s.error(), [done](core::Error e) { done(std::move(e)); });
    }
  }
  std::string url = options_.base_url + "/v1/providers/" + address.name_space + "/" + address.type + "/" +
                    version + "/download/" + os + "/" + arch;
  bool plain = options_.allow_plain_http;
  return getSmall(std::move(url), options_.max_metadata_bytes, what,
                  [done = std::move(done), what, os, arch, plain](core::Result<std::string> body) {
                    if (!body) {
                      done(std::move(body).takeError());
                      return;
                    }
                    auto pkg = parseDownload(*body, os, arch, plain);
                    if (!pkg) {
                      done(makeError(pkg.error().code, what + ": " + pkg.error().message));
                      return;
                    }
                    done(std::move(pkg));
                  });
}

core::CancelablePtr OpenTofuRegistrySource::fetchSmall(std::string url, size_t max_bytes,
                                                       Callback<std::string> done) {
  if (max_bytes == 0) {
    return failSoon(makeError(Errc::Invalid, "fetchSmall: max_bytes is 0"),
                    [done](core::Error e) { done(std::move(e)); });
  }
  std::string what = "provider registry document " + url.substr(0, 200);
  return getSmall(std::move(url), max_bytes, std::move(what), std::move(done));
}

core::CancelablePtr OpenTofuRegistrySource::download(std::string url, std::string dest_path,
                                                     Callback<core::FetchedFile> done) {
  std::string what = "provider package download " + url.substr(0, 200);
  auto fail = [done](core::Error e) { done(std::move(e)); };
  if (!isAcceptableUrl(url, options_.allow_plain_http)) {
    return failSoon(makeError(Errc::Invalid, what + ": not an absolute " +
                                                 (options_.allow_plain_http ? "http(s)" : "https") + " URL"),
                    fail);
  }
  if (dest_path.empty()) {
    return failSoon(makeError(Errc::Invalid, what + ": no dest_path"), fail);
  }
  auto dl = std::make_shared<Download>();
  dl->fd = ::open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (dl->fd < 0) {
    return failSoon(makeError(Errc::Internal, "opening " + dest_path + ": " + std::strerror(errno)), fail);
  }
  dl->path = dest_path;
  dl->limit = options_.max_download_bytes;
  kube::TransferSpec spec;
  spec.easy = upstreamEasy(transport_, url, &dl->leg, true);
  spec.max_body = 64 * 1024;  // error bodies only; a 200's body goes to the sink
  spec.sink = [dl](std::string_view chunk) { return dl->write(chunk); };
  auto cancelled = std::make_shared<bool>(false);
  auto handle = std::make_unique<CallHandle>(cancelled);
  handle->on_cancel = [dl] { dl->close(!dl->completed); };
  uint64_t limit = options_.max_download_bytes;
  handle->transfer = curl_->start(std::move(spec), [dl, what, limit, done = std::move(done)](kube::TransferResult r) {
    if (dl->too_big) {
      dl->close(true);
      done(makeError(Errc::Invalid, what + ": larger than " + std::to_string(limit) + " bytes"));
      return;
    }
    if (dl->write_errno != 0) {
      dl->close(true);
      done(makeError(Errc::Internal, "writing " + dl->path + ": " + std::strerror(dl->write_errno)));
      return;
    }
    if (r.code != CURLE_OK || r.status != 200) {
      dl->close(true);
      done(upstreamError(r, dl->leg, what));
      return;
    }
    if (::fsync(dl->fd) != 0) {
      int err = errno;
      dl->close(true);
      done(makeError(Errc::Internal, "fsync " + dl->path + ": " + std::strerror(err)));
      return;
    }
    core::FetchedFile file;
    file.path = dl->path;
    file.size = dl->size;
    file.sha256 = dl->hash->finish();
    dl->completed = true;
    dl->close(false);
    done(std::move(file));
  });
  return handle;
}

}  // namespace od::adapters::registry
