#include "http/connection.h"

#include <openssl/err.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "http/worker.h"

namespace od::http {

// The request target as the access log shows it: at most 512 bytes, and the download token
// of an artifact URL ("/artifacts/<token>/<file>") cut out, since it is a credential.
std::string loggableTarget(std::string_view target) {
  target = target.substr(0, 512);
  constexpr std::string_view kMarker = "/artifacts/";
  const size_t at = target.find(kMarker);
  if (at == std::string_view::npos) {
    return std::string(target);
  }
  const size_t start = at + kMarker.size();
  const size_t slash = target.find('/', start);
  std::string out(target.substr(0, start));
  out += "<token>";
  if (slash != std::string_view::npos) {
    out += target.substr(slash);
  }
  return out;
}

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kFileChunk = 256 * 1024;
// Under TLS a chunk is copied into the item's buffer: kept below glibc's mmap threshold
// (128 KiB), so the buffer comes from the heap instead of a fresh mmap (and page faults)
// per response.
constexpr size_t kTlsFileChunk = 64 * 1024;
// While a file body goes out under TLS, the records of one chunk (four 16 KiB records plus
// their 22-byte overheads, and the head) gather in a write buffer and leave in one write(2)
// instead of one per record: a quarter of the syscalls, and the peer woken once per chunk.
constexpr int kTlsCoalesce = 80 * 1024;

}  // namespace

Connection::Connection(Worker& worker, int fd, std::string client, SslPtr ssl)
    : worker_(worker),
      fd_(fd),
      client_(std::move(client)),
      ssl_(std::move(ssl)),
      parser_(worker.options().limits) {
  ev_io_init(&io_, &Connection::onIo, fd_, 0);
  io_.data = this;
  ev_timer_init(&timer_, &Connection::onTimer, 0, 0);
  timer_.data = this;
}

Connection::~Connection() {
  if (!closed_) {
    closeSocket();
  }
}

void Connection::start() {
  double now = ev_now(worker_.loop());
  opened_at_ = last_activity_ = last_write_progress_ = now;
  worker_.metrics().onConnectionOpened();
  update();
}

void Connection::onIo(struct ev_loop*, ev_io* w, int revents) noexcept {
  guardCallback("Connection::onIo", [&] { static_cast<Connection*>(w->data)->handleIo(revents); });
}

void Connection::onTimer(struct ev_loop*, ev_timer* w, int) noexcept {
  guardCallback("Connection::onTimer", [&] { static_cast<Connection*>(w->data)->handleTimer(); });
}

void Connection::handleIo(int revents) {
  if ((revents & EV_WRITE) || ssl_write_wants_read_) {
    if (!flush()) {
      return;
    }
  }
  // A TLS handshake that wanted to write continues through SSL_read once writable.
  bool handshake_write = ssl_ && (revents & EV_WRITE) && out_.empty();
  if ((revents & EV_READ) || handshake_write) {
    readInput();
    if (closed_) {
      return;
    }
  }
  processInput();
}

void Connection::readInput() {
  char buf[kReadChunk];
  IoResult r = readSome(buf, sizeof(buf));
  // Decrypted bytes OpenSSL already holds raise no socket event, so take them now.
  while (r.status == Io::Ok) {
    last_activity_ = ev_now(worker_.loop());
    if (!lingering_) {
      in_.append(buf, r.bytes);
    }
    // SSL_has_pending also counts raw bytes read ahead but not yet decrypted (read-ahead is
    // on, see tls.cc): those too will raise no socket event.
    if (!ssl_ || SSL_has_pending(ssl_.get()) == 0) {
      return;
    }
    r = readSome(buf, sizeof(buf));
  }
  if (r.status == Io::WouldBlock) {
    return;
  }
  if (r.status == Io::Eof) {
    peer_eof_ = true;
    if (lingering_ || (out_.empty() && in_.empty())) {
      closeNow();
    }
  } else if (r.status == Io::Error) {
    closeNow();
  }
}

void Connection::processInput() {
  // Output drained by flush() lets the requests still waiting in in_ go ahead.
  while (parseAvailable()) {
    if (closed_ || !flush()) {
      return;
    }
  }
  if (!closed_ && flush()) {
    finishIfDone();
  }
}

