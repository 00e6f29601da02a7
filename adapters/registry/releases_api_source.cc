#include "adapters/registry/releases_api_source.h"

#include <cctype>
#include <set>
#include <utility>

#include "adapters/registry/registry_parse.h"
#include "adapters/registry/releases_api_parse.h"

namespace od::adapters::registry {

using core::Errc;
using core::makeError;

namespace {

class ListingHandle final : public core::Cancelable {
 public:
  ListingHandle(std::weak_ptr<ReleasesApiSource*> source, std::function<void(ReleasesApiSource*)> cancel_fn)
      : source_(std::move(source)), cancel_fn_(std::move(cancel_fn)) {}
  ~ListingHandle() override { cancel(); }
  void cancel() override {
    if (auto locked = source_.lock(); locked && *locked && cancel_fn_) {
      cancel_fn_(*locked);
    }
    cancel_fn_ = nullptr;
  }

 private:
  std::weak_ptr<ReleasesApiSource*> source_;
  std::function<void(ReleasesApiSource*)> cancel_fn_;
};

// ':' is the only character of an RFC 3339 UTC time that wants escaping in a query.
std::string queryTime(const std::string& time) {
  std::string out;
  for (char c : time) {
    out += c == ':' ? std::string("%3A") : std::string(1, c);
  }
  return out;
}

}  // namespace

// One listing: a page at a time, the cursor moving back in time, until an empty page.
class ReleasesApiSource::Listing {
 public:
  Listing(ReleasesApiSource& source, uint64_t id, std::string type,
          Callback<std::vector<std::string>> done)
      : src_(source), id_(id), product_("terraform-provider-" + type), done_(std::move(done)) {}

  void fail(core::Error error) { finish(std::move(error)); }

  void page() {
    const auto& o = src_.options_;
    std::string url = o.base_url + "/v1/releases/" + product_ + "?limit=" + std::to_string(o.page_limit);
    if (!after_.empty()) {
      url += "&after=" + queryTime(after_);
    }
    kube::TransferSpec spec;
    spec.easy = upstreamEasy(o.transport, url, &leg_, false);
    spec.headers.reset(curl_slist_append(nullptr, "Accept: application/json"));
    spec.max_body = o.max_page_bytes;
    leg_ = Leg{};
    step_ = src_.curl_->start(std::move(spec), [this](kube::TransferResult r) { onPage(r); });
  }

 private:
  std::string what() const {
    return "releases API listing of " + product_ + " (page " + std::to_string(pages_ + 1) + ")";
  }

  void onPage(const kube::TransferResult& r) {
    if (r.code != CURLE_OK || r.status != 200 || r.too_large) {
      if (r.too_large && !leg_.refused_address) {
        finish(makeError(Errc::Corrupt, what() + ": a page larger than " +
                                            std::to_string(src_.options_.max_page_bytes) + " bytes"));
        return;
      }
      finish(upstreamError(r, leg_, what()));
      return;
    }
    auto entries = parseReleasesApiPage(r.body, product_, src_.options_.max_page_bytes);
    if (!entries) {
      finish(makeError(Errc::Corrupt, what() + ": " + entries.error().message));
      return;
    }
    ++pages_;
    if (entries->empty()) {
      finish(std::move(out_));
      return;
    }
    for (const auto& e : *entries) {
      if (have_cursor_ && e.created_ns >= cursor_ns_) {
        finish(makeError(Errc::Corrupt, what() + ": " + e.version + " (" + e.timestamp_created +
                                            ") is not older than the page's cursor; the listing "
                                            "does not advance"));
        return;
      }
      if (seen_.insert(e.version).second) {
        out_.push_back(e.version);
      }
    }
    // The oldest entry of the page is the next cursor (the API lists newest first).
    const ReleasesApiEntry* oldest = &entries->front();
    for (const auto& e : *entries) {
      oldest = e.created_ns < oldest->created_ns ? &e : oldest;
    }
    after_ = oldest->timestamp_created;
    cursor_ns_ = oldest->created_ns;
    have_cursor_ = true;
    if (pages_ >= src_.options_.max_pages) {
      finish(makeError(Errc::Corrupt, what() + ": more than " + std::to_string(src_.options_.max_pages) +
                                          " pages"));
      return;
    }
    page();
  }

  void finish(core::Result<std::vector<std::string>> result) {
    auto done = std::move(done_);
    src_.erase(id_);  // destroys *this
    done(std::move(result));
  }

