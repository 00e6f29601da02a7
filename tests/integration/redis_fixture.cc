#include "tests/integration/redis_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace od::testing {

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "od-redis-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::abort();
  }
  dir_ = tmpl;
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool RedisServer::start(std::chrono::milliseconds timeout) {
  if (running()) {
    return true;
  }
  if (port_ == 0) {
    port_ = freePort();
  }
  std::vector<std::string> args{options_.executable, "--bind", "127.0.0.1",
                                "--port", std::to_string(port_), "--save", "",
                                "--dir", dir_, "--daemonize", "no",
                                "--logfile", dir_ + "/redis.log",
                                "--enable-debug-command", "yes",
                                "--appendonly", options_.appendonly ? "yes" : "no"};
  if (options_.appendonly) {
    args.insert(args.end(), {"--appendfsync", options_.appendfsync});
  }
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const std::string console = dir_ + "/redis.console";
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    return false;
  }
  if (pid == 0) {
    // The server dies with the test process, even when the test crashes or is killed (and
    // the parent may already be gone before prctl runs).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(1);
    }
    // Never inherit the test's stdout/stderr: ctest waits for every writer of its pipe to
    // close, so a server holding it would hang the whole run.
    const int out = ::open(console.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping()) {
      return true;
    }
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;  // it exited (port taken, bad option): see dir()/redis.log
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
  return false;
}

void RedisServer::stop() {
  if (!running()) {
    return;
  }
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::kill() {
  if (!running()) {
    return;
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::pause() {
  if (running()) {
    ::kill(pid_, SIGSTOP);
  }
}

void RedisServer::resume() {
  if (running()) {
    ::kill(pid_, SIGCONT);
  }
}

ReplyPtr RedisServer::command(const std::vector<std::string>& args) const {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) {
      redisFree(c);
    }
    return nullptr;
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  redisFree(c);
  return ReplyPtr(reply);
}

std::string RedisServer::text(const std::vector<std::string>& args) const {
  ReplyPtr reply = command(args);
  if (!reply) {
    return "(unreachable)";
  }
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY:
      return "[" + std::to_string(reply->elements) + "]";
    default:
      return std::string(reply->str, reply->len);
  }
}

long long RedisServer::integer(const std::vector<std::string>& args) const {
  ReplyPtr reply = command(args);
  return reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

bool RedisServer::ping() const { return text({"PING"}) == "PONG"; }

}  // namespace od::testing
