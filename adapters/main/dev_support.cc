#include "adapters/main/dev_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/sign/gpgme_keygen.h"

namespace od::adapters::main {
namespace {

using core::Errc;
using core::makeError;

bool answersPing(int port) {
  timeval tv{0, 200000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr) {
    return false;
  }
  bool ok = false;
  if (c->err == 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) {
      freeReplyObject(reply);
    }
  }
  redisFree(c);
  return ok;
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

// True when `path` holds a certificate valid for at least one more day.
bool certStillGood(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return false;
  }
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!cert) {
    return false;
  }
  time_t tomorrow = std::time(nullptr) + 86400;
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &tomorrow) > 0;
}

core::Status writePem(const std::string& path, mode_t mode, const std::function<int(FILE*)>& write) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return makeError(Errc::Internal, "cannot write " + tmp);
  }
  FILE* f = ::fdopen(fd, "w");
  const bool ok = f != nullptr && write(f) == 1;
  if (f != nullptr) {
    std::fclose(f);
  } else {
    ::close(fd);
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return makeError(Errc::Internal, "cannot write " + path);
  }
  return core::Status();
}

bool addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

PrivateValkey::~PrivateValkey() { stop(); }

core::Status PrivateValkey::start(const std::string& executable, const std::string& dir,
                                  std::chrono::milliseconds timeout) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return makeError(Errc::Internal, "cannot create " + dir + ": " + ec.message());
  }
  port_ = freeLoopbackPort();
  if (port_ == 0) {
    return makeError(Errc::Unavailable, "no free loopback port for the private Valkey server");
  }
  std::vector<std::string> args{executable,   "--bind",       "127.0.0.1", "--port",
                                std::to_string(port_), "--dir", dir, "--save", "",
                                "--appendonly", "yes", "--appendfsync", "everysec",
                                "--daemonize", "no", "--logfile", dir + "/redis.log"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    return makeError(Errc::Unavailable, "fork failed");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the server goes when we go, even on a crash
    if (::getppid() != parent) {
      ::_exit(1);
    }
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(null_fd, STDOUT_FILENO);
      ::dup2(null_fd, STDERR_FILENO);
    }
    ::setpgid(0, 0);  // a Ctrl-C in the terminal reaches us, and we stop it in order
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (answersPing(port_)) {
      return core::Status();
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        return makeError(Errc::Unavailable, "'" + executable +
                                                "' is not installed: run scripts/install-deps.sh, "
                                                "or give --valkey-url");
      }
      return makeError(Errc::Unavailable, "the private Valkey server exited at start; see " +
                                              dir + "/redis.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  return makeError(Errc::Unavailable, "the private Valkey server did not answer within " +
                                          std::to_string(timeout.count()) + " ms; see " + dir +
                                          "/redis.log");
}

void PrivateValkey::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

core::Result<std::string> ensureDevSigningKey(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return path;
  }
  OD_TRY(std::string armored, sign::generateSigningKey("OpenDepot dev registry <dev@opendepot.invalid>"));
  auto wrote = writePem(path, 0600, [&](FILE* f) {
    return std::fwrite(armored.data(), 1, armored.size(), f) == armored.size() ? 1 : 0;
  });
  if (!wrote.ok()) {
    return wrote.error();
  }
  return path;
}

core::Result<CertFiles> ensureSelfSignedCert(const std::string& dir) {
  CertFiles files{dir + "/tls.crt", dir + "/tls.key"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return makeError(Errc::Internal, "cannot create " + dir + ": " + ec.message());
  }
  if (std::filesystem::exists(files.key) && certStillGood(files.cert)) {
    return files;
  }
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) {
    return makeError(Errc::Internal, "OpenSSL could not create a key");
  }
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::FILE* urandom = std::fopen("/dev/urandom", "rb");
  if (urandom == nullptr || std::fread(serial, 1, sizeof(serial), urandom) != sizeof(serial)) {
    if (urandom != nullptr) {
      std::fclose(urandom);
    }
    return makeError(Errc::Internal, "cannot read /dev/urandom");
  }
  std::fclose(urandom);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("OpenDepot dev"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  // A self-signed certificate that is its own trust anchor: clients put it in SSL_CERT_FILE.
  if (!addExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
      !addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !addExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return makeError(Errc::Internal, "OpenSSL could not sign the dev certificate");
  }
  auto wrote_key = writePem(files.key, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!wrote_key.ok()) {
    return std::move(wrote_key).takeError();
  }
  auto wrote_cert = writePem(files.cert, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  if (!wrote_cert.ok()) {
    return std::move(wrote_cert).takeError();
  }
  return files;
}

}  // namespace od::adapters::main
