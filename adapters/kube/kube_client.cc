#include "adapters/kube/kube_client.h"

#include <algorithm>
#include <utility>

#include "core/json.h"

namespace od::adapters::kube {

using core::Errc;
using core::makeError;

struct KubeClient::Pending {
  HttpCall call;
  Callback<std::string> done;
  int attempt = 0;
  int conflicts = 0;
  core::CancelablePtr transfer;
  core::CancelablePtr timer;
};

namespace {

class CallHandle final : public core::Cancelable {
 public:
  CallHandle(std::weak_ptr<KubeClient*> client, uint64_t id,
             std::function<void(KubeClient*, uint64_t)> cancel_fn)
      : client_(std::move(client)), id_(id), cancel_fn_(std::move(cancel_fn)) {}
  ~CallHandle() override { cancel(); }
  void cancel() override {
    if (auto locked = client_.lock(); locked && *locked && id_ != 0) {
      cancel_fn_(*locked, id_);
    }
    id_ = 0;
  }

 private:
  std::weak_ptr<KubeClient*> client_;
  uint64_t id_;
  std::function<void(KubeClient*, uint64_t)> cancel_fn_;
};

std::string statusMessage(const std::string& body) {
  auto doc = core::JsonDocument::parse(body);
  std::string_view message;
  if (doc && doc->root()["message"].get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

std::string where(const HttpCall& call) {
  return call.name_space.empty() ? std::string("in all namespaces")
                                 : "in namespace \"" + call.name_space + "\"";
}

void setBlob(CURL* easy, CURLoption option, const std::string& bytes) {
  curl_blob blob{const_cast<char*>(bytes.data()), bytes.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, option, &blob);
}

}  // namespace

core::Error errorFromResponse(const HttpCall& call, long status, const std::string& body) {
  std::string detail = statusMessage(body);
  std::string what = call.verb + " " + call.resource + " " + where(call);
  switch (status) {
    case 401:
    case 403:
      return makeError(Errc::Permission, what + " refused (" + std::to_string(status) +
                                             (status == 401 ? " Unauthorized" : " Forbidden") +
                                             "): " + detail);
    case 404:
      return makeError(Errc::NotFound, what + ": not found: " + detail);
    case 409:
      return makeError(Errc::Conflict, what + ": conflict: " + detail);
    case 410:
      return makeError(Errc::Conflict, what + ": 410 Expired: " + detail);
    case 400:
    case 422:
      return makeError(Errc::Invalid, what + ": invalid (" + std::to_string(status) + "): " + detail);
    default:
      break;
  }
  if (status == 429 || status >= 500) {
    return makeError(Errc::Unavailable, what + ": HTTP " + std::to_string(status) + ": " + detail);
  }
  return makeError(Errc::Internal, what + ": HTTP " + std::to_string(status) + ": " + detail);
}

KubeClient::KubeClient(loop::EventLoop& loop, KubeConfig config, ClientOptions options,
                       spdlog::logger& log)
    : loop_(loop),
      config_(std::move(config)),
      options_(options),
      log_(log),
      multi_(loop),
      clock_(loop),
      tokens_(config_),
      jitter_(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()),
      self_(std::make_shared<KubeClient*>(this)) {}

KubeClient::~KubeClient() {
  *self_ = nullptr;
  pending_.clear();
}

core::Result<TransferSpec> KubeClient::prepare(const HttpCall& call,
                                               std::chrono::milliseconds timeout) {
  OD_TRY(std::string token, tokens_.token());
  TransferSpec spec;
  spec.easy.reset(curl_easy_init());
  CURL* e = spec.easy.get();
  curl_easy_setopt(e, CURLOPT_URL, (config_.server + call.path).c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(e, CURLOPT_USERAGENT, "opendepot");
  curl_slist* h = curl_slist_append(nullptr, "Accept: application/json");
  h = curl_slist_append(h, "Expect:");
  if (!token.empty()) {
    h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
  }
  if (!call.body.empty() || call.method == "POST" || call.method == "PATCH") {
    h = curl_slist_append(h, ("Content-Type: " + call.content_type).c_str());
    spec.request_body = call.body;
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(spec.request_body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, spec.request_body.data());
  }
  spec.headers.reset(h);
  if (!config_.ca_data.empty()) {
    setBlob(e, CURLOPT_CAINFO_BLOB, config_.ca_data);
  } else if (!config_.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, config_.ca_file.c_str());
  }
  if (!config_.client_cert_data.empty()) {
    setBlob(e, CURLOPT_SSLCERT_BLOB, config_.client_cert_data);
    setBlob(e, CURLOPT_SSLKEY_BLOB, config_.client_key_data);
  } else if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  spec.max_body = call.max_body;
  return spec;
}

core::CancelablePtr KubeClient::send(HttpCall call, Callback<std::string> done) {
  uint64_t id = next_id_++;
  auto p = std::make_unique<Pending>();
  p->call = std::move(call);
  p->done = std::move(done);
  pending_.emplace(id, std::move(p));
  attempt(id);
  return std::make_unique<CallHandle>(self_, id, [](KubeClient* c, uint64_t i) {
    c->pending_.erase(i);
  });
}

void KubeClient::attempt(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  Pending& p = *it->second;
  ++p.attempt;
  auto spec = prepare(p.call, options_.request_timeout);
  if (!spec) {
    finish(id, makeError(Errc::Permission, p.call.verb + " " + p.call.resource + " " +
                                                where(p.call) + ": " + spec.error().message));
    return;
  }
  p.transfer = multi_.start(std::move(*spec),
                            [this, id](TransferResult r) { onResult(id, std::move(r)); });
}

void KubeClient::onResult(uint64_t id, TransferResult r) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  Pending& p = *it->second;
  p.transfer.reset();
  if (r.too_large) {
    finish(id, makeError(Errc::Invalid, p.call.verb + " " + p.call.resource +
                                            ": response larger than " +
                                            std::to_string(p.call.max_body) + " bytes"));
    return;
  }
  if (r.code != CURLE_OK) {
    Errc code = r.code == CURLE_OPERATION_TIMEDOUT ? Errc::Timeout : Errc::Unavailable;
    retryLater(id, std::nullopt, makeError(code, p.call.verb + " " + p.call.resource + ": " + r.error));
    return;
  }
  if (r.status >= 200 && r.status < 300) {
    finish(id, std::move(r.body));
    return;
  }
  core::Error error = errorFromResponse(p.call, r.status, r.body);
  if (r.status == 429 || r.status >= 500) {
    retryLater(id, r.retry_after_seconds, std::move(error));
  } else if (r.status == 409 && !p.call.refresh_path.empty() &&
             p.conflicts < options_.max_conflict_retries) {
    ++p.conflicts;
    refreshThenRetry(id);
  } else {
    finish(id, std::move(error));
  }
}

std::chrono::milliseconds KubeClient::backoff(int attempt) {
  int64_t d = options_.backoff_min.count();
  for (int i = 1; i < attempt && d < options_.backoff_max.count(); ++i) {
    d *= 2;
  }
  d = std::min<int64_t>(d, options_.backoff_max.count());
  std::uniform_int_distribution<int64_t> dist(d / 2, std::max<int64_t>(d / 2, d));
  return std::chrono::milliseconds(dist(jitter_));
}

void KubeClient::retryLater(uint64_t id, std::optional<long> retry_after_seconds,
                            core::Error error) {
  Pending& p = *pending_.at(id);
  if (p.attempt >= options_.max_attempts) {
    finish(id, std::move(error));
    return;
  }
  std::chrono::milliseconds delay = backoff(p.attempt);
  if (retry_after_seconds) {
    delay = std::min(std::chrono::milliseconds(*retry_after_seconds * 1000), options_.backoff_max);
  }
  ++retries_;
  log_.debug("event=KubeRetry verb={} resource={} attempt={} delay_ms={} reason=\"{}\"",
             p.call.verb, p.call.resource, p.attempt, delay.count(), error.message);
  p.timer = clock_.after(delay, [this, id] { attempt(id); });
}

void KubeClient::refreshThenRetry(uint64_t id) {
  Pending& p = *pending_.at(id);
  HttpCall read{"GET", p.call.refresh_path, "", "", options_.max_object_bytes, "get",
                p.call.resource, p.call.name_space, ""};
  ++retries_;
  p.transfer = send(std::move(read), [this, id](core::Result<std::string> fresh) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      return;
    }
    it->second->transfer.reset();  // NOTE: we are inside that call's completion; see send()
    if (!fresh) {
      finish(id, fresh.error());
      return;
    }
    it->second->attempt = 0;
    attempt(id);
  });
}

void KubeClient::finish(uint64_t id, core::Result<std::string> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  Callback<std::string> done = std::move(it->second->done);
  // Keep the record alive until `done` returns? No: erase first so that done() may destroy
  // the client; the transfer/timer handles die here (both already finished).
  std::unique_ptr<Pending> record = std::move(it->second);
  pending_.erase(it);
  record.reset();
  if (done) {
    done(std::move(result));
  }
}

}  // namespace od::adapters::kube