bool Connection::parseAvailable() {
  size_t limit = worker_.options().max_output_buffer;
  bool answered = false;
  while (!closed_ && !close_after_flush_ && !lingering_ && !in_.empty() && out_bytes_ < limit) {
    if (parser_.state() == RequestParser::State::Idle) {
      request_start_ = ev_now(worker_.loop());
    }
    size_t n = parser_.feed(in_);
    in_.erase(0, n);
    RequestParser::State state = parser_.state();
    if (state == RequestParser::State::Failed) {
      worker_.metrics().onParseError();
      respondError(parser_.error().status, parser_.error().message);
      return false;
    }
    if (state == RequestParser::State::Complete) {
      respond(parser_.takeRequest());
      answered = true;
    } else if (state == RequestParser::State::Body && body_start_ < request_start_) {
      body_start_ = ev_now(worker_.loop());
    }
    if (n == 0 && state != RequestParser::State::Complete) {
      break;
    }
  }
  return answered && !in_.empty();
}

void Connection::respond(Request&& request) {
  request.client = client_;
  Router::Routed routed = worker_.handle(request);
  Response response = std::move(routed.response);
  const std::string& route = routed.route;
  WireOptions wire{request.method == "HEAD", request.keep_alive && !draining_ && !response.close,
                   request.http_minor == 0};
  uint64_t bytes = sendsBody(response, wire) ? response.contentLength() : 0;
  int status = response.status;
  double seconds = ev_time() - request_start_;
  served_any_ = true;
  enqueue(std::move(response), wire);
  worker_.metrics().onRequest(route, status, bytes, seconds);
  worker_.log().info("event=http.access method={} path={} status={} bytes={} ms={:.3f} client={}",
                     request.method, loggableTarget(request.target), status, bytes,
                     seconds * 1000.0, client_);
}

void Connection::respondError(int status, std::string_view message) {
  Response response = Response::error(status, message);
  worker_.metrics().onRequest("unmatched", status, response.body.size(), 0);
  worker_.log().info("event=http.refused status={} reason=\"{}\" client={}", status, message,
                     client_);
  enqueue(std::move(response), WireOptions{false, false});
  linger_after_flush_ = true;
}

void Connection::enqueue(Response&& response, const WireOptions& wire) {
  OutItem item;
  item.bytes = serializeHead(response, wire);
  if (sendsBody(response, wire)) {
    if (response.file) {
      item.file = std::move(response.file);
    } else {
      item.bytes += response.body;
    }
  }
  out_bytes_ += item.bytes.size() + (item.file ? item.file->length() : 0);
  if (out_.empty()) {
    last_write_progress_ = ev_now(worker_.loop());
  }
  out_.push_back(std::move(item));
  if (!wire.keep_alive) {
    close_after_flush_ = true;
  }
}

bool Connection::flush() {
  ssl_write_wants_read_ = false;
  ssl_want_write_ = false;
  while (!out_.empty()) {
    if (!flushItem(out_.front())) {
      if (!closed_) {
        update();
      }
      return !closed_;
    }
    out_.pop_front();
  }
  if (close_after_flush_) {
    if (linger_after_flush_ && !ssl_ && !peer_eof_) {
      startLinger();
      return false;
    }
    closeNow();
    return false;
  }
  update();
  return true;
}

bool Connection::flushItem(OutItem& item) {
  if (ssl_ && item.file && !coalescing_ && !startCoalescing()) {
    closeNow();
    return false;
  }
  if (ssl_ && item.off == 0 && item.file && item.file->length() > 0 && item.bytes.size() < kTlsFileChunk) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(item.file->length(), kTlsFileChunk - item.bytes.size()));
    if (appendFileChunk(item, want).status != Io::Ok) {
      closeNow();
      return false;
    }
  }
  while (true) {
    if (item.off < item.bytes.size()) {
      IoResult r = writeSome(item.bytes.data() + item.off, item.bytes.size() - item.off);
      if (r.status != Io::Ok) {
        if (r.status != Io::WouldBlock) {
          closeNow();
        }
        return false;
      }
      item.off += r.bytes;
      out_bytes_ -= r.bytes;
      last_write_progress_ = ev_now(worker_.loop());
      continue;
    }
    if (coalescing_ && !flushCoalesced()) {
      return false;
    }
    if (!item.file || item.file->length() == 0) {
      stopCoalescing();
      return true;
    }
    item.bytes.clear();
    item.off = 0;
    IoResult r = sendFile(*item.file);
    if (r.status != Io::Ok) {
      if (r.status != Io::WouldBlock) {
        closeNow();
      }
      return false;
    }
    if (!ssl_) {
      out_bytes_ -= r.bytes;
      last_write_progress_ = ev_now(worker_.loop());
    }
  }
}

