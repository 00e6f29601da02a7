#include "adapters/kube/curl_multi.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace od::adapters::kube {

struct CurlMulti::Transfer {
  TransferSpec spec;
  std::function<void(TransferResult)> done;
  TransferResult result;
  bool cancelled = false;
};

struct CurlMulti::SocketWatch {
  ev_io io;
  CurlMulti* owner = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
};

namespace {

size_t onWrite(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<CurlMulti::Transfer*>(userp);
  size_t bytes = size * n;
  size_t taken = 0;
  loop::guarded("CurlMulti::write", [&] {
    if (t->cancelled) {
      return;
    }
    long status = 0;
    curl_easy_getinfo(t->spec.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (t->spec.sink && status == 200) {
      taken = t->spec.sink(std::string_view(data, bytes)) ? bytes : 0;
      return;
    }
    if (t->result.body.size() + bytes > t->spec.max_body) {
      t->result.too_large = true;
      return;
    }
    t->result.body.append(data, bytes);
    taken = bytes;
  });
  return taken;
}

size_t onHeader(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<CurlMulti::Transfer*>(userp);
  size_t bytes = size * n;
  loop::guarded("CurlMulti::header", [&] {
    std::string_view line(data, bytes);
    constexpr std::string_view kName = "retry-after:";
    if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
      std::string value(line.substr(kName.size()));
      char* end = nullptr;
      long seconds = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && seconds >= 0) {
        t->result.retry_after_seconds = seconds;
      }
    }
  });
  return bytes;
}

class TransferHandle final : public core::Cancelable {
 public:
  TransferHandle(std::weak_ptr<CurlMulti*> multi, CURL* easy,
                 std::function<void(CurlMulti*, CURL*)> cancel_fn)
      : multi_(std::move(multi)), easy_(easy), cancel_fn_(std::move(cancel_fn)) {}
  ~TransferHandle() override { cancel(); }
  void cancel() override {
    if (auto locked = multi_.lock(); locked && *locked && easy_ != nullptr) {
      cancel_fn_(*locked, easy_);
    }
    easy_ = nullptr;
  }

 private:
  std::weak_ptr<CurlMulti*> multi_;
  CURL* easy_;
  std::function<void(CurlMulti*, CURL*)> cancel_fn_;
};

}  // namespace

CurlMulti::CurlMulti(loop::EventLoop& loop)
    : loop_(loop), multi_(curl_multi_init()), self_(std::make_shared<CurlMulti*>(this)) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimerChange);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  ev_timer_init(&timer_, &CurlMulti::onTimer, 0.0, 0.0);
  timer_.data = this;
}

CurlMulti::~CurlMulti() {
  *self_ = nullptr;
  ev_timer_stop(loop_.raw(), &timer_);
  for (auto& [easy, transfer] : transfers_) {
    curl_multi_remove_handle(multi_, easy);  // closes sockets: onSocket frees the watchers
  }
  transfers_.clear();
  curl_multi_cleanup(multi_);
  for (SocketWatch* watch : watches_) {  // sockets curl closed without telling us
    ev_io_stop(loop_.raw(), &watch->io);
    delete watch;
  }
}

core::CancelablePtr CurlMulti::start(TransferSpec spec, std::function<void(TransferResult)> done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->spec = std::move(spec);
  transfer->done = std::move(done);
  CURL* easy = transfer->spec.easy.get();
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &onWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (transfer->spec.headers) {
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->spec.headers.get());
  }
  transfers_.emplace(easy, std::move(transfer));
  curl_multi_add_handle(multi_, easy);  // arms the timer through onTimerChange
  return std::make_unique<TransferHandle>(
      self_, easy, [](CurlMulti* m, CURL* e) { m->cancelTransfer(e); });
}

void CurlMulti::cancelTransfer(CURL* easy) {
  auto it = transfers_.find(easy);
  if (it == transfers_.end() || it->second->cancelled) {
    return;
  }
  it->second->cancelled = true;
  it->second->done = nullptr;
  if (action_depth_ > 0) {
    cancelled_.push_back(easy);  // inside a curl callback: remove after socket_action
    return;
  }
  curl_multi_remove_handle(multi_, easy);
  transfers_.erase(it);
}

