#pragma once
// Connection: one client connection on a Worker's loop (see server.h DESIGN): reads, parses,
// dispatches, queues responses in order, writes (sendfile for file bodies), and enforces the
// per-connection timeouts with one ev_timer. Owned by its Worker; it asks the Worker to
// delete it (deferred) and never deletes itself. Thread affinity: the Worker's loop thread.

#include <ev.h>

#include <deque>
#include <optional>
#include <string>

#include "http/request_parser.h"
#include "http/serialize.h"
#include "http/tls.h"

namespace od::http {

// The request target as the access log shows it (at most 512 bytes; the token of an
// artifact download URL replaced by "<token>").
std::string loggableTarget(std::string_view target);

class Worker;

class Connection {
 public:
  // Takes ownership of `fd` and `ssl` (null for plain HTTP). `worker` outlives the connection.
  Connection(Worker& worker, int fd, std::string client, SslPtr ssl);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Graceful shutdown: close now when idle, otherwise after the in-flight response.
  void beginDrain();
  // Immediate close (idempotent); the Worker deletes the object later.
  void closeNow();

 private:
  enum class Io { Ok, WouldBlock, Eof, Error };
  struct IoResult {
    Io status;
    size_t bytes = 0;
  };
  struct OutItem {
    std::string bytes;
    size_t off = 0;
    std::optional<FileBody> file;
  };
  enum class Deadline { Idle, Header, Body, Write, Linger };

  static void onIo(struct ev_loop* loop, ev_io* w, int revents) noexcept;
  static void onTimer(struct ev_loop* loop, ev_timer* w, int revents) noexcept;
  void handleIo(int revents);
  void handleTimer();
  void readInput();
  void processInput();
  bool parseAvailable();  // true when it answered and input remains
  void respond(Request&& request);
  void respondError(int status, std::string_view message);
  void enqueue(Response&& response, const WireOptions& wire);
  bool flush();          // false when the connection closed
  bool flushItem(OutItem& item);  // false when blocked or closed
  void finishIfDone();
  void closeSocket();  // stops watchers, closes the socket; no release
  void startLinger();
  void update();         // watcher events and timer
  Deadline deadlineKind() const;
  double deadlineAt(Deadline kind) const;
  bool isIdle() const;

  IoResult readSome(char* buf, size_t len);
  IoResult writeSome(const char* buf, size_t len);
  IoResult appendFileChunk(OutItem& item, size_t want);
  IoResult sendFile(FileBody& file);  // plain: sendfile(2); TLS: one chunk into `bytes`
  IoResult tlsResult(int rc, bool writing);
  bool startCoalescing();
  void stopCoalescing();
  bool flushCoalesced();

  Worker& worker_;
  int fd_;
  std::string client_;
  SslPtr ssl_;
  ev_io io_{};
  ev_timer timer_{};
  int io_events_ = 0;
  RequestParser parser_;
  std::string in_;
  std::deque<OutItem> out_;
  uint64_t out_bytes_ = 0;
  double opened_at_ = 0;
  double request_start_ = 0;
  double body_start_ = 0;
  double last_activity_ = 0;
  double last_write_progress_ = 0;
  double linger_start_ = 0;
  bool served_any_ = false;
  bool close_after_flush_ = false;
  bool linger_after_flush_ = false;
  bool lingering_ = false;
  bool draining_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  bool ssl_want_write_ = false;
  bool ssl_write_wants_read_ = false;
  bool coalescing_ = false;  // a write buffer sits between ssl_ and the socket
};

}  // namespace od::http