  ReleasesApiSource& src_;
  uint64_t id_;
  std::string product_;
  Callback<std::vector<std::string>> done_;
  core::CancelablePtr step_;
  Leg leg_;
  std::string after_;
  int64_t cursor_ns_ = 0;
  bool have_cursor_ = false;
  size_t pages_ = 0;
  std::set<std::string> seen_;
  std::vector<std::string> out_;
};

core::Status validateOptions(const ReleasesApiOptions& options) {
  if (!isAcceptableUrl(options.base_url, options.transport.allow_plain_http) ||
      options.base_url.find_first_of("?#") != std::string::npos) {
    return makeError(Errc::Invalid, "releases API URL \"" + options.base_url.substr(0, 200) +
                                        "\": want https://host[:port][/path]" +
                                        (options.transport.allow_plain_http ? " or http://" : " (plain http is off)"));
  }
  if (options.page_limit < 1 || options.page_limit > 20) {
    return makeError(Errc::Invalid, "releases API page_limit must be 1-20 (the API's bounds)");
  }
  if (options.max_pages == 0 || options.max_page_bytes == 0 ||
      options.transport.connect_timeout.count() <= 0 || options.transport.request_timeout.count() <= 0) {
    return makeError(Errc::Invalid, "releases API options: limits and timeouts must be positive");
  }
  return core::okStatus();
}

core::Result<std::unique_ptr<ReleasesApiSource>> ReleasesApiSource::create(loop::EventLoop& loop,
                                                                           ReleasesApiOptions options,
                                                                           core::ProviderSource& packages) {
  auto valid = validateOptions(options);
  if (!valid.ok()) {
    return valid.error();
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') {
    options.base_url.pop_back();
  }
  return std::unique_ptr<ReleasesApiSource>(new ReleasesApiSource(loop, std::move(options), packages));
}

ReleasesApiSource::ReleasesApiSource(loop::EventLoop& loop, ReleasesApiOptions options,
                                     core::ProviderSource& packages)
    : loop_(loop),
      options_(std::move(options)),
      packages_(packages),
      curl_(std::make_unique<kube::CurlMulti>(loop)),
      self_(std::make_shared<ReleasesApiSource*>(this)) {}

ReleasesApiSource::~ReleasesApiSource() {
  *self_ = nullptr;
  listings_.clear();
}

void ReleasesApiSource::erase(uint64_t id) { listings_.erase(id); }

core::CancelablePtr ReleasesApiSource::listVersions(core::ProviderAddress address,
                                                    Callback<std::vector<std::string>> done) {
  auto lower = [](std::string s) {
    for (char& c : s) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
  };
  if (lower(address.name_space) != "hashicorp") {
    return packages_.listVersions(std::move(address), std::move(done));
  }
  uint64_t id = next_id_++;
  auto type_ok = checkType(address.type);
  // Registry addresses are case-insensitive; the releases API's product names are lowercase.
  auto listing = std::make_unique<Listing>(*this, id, lower(address.type), std::move(done));
  Listing* raw = listing.get();
  listings_.emplace(id, std::move(listing));
  if (type_ok.ok()) {
    raw->page();  // completes from curl, never inside this call
  } else {
    std::weak_ptr<ReleasesApiSource*> alive = self_;
    loop_.post([alive, id, error = type_ok.error()]() mutable {
      if (auto locked = alive.lock(); locked && *locked) {
        auto it = (*locked)->listings_.find(id);
        if (it != (*locked)->listings_.end()) {
          it->second->fail(std::move(error));
        }
      }
    });
  }
  return std::make_unique<ListingHandle>(self_, [id](ReleasesApiSource* s) { s->erase(id); });
}

core::CancelablePtr ReleasesApiSource::resolve(core::ProviderAddress address, std::string version,
                                               std::string os, std::string arch,
                                               Callback<core::ProviderPackage> done) {
  return packages_.resolve(std::move(address), std::move(version), std::move(os), std::move(arch),
                           std::move(done));
}

core::CancelablePtr ReleasesApiSource::download(std::string url, std::string dest_path,
                                                Callback<core::FetchedFile> done) {
  return packages_.download(std::move(url), std::move(dest_path), std::move(done));
}

core::CancelablePtr ReleasesApiSource::fetchSmall(std::string url, size_t max_bytes,
                                                  Callback<std::string> done) {
  return packages_.fetchSmall(std::move(url), max_bytes, std::move(done));
}

}  // namespace od::adapters::registry
