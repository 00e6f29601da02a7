// TLS over loopback: a self-signed certificate made here with OpenSSL, TLS 1.2+ only,
// certificate reload when the files change, non-TLS bytes on the TLS port (B14), and file
// bodies under TLS (no sendfile there).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "http/server.h"
#include "tests/http/test_client.h"

namespace od::http {
namespace {

using namespace od::http::testing;
namespace fs = std::filesystem;

// Writes a fresh key and a self-signed certificate for `cn`; replaces the files by rename.
void writeSelfSigned(const fs::path& cert, const fs::path& key, const std::string& cn) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  ASSERT_NE(pkey, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  ASSERT_GT(X509_sign(x, pkey, EVP_sha256()), 0);
  fs::path cert_tmp = cert.string() + ".tmp";
  fs::path key_tmp = key.string() + ".tmp";
  FILE* f = std::fopen(cert_tmp.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(key_tmp.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  fs::rename(key_tmp, key);
  fs::rename(cert_tmp, cert);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

struct TlsReply {
  bool handshake_ok = false;
  std::string peer_cn;
  std::string bytes;  // everything read until close
};

// `pause_ms`: a pause between sending and reading, so that large answers fill the socket and
// the server has to resume them on EV_WRITE.
TlsReply tlsRequest(uint16_t port, const std::string& request, int max_version = 0,
                    int pause_ms = 0) {
  TlsReply reply;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (max_version != 0) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
  }
  int fd = connectTo(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) == 1) {
    reply.handshake_ok = true;
    X509* peer = SSL_get1_peer_certificate(ssl);
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
    reply.peer_cn = cn;
    X509_free(peer);
    if (pause_ms > 0) {
      // One TLS record per request: the server reads ahead, so later records wait in
      // OpenSSL's buffer, not in the socket.
      size_t from = 0;
      while (from < request.size()) {
        const size_t end = request.find("\r\n\r\n", from) + 4;
        SSL_write(ssl, request.data() + from, static_cast<int>(end - from));
        from = end;
      }
    } else {
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    char buf[65536];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
      reply.bytes.append(buf, static_cast<size_t>(n));
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return reply;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("od-http-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    writeSelfSigned(dir_ / "tls.crt", dir_ / "tls.key", "first");
    file_ = dir_ / "blob";
    content_.resize(1024 * 1024 + 7);
    for (size_t i = 0; i < content_.size(); ++i) {
      content_[i] = static_cast<char>('a' + i % 23);  // a pattern, so misplaced bytes show
    }
    std::ofstream(file_, std::ios::binary) << content_;
    big_ = dir_ / "big";
    std::ofstream big(big_, std::ios::binary);
    for (int i = 0; i < 12; ++i) {
      big << content_;
    }
    big.close();
    router_.get("/big", "big", [this](const Request&) {
      Response r;
      r.file.emplace(::open(big_.c_str(), O_RDONLY | O_CLOEXEC), 0, 12 * content_.size());
      return r;
    });
    router_.get("/blob", "blob", [this](const Request&) {
      Response r;
      r.file.emplace(::open(file_.c_str(), O_RDONLY | O_CLOEXEC), 0, 1024 * 1024 + 7);
      return r;
    });
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.threads = 1;
    options_.header_timeout = 0.5;
    options_.tls = TlsFiles{(dir_ / "tls.crt").string(), (dir_ / "tls.key").string()};
    options_.tls_reload_interval = 0.05;
    server_ = std::make_unique<Server>(options_, router_, *log_);
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override {
    server_->stop();
    fs::remove_all(dir_);
  }

  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("http", std::make_shared<spdlog::sinks::null_sink_mt>());
  fs::path dir_;
  fs::path file_;
  fs::path big_;  // content_ twelve times (12 MiB): more than the socket buffers hold
  std::string content_;
  Router router_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
};

TEST_F(Tls, ServesHttpsWithTheConfiguredCertificate) {
  TlsReply r = tlsRequest(server_->port(), get("/healthz", "Connection: close\r\n"));
  ASSERT_TRUE(r.handshake_ok);
  EXPECT_EQ(r.peer_cn, "first");
  EXPECT_EQ(r.bytes.substr(0, 15), "HTTP/1.1 200 OK");
}

TEST_F(Tls, RefusesProtocolsOlderThanTls12) {
  TlsReply r = tlsRequest(server_->port(), get("/healthz"), TLS1_1_VERSION);
  EXPECT_FALSE(r.handshake_ok);
}

TEST_F(Tls, ReloadsTheCertificateWhenTheFilesChange) {
  ASSERT_EQ(tlsRequest(server_->port(), get("/healthz", "Connection: close\r\n")).peer_cn, "first");
  writeSelfSigned(dir_ / "tls.crt", dir_ / "tls.key", "second");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  TlsReply r = tlsRequest(server_->port(), get("/healthz", "Connection: close\r\n"));
  ASSERT_TRUE(r.handshake_ok);
  EXPECT_EQ(r.peer_cn, "second");
}

TEST_F(Tls, B14PlaintextAndHttp2PrefaceOnTheTlsPortAreClosedWithoutHarm) {
  int plain = connectTo(server_->port());
  ASSERT_TRUE(sendAll(plain, get("/healthz")));
  EXPECT_TRUE(closedWithin(plain, 2000));
  ::close(plain);
  int h2 = connectTo(server_->port());
  ASSERT_TRUE(sendAll(h2, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  EXPECT_TRUE(closedWithin(h2, 2000));
  ::close(h2);
  TlsReply r = tlsRequest(server_->port(), get("/healthz", "Connection: close\r\n"));
  EXPECT_EQ(r.bytes.substr(0, 15), "HTTP/1.1 200 OK");
}

TEST_F(Tls, FileBodiesGoOutInChunksUnderTls) {
  TlsReply r = tlsRequest(server_->port(), get("/blob", "Connection: close\r\n"));
  size_t head_end = r.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_NE(r.bytes.find("Content-Length: 1048583\r\n"), std::string::npos);
  EXPECT_EQ(r.bytes.size() - head_end - 4, 1024u * 1024u + 7u);
}

// The records of a file body leave through a write buffer (several per write): pipelined
// responses to a reader that lets the socket fill still arrive whole and in order.
TEST_F(Tls, PipelinedFileBodiesToALateReaderArriveWholeAndInOrder) {
  const std::string request = get("/big") + get("/healthz") + get("/big", "Connection: close\r\n");
  TlsReply r = tlsRequest(server_->port(), request, 0, 300);
  ASSERT_TRUE(r.handshake_ok);
  std::vector<std::string> bodies;
  size_t at = 0;
  while (at < r.bytes.size()) {
    const size_t head_end = r.bytes.find("\r\n\r\n", at);
    ASSERT_NE(head_end, std::string::npos);
    const std::string head = r.bytes.substr(at, head_end - at);
    const size_t cl = head.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos) << head;
    const size_t length = std::stoul(head.substr(cl + 16));
    ASSERT_LE(head_end + 4 + length, r.bytes.size());
    bodies.push_back(r.bytes.substr(head_end + 4, length));
    at = head_end + 4 + length;
  }
  ASSERT_EQ(bodies.size(), 3u);
  std::string big;
  for (int i = 0; i < 12; ++i) {
    big += content_;
  }
  EXPECT_TRUE(bodies[0] == big);
  EXPECT_EQ(bodies[1], "ok\n");
  EXPECT_TRUE(bodies[2] == big);
}

}  // namespace
}  // namespace od::http