void CurlMulti::removeCancelled() {
  std::vector<CURL*> pending = std::move(cancelled_);
  cancelled_.clear();
  for (CURL* easy : pending) {
    if (transfers_.count(easy) != 0) {
      curl_multi_remove_handle(multi_, easy);
      transfers_.erase(easy);
    }
  }
}

void CurlMulti::socketAction(curl_socket_t s, int ev_bitmask) {
  int running = 0;
  ++action_depth_;
  curl_multi_socket_action(multi_, s, ev_bitmask, &running);
  --action_depth_;
  removeCancelled();
  drainDone();
}

void CurlMulti::drainDone() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) {
      continue;
    }
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    auto it = transfers_.find(easy);
    curl_multi_remove_handle(multi_, easy);
    if (it == transfers_.end()) {
      continue;
    }
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    t->result.code = code;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->result.status);
    if (code != CURLE_OK) {
      t->result.error = curl_easy_strerror(code);
    }
    if (t->done && !t->cancelled) {
      // `done` may destroy this CurlMulti: touch nothing of it afterwards but the guard.
      std::weak_ptr<CurlMulti*> alive = self_;
      t->done(std::move(t->result));
      if (auto locked = alive.lock(); !locked || !*locked) {
        return;
      }
    }
  }
}

int CurlMulti::onSocket(CURL* /*easy*/, curl_socket_t s, int what, void* userp,
                        void* socketp) noexcept {
  auto* self = static_cast<CurlMulti*>(userp);
  auto* watch = static_cast<SocketWatch*>(socketp);
  loop::guarded("CurlMulti::socket", [&] {
    if (what == CURL_POLL_REMOVE) {
      if (watch != nullptr) {
        ev_io_stop(self->loop_.raw(), &watch->io);
        curl_multi_assign(self->multi_, s, nullptr);
        self->watches_.erase(watch);
        delete watch;
      }
      return;
    }
    if (watch == nullptr) {
      watch = new SocketWatch();
      watch->owner = self;
      watch->fd = s;
      watch->io.data = watch;
      self->watches_.insert(watch);
      curl_multi_assign(self->multi_, s, watch);
    } else {
      ev_io_stop(self->loop_.raw(), &watch->io);
    }
    int events = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    ev_io_init(&watch->io, &CurlMulti::onIo, s, events);
    ev_io_start(self->loop_.raw(), &watch->io);
  });
  return 0;
}

int CurlMulti::onTimerChange(CURLM* /*multi*/, long timeout_ms, void* userp) noexcept {
  auto* self = static_cast<CurlMulti*>(userp);
  loop::guarded("CurlMulti::timerfunction", [&] {
    ev_timer_stop(self->loop_.raw(), &self->timer_);
    if (timeout_ms >= 0) {
      // Never call libcurl here: the ev_timer fires from the loop (0 s: next iteration).
      ev_timer_set(&self->timer_, static_cast<double>(timeout_ms) / 1000.0, 0.0);
      ev_timer_start(self->loop_.raw(), &self->timer_);
    }
  });
  return 0;
}

void CurlMulti::onTimer(struct ev_loop* /*loop*/, ev_timer* w, int /*revents*/) noexcept {
  auto* self = static_cast<CurlMulti*>(w->data);
  loop::guarded("CurlMulti::timer", [&] { self->socketAction(CURL_SOCKET_TIMEOUT, 0); });
}

void CurlMulti::onIo(struct ev_loop* /*loop*/, ev_io* w, int revents) noexcept {
  auto* watch = static_cast<SocketWatch*>(w->data);
  loop::guarded("CurlMulti::io", [&] {
    int mask = ((revents & EV_READ) ? CURL_CSELECT_IN : 0) |
               ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    watch->owner->socketAction(watch->fd, mask);
  });
}

}  // namespace od::adapters::kube
