#include "tests/adapters/sign/gpg_cli.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace od::adapters::sign::testing {
namespace {

int spawnAndWait(const std::vector<std::string>& argv, const std::string& out_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (out_path + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

GpgCli::GpgCli() {
  std::string pattern = (std::filesystem::temp_directory_path() / "od-gpgcli-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  home_ = pattern;
}

GpgCli::~GpgCli() {
  spawnAndWait({"gpgconf", "--homedir", home_, "--kill", "all"}, home_ + "/kill.out");
  // The agent may still be removing its sockets: retry when an entry vanished mid-walk.
  for (int attempt = 0; attempt < 20 && std::filesystem::exists(home_); ++attempt) {
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
    if (ec) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string GpgCli::writeFile(const std::string& name, const std::string& content) const {
  const std::string path = home_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

int GpgCli::run(const std::vector<std::string>& args, std::string* out) const {
  std::vector<std::string> argv = {"gpg", "--homedir", home_, "--batch", "--no-tty"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string out_path = home_ + "/cmd.out";
  const int rc = spawnAndWait(argv, out_path);
  if (out != nullptr) *out = readFile(out_path);
  return rc;
}

std::string GpgCli::generateKey(const KeyOptions& o) {
  std::vector<std::string> args;
  if (!o.faked_time.empty()) args = {"--faked-system-time", o.faked_time};
  args.insert(args.end(), {"--pinentry-mode", "loopback", "--passphrase", o.passphrase,
                           "--quick-gen-key", o.uid, "ed25519", o.usage, o.expire});
  if (run(args) != 0) throw std::runtime_error("gpg --quick-gen-key failed: " + readFile(home_ + "/cmd.out.err"));
  std::string listing;
  run({"--with-colons", "--list-keys", o.uid}, &listing);
  // The last primary key with this uid is the one just made: "fpr:::::::::<FPR>:".
  std::string fpr;
  std::istringstream lines(listing);
  bool after_pub = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("pub:", 0) == 0) after_pub = true;
    if (after_pub && line.rfind("fpr:", 0) == 0) {
      fpr = line.substr(12, line.find(':', 12) - 12);
      after_pub = false;
    }
  }
  if (fpr.empty()) throw std::runtime_error("no fingerprint in: " + listing);
  return fpr;
}

std::string GpgCli::addSigningSubkey(const std::string& fpr) {
  if (run({"--pinentry-mode", "loopback", "--passphrase", "", "--quick-add-key", fpr, "ed25519", "sign", "0"}) != 0) {
    throw std::runtime_error("gpg --quick-add-key failed: " + readFile(home_ + "/cmd.out.err"));
  }
  std::string listing;
  run({"--with-colons", "--list-keys", fpr}, &listing);
  std::string sub;
  std::istringstream lines(listing);
  bool after_sub = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("sub:", 0) == 0) after_sub = true;
    if (after_sub && line.rfind("fpr:", 0) == 0) {
      sub = line.substr(12, line.find(':', 12) - 12);
      after_sub = false;
    }
  }
  if (sub.empty()) throw std::runtime_error("no subkey in: " + listing);
  return sub;
}

std::string GpgCli::exportSecret(const std::string& fpr, const std::string& passphrase) const {
  std::string out;
  run({"--pinentry-mode", "loopback", "--passphrase", passphrase, "--armor", "--export-secret-keys", fpr}, &out);
  return out;
}

std::string GpgCli::exportPublic(const std::string& fpr) const {
  std::string out;
  run({"--armor", "--export", fpr}, &out);
  return out;
}

std::string GpgCli::sign(const std::string& fpr, const std::string& document, bool armor,
                         const std::string& faked_time) const {
  const std::string doc = writeFile("doc.txt", document);
  std::vector<std::string> args;
  if (!faked_time.empty()) args = {"--faked-system-time", faked_time};
  args.insert(args.end(), {"--pinentry-mode", "loopback", "--passphrase", "", "--local-user", fpr});
  if (armor) args.push_back("--armor");
  args.insert(args.end(), {"--detach-sign", "--output", "-", doc});
  std::string sig;
  if (run(args, &sig) != 0) throw std::runtime_error("gpg --detach-sign failed: " + readFile(home_ + "/cmd.out.err"));
  return sig;
}

bool GpgCli::verifies(const std::string& public_key, const std::string& document,
                      const std::string& signature) {
  // gpgv with a keyring holding only `public_key`: no agent and no trust database, so a
  // fresh home cannot fail for want of an agent (gpg --import in one sometimes does).
  GpgCli fresh;
  const std::string key = fresh.writeFile("key.asc", public_key);
  const std::string keyring = fresh.home() + "/key.gpg";
  if (fresh.run({"--output", keyring, "--dearmor", key}) != 0) return false;
  const std::string doc = fresh.writeFile("doc.txt", document);
  const std::string sig = fresh.writeFile("doc.sig", signature);
  return spawnAndWait({"gpgv", "--homedir", fresh.home(), "--keyring", keyring, sig, doc},
                      fresh.home() + "/gpgv.out") == 0;
}

}  // namespace od::adapters::sign::testing
