#pragma once
// CurlMulti: libcurl's multi interface driven by libev (curl's evhiperfifo.c shape, house
// style §5).
//
// DESIGN
// - CURLMOPT_SOCKETFUNCTION starts/stops one ev_io per socket; CURLMOPT_TIMERFUNCTION
//   re-arms one ev_timer (-1 stops it; seconds = timeout_ms / 1000.0). libcurl is never
//   called from inside its own timer function: the ev_timer callback does the
//   socket_action later. curl_multi_info_read is drained after every socket_action.
// - A transfer owns its easy handle, its bounded response body, its headers of interest
//   (Retry-After) and an optional streaming sink. The sink gets the body of a 200 response
//   chunk by chunk (watches); returning false aborts the transfer. Other statuses are
//   collected into `body` (so error Status objects can be read) up to `max_body` bytes;
//   past that the transfer aborts with too_large.
// - cancel() may be called from anywhere, also from inside this transfer's own sink: the
//   transfer is then marked and removed right after the current socket_action returns.
//   After cancel() neither the sink nor `done` runs again.
//
// Thread affinity: loop thread only. curl_global_init must have run (main, or the tests)
// before the first CurlMulti is made. *loop must outlive this object; handles may outlive
// it (they become no-ops).

#include <curl/curl.h>
#include <ev.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/loop/event_loop.h"
#include "core/cancelable.h"

namespace od::adapters::kube {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct TransferSpec {
  CurlEasyPtr easy;               // configured (URL, method, TLS, ...); callbacks are ours
  CurlSlistPtr headers;           // kept alive for the transfer
  std::string request_body;       // kept alive for CURLOPT_POSTFIELDS
  size_t max_body = 4u << 20;     // bytes of a collected body
  // Streaming sink for 200 responses; nullptr collects the body.
  std::function<bool(std::string_view)> sink;
};

struct TransferResult {
  CURLcode code = CURLE_OK;
  long status = 0;                         // HTTP status; 0 when none arrived
  std::string body;                        // collected body (bounded)
  std::optional<long> retry_after_seconds; // Retry-After header (seconds form)
  bool too_large = false;                  // body exceeded max_body
  std::string error;                       // curl's error text when code != CURLE_OK
};

class CurlMulti {
 public:
  explicit CurlMulti(loop::EventLoop& loop);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts the transfer. `done` runs exactly once on the loop thread unless cancelled.
  core::CancelablePtr start(TransferSpec spec, std::function<void(TransferResult)> done);

  size_t active() const { return transfers_.size(); }

  struct Transfer;  // defined in the .cc

 private:
  struct SocketWatch;
  static int onSocket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp) noexcept;
  static int onTimerChange(CURLM* multi, long timeout_ms, void* userp) noexcept;
  static void onTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;
  static void onIo(struct ev_loop* loop, ev_io* w, int revents) noexcept;

  void socketAction(curl_socket_t s, int ev_bitmask);
  void drainDone();
  void removeCancelled();
  void cancelTransfer(CURL* easy);

  loop::EventLoop& loop_;
  CURLM* multi_ = nullptr;
  ev_timer timer_;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::vector<CURL*> cancelled_;  // marked during socket_action, removed after it
  std::set<SocketWatch*> watches_;  // owned; freed on CURL_POLL_REMOVE or destruction
  int action_depth_ = 0;
  std::shared_ptr<CurlMulti*> self_;  // handles see nullptr once this object is gone
};

}  // namespace od::adapters::kube