void Connection::finishIfDone() {
  if (closed_ || !out_.empty()) {
    return;
  }
  bool idle = in_.empty() && parser_.state() == RequestParser::State::Idle;
  if ((peer_eof_ && in_.empty()) || (draining_ && idle)) {
    closeNow();
    return;
  }
  update();
}

// After an error response, half-close and discard what the client still sends, so that the
// kernel does not answer unread bytes with a reset that would destroy our response.
void Connection::startLinger() {
  lingering_ = true;
  linger_start_ = ev_now(worker_.loop());
  in_.clear();
  ::shutdown(fd_, SHUT_WR);
  update();
}

void Connection::beginDrain() {
  draining_ = true;
  if (isIdle()) {
    closeNow();
  }
}

bool Connection::isIdle() const {
  return out_.empty() && in_.empty() && parser_.state() == RequestParser::State::Idle;
}

void Connection::closeNow() {
  if (closed_) {
    return;
  }
  closeSocket();
  worker_.release(this);
}

void Connection::closeSocket() {
  closed_ = true;
  ev_io_stop(worker_.loop(), &io_);
  ev_timer_stop(worker_.loop(), &timer_);
  if (ssl_) {
    SSL_shutdown(ssl_.get());  // best effort close_notify; never waits
    if (coalescing_) {
      BIO_flush(SSL_get_wbio(ssl_.get()));
    }
    ERR_clear_error();
  }
  ::close(fd_);
  out_.clear();
  worker_.metrics().onConnectionClosed();
}

Connection::Deadline Connection::deadlineKind() const {
  if (lingering_) {
    return Deadline::Linger;
  }
  if (!out_.empty()) {
    return Deadline::Write;
  }
  switch (parser_.state()) {
    case RequestParser::State::Head:
      return Deadline::Header;
    case RequestParser::State::Body:
      return Deadline::Body;
    default:
      return in_.empty() ? Deadline::Idle : Deadline::Header;
  }
}

double Connection::deadlineAt(Deadline kind) const {
  const ServerOptions& o = worker_.options();
  switch (kind) {
    case Deadline::Linger:
      return linger_start_ + o.linger_timeout;
    case Deadline::Write:
      return last_write_progress_ + o.write_timeout;
    case Deadline::Header:
      return request_start_ + o.header_timeout;
    case Deadline::Body:
      return body_start_ + o.body_timeout;
    case Deadline::Idle:
    default:
      return served_any_ ? last_activity_ + o.idle_timeout : opened_at_ + o.header_timeout;
  }
}

void Connection::update() {
  if (closed_) {
    return;
  }
  bool want_read = lingering_ || ssl_write_wants_read_ ||
                   (!close_after_flush_ && !peer_eof_ && out_bytes_ < worker_.options().max_output_buffer);
  bool want_write = !lingering_ && (!out_.empty() || ssl_want_write_);
  int events = (want_read ? EV_READ : 0) | (want_write ? EV_WRITE : 0);
  if (events != io_events_) {
    ev_io_stop(worker_.loop(), &io_);
    ev_io_set(&io_, fd_, events);
    if (events != 0) {
      ev_io_start(worker_.loop(), &io_);
    }
    io_events_ = events;
  }
  double delay = std::max(0.0, deadlineAt(deadlineKind()) - ev_now(worker_.loop()));
  ev_timer_stop(worker_.loop(), &timer_);
  ev_timer_set(&timer_, delay, 0);
  ev_timer_start(worker_.loop(), &timer_);
}

void Connection::handleTimer() {
  Deadline kind = deadlineKind();
  if (deadlineAt(kind) > ev_now(worker_.loop())) {
    update();  // the state moved on since the timer was armed
    return;
  }
  if (kind == Deadline::Header || kind == Deadline::Body) {
    in_.clear();
    respondError(408, kind == Deadline::Header ? "request header timeout" : "request body timeout");
    flush();
    return;
  }
  if (kind == Deadline::Write) {
    worker_.log().debug("event=http.write_stall client={}", client_);
  }
  closeNow();
}

Connection::IoResult Connection::tlsResult(int rc, bool writing) {
  if (rc > 0) {
    return IoResult{Io::Ok, static_cast<size_t>(rc)};
  }
  int err = SSL_get_error(ssl_.get(), rc);
  ERR_clear_error();
  if (err == SSL_ERROR_WANT_READ) {
    ssl_write_wants_read_ = writing;
    return IoResult{Io::WouldBlock};
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    ssl_want_write_ = true;
    return IoResult{Io::WouldBlock};
  }
  if (err == SSL_ERROR_ZERO_RETURN) {
    return IoResult{Io::Eof};
  }
  return IoResult{Io::Error};
}

