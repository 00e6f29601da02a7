#include "adapters/sign/gpgme_support.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

extern char** environ;

namespace od::adapters::sign {
namespace {

using core::Errc;
using core::makeError;

void initOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Must precede any other GPGME call; it also sets up GPGME's thread support.
    gpgme_check_version(nullptr);
  });
}

// The gpgconf binary GPGME itself would use, else the one on PATH.
std::string gpgconfPath() {
  gpgme_engine_info_t info = nullptr;
  if (gpgme_get_engine_info(&info) == 0) {
    for (; info != nullptr; info = info->next) {
      if (info->protocol == GPGME_PROTOCOL_GPGCONF && info->file_name != nullptr) {
        return info->file_name;
      }
    }
  }
  return "gpgconf";
}

// `gpgconf --homedir <home> --kill all`: stops the agent gpg started for this home (gpgconf
// never starts one). Output goes to /dev/null; failures are harmless (the agent notices
// its socket is gone and exits on its own).
void killDaemons(const std::string& home) {
  const std::string gpgconf = gpgconfPath();
  const char* argv[] = {gpgconf.c_str(), "--homedir", home.c_str(), "--kill", "all", nullptr};
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return;
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, gpgconf.c_str(), &actions, nullptr,
                              const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

gpgme_error_t refusePassphrase(void* hook, const char*, const char*, int, int) {
  if (hook != nullptr) *static_cast<bool*>(hook) = true;
  return gpgme_error(GPG_ERR_CANCELED);
}

}  // namespace

core::Result<std::shared_ptr<GnupgHome>> GnupgHome::create() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "od-gpg-XXXXXX").string();
  // mkdtemp creates the directory with mode 0700.
  if (mkdtemp(pattern.data()) == nullptr) {
    return makeError(Errc::Unavailable, "cannot create a temporary GNUPGHOME under " +
                                            base.string() + ": " + std::strerror(errno));
  }
  return std::shared_ptr<GnupgHome>(new GnupgHome(std::move(pattern)));
}

GnupgHome::~GnupgHome() {
  killDaemons(path_);
  // The agent may still be removing its sockets while we walk the tree, and remove_all gives
  // up on an entry that vanished under it; a few more passes finish the job.
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (!std::filesystem::exists(path_, ec)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string errorText(gpgme_error_t err) {
  char buf[256];
  gpgme_strerror_r(err, buf, sizeof buf);
  return buf;
}

core::Result<Context> newContext(const GnupgHome& home, bool* passphrase_asked) {
  initOnce();
  gpgme_ctx_t raw = nullptr;
  if (gpgme_error_t err = gpgme_new(&raw); err != 0) {
    return makeError(Errc::Internal, "gpgme_new: " + errorText(err));
  }
  Context ctx(raw);
  gpgme_error_t err = gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP);
  if (err == 0) err = gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, home.path().c_str());
  if (err == 0) err = gpgme_set_pinentry_mode(raw, GPGME_PINENTRY_MODE_LOOPBACK);
  if (err != 0) {
    return makeError(Errc::Unavailable, "cannot set up gpg (is gnupg installed?): " + errorText(err));
  }
  gpgme_set_offline(raw, 1);
  gpgme_set_passphrase_cb(raw, refusePassphrase, passphrase_asked);
  return ctx;
}

core::Result<Data> dataOver(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 0); err != 0) {
    return makeError(Errc::Internal, "gpgme_data_new_from_mem: " + errorText(err));
  }
  return Data(raw);
}

core::Result<Data> newOutput() {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new(&raw); err != 0) {
    return makeError(Errc::Internal, "gpgme_data_new: " + errorText(err));
  }
  return Data(raw);
}

std::string contentsOf(gpgme_data_t data) {
  std::string out;
  if (gpgme_data_seek(data, 0, SEEK_SET) != 0) return out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = gpgme_data_read(data, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

core::Result<ImportedKeys> importKeys(gpgme_ctx_t ctx, std::string_view keys) {
  OD_TRY(Data in, dataOver(keys));
  if (gpgme_error_t err = gpgme_op_import(ctx, in.get()); err != 0) {
    return makeError(Errc::Invalid, "cannot read OpenPGP keys: " + errorText(err));
  }
  gpgme_import_result_t result = gpgme_op_import_result(ctx);
  ImportedKeys imported;
  if (result == nullptr) return makeError(Errc::Invalid, "no OpenPGP key found");
  for (gpgme_import_status_t s = result->imports; s != nullptr; s = s->next) {
    if (s->result != 0 || s->fpr == nullptr) continue;
    const std::string fpr = s->fpr;
    if (std::find(imported.fingerprints.begin(), imported.fingerprints.end(), fpr) ==
        imported.fingerprints.end()) {
      imported.fingerprints.push_back(fpr);
    }
  }
  if (imported.fingerprints.empty()) return makeError(Errc::Invalid, "no OpenPGP key found");
  return imported;
}

core::Result<std::string> exportArmoredPublicKey(gpgme_ctx_t ctx, const std::string& fingerprint) {
  OD_TRY(Data out, newOutput());
  gpgme_set_armor(ctx, 1);
  gpgme_error_t err = gpgme_op_export(ctx, fingerprint.c_str(), 0, out.get());
  gpgme_set_armor(ctx, 0);
  if (err != 0) return makeError(Errc::Internal, "cannot export key " + fingerprint + ": " + errorText(err));
  std::string armor = contentsOf(out.get());
  if (armor.empty()) return makeError(Errc::Internal, "gpg exported nothing for key " + fingerprint);
  return armor;
}

std::string upperCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::string keyIdOf(std::string_view fingerprint) {
  return upperCase(fingerprint.size() > 16 ? fingerprint.substr(fingerprint.size() - 16) : fingerprint);
}

}  // namespace od::adapters::sign