Connection::IoResult Connection::readSome(char* buf, size_t len) {
  if (ssl_) {
    return tlsResult(SSL_read(ssl_.get(), buf, static_cast<int>(len)), false);
  }
  ssize_t n = ::recv(fd_, buf, len, 0);
  if (n > 0) {
    return IoResult{Io::Ok, static_cast<size_t>(n)};
  }
  if (n == 0) {
    return IoResult{Io::Eof};
  }
  return IoResult{(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::WouldBlock : Io::Error};
}

Connection::IoResult Connection::writeSome(const char* buf, size_t len) {
  if (ssl_) {
    return tlsResult(SSL_write(ssl_.get(), buf, static_cast<int>(std::min<size_t>(len, 1 << 30))), true);
  }
  ssize_t n = ::send(fd_, buf, len, MSG_NOSIGNAL);
  if (n >= 0) {
    return IoResult{Io::Ok, static_cast<size_t>(n)};
  }
  return IoResult{(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::WouldBlock : Io::Error};
}

// TLS: puts a write buffer between the SSL and its socket (see kTlsCoalesce). The socket BIO
// stays the read BIO; the buffer holds one more reference to it.
bool Connection::startCoalescing() {
  BIO* sock = SSL_get_wbio(ssl_.get());
  BIO* buffer = BIO_new(BIO_f_buffer());
  if (buffer == nullptr || BIO_set_write_buffer_size(buffer, kTlsCoalesce) != 1 ||
      BIO_up_ref(sock) != 1) {
    BIO_free(buffer);
    ERR_clear_error();
    return false;
  }
  BIO_push(buffer, sock);
  SSL_set0_wbio(ssl_.get(), buffer);  // drops the SSL's own reference to `sock`
  coalescing_ = true;
  return true;
}

// REQUIRES: the buffer is empty (flushCoalesced() returned true).
void Connection::stopCoalescing() {
  if (!coalescing_) {
    return;
  }
  BIO* sock = SSL_get_rbio(ssl_.get());
  BIO_up_ref(sock);
  SSL_set0_wbio(ssl_.get(), sock);  // frees the buffer and its reference to `sock`
  coalescing_ = false;
}

// Sends what the write buffer holds; false when the socket is full (EV_WRITE resumes it) or
// the connection closed.
bool Connection::flushCoalesced() {
  BIO* buffer = SSL_get_wbio(ssl_.get());
  const size_t before = static_cast<size_t>(BIO_wpending(buffer));
  if (before == 0) {
    return true;
  }
  const int rc = BIO_flush(buffer);
  if (static_cast<size_t>(BIO_wpending(buffer)) < before) {
    last_write_progress_ = ev_now(worker_.loop());
  }
  if (rc > 0) {
    return true;
  }
  if (BIO_should_retry(buffer)) {
    ssl_want_write_ = true;
    return false;
  }
  ERR_clear_error();
  closeNow();
  return false;
}

// TLS: the next `want` bytes of the item's file appended to its byte buffer (which SSL_write
// then sends), so a response head and its first chunk leave in one write.
Connection::IoResult Connection::appendFileChunk(OutItem& item, size_t want) {
  FileBody& file = *item.file;
  const size_t had = item.bytes.size();
  item.bytes.resize(had + want);
  ssize_t n = ::pread(file.fd(), item.bytes.data() + had, want, static_cast<off_t>(file.offset()));
  if (n <= 0) {
    item.bytes.resize(had);
    return IoResult{Io::Error};  // the file shrank or vanished: the response cannot be completed
  }
  item.bytes.resize(had + static_cast<size_t>(n));
  file.advance(static_cast<uint64_t>(n));
  return IoResult{Io::Ok, static_cast<size_t>(n)};
}

// Plain: sendfile(2) straight from the page cache. TLS cannot use it, so the next chunk is
// read into the item's byte buffer and goes out through SSL_write.
Connection::IoResult Connection::sendFile(FileBody& file) {
  if (ssl_) {
    return appendFileChunk(out_.front(), static_cast<size_t>(std::min<uint64_t>(file.length(), kTlsFileChunk)));
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(file.length(), kFileChunk));
  off_t offset = static_cast<off_t>(file.offset());
  ssize_t n = ::sendfile(fd_, file.fd(), &offset, want);
  if (n > 0) {
    file.advance(static_cast<uint64_t>(n));
    return IoResult{Io::Ok, static_cast<size_t>(n)};
  }
  if (n == 0) {
    return IoResult{Io::Error};
  }
  return IoResult{(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::WouldBlock : Io::Error};
}

}  // namespace od::http
