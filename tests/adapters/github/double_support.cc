// The GitHub double's archive builder (libarchive) and App JWT checks (OpenSSL).
#include <archive.h>
#include <archive_entry.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/base64.h"
#include "core/json.h"
#include "tests/adapters/github/github_double.h"

namespace od::testing {

namespace fs = std::filesystem;
using core::Errc;
using core::makeError;

namespace {

constexpr int64_t kFixedMtime = 1704067200;  // 2024-01-01T00:00:00Z

la_ssize_t appendOut(struct archive* /*a*/, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

struct ArchiveWriter {
  struct archive* a = archive_write_new();
  ~ArchiveWriter() { archive_write_free(a); }
};
struct EntryHolder {
  struct archive_entry* e = archive_entry_new();
  ~EntryHolder() { archive_entry_free(e); }
};

core::Status addEntry(struct archive* a, const std::string& name, bool dir, const std::string& data,
                      bool executable) {
  EntryHolder entry;
  archive_entry_set_pathname(entry.e, name.c_str());
  archive_entry_set_filetype(entry.e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(entry.e, dir || executable ? 0755 : 0644);
  archive_entry_set_mtime(entry.e, kFixedMtime, 0);
  archive_entry_set_size(entry.e, dir ? 0 : static_cast<la_int64_t>(data.size()));
  if (archive_write_header(a, entry.e) != ARCHIVE_OK ||
      (!dir && archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))) {
    return makeError(Errc::Internal, "archive entry " + name + ": " + archive_error_string(a));
  }
  return core::okStatus();
}

}  // namespace

core::Result<std::string> buildArchive(const std::string& dir, const std::string& prefix, bool zip) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return makeError(Errc::Invalid, "fixture " + dir + " is not a directory");
  }
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  std::string out;
  ArchiveWriter w;
  if (zip) {
    archive_write_set_format_zip(w.a);
  } else {
    archive_write_set_format_pax_restricted(w.a);
    archive_write_add_filter_gzip(w.a);
    archive_write_set_filter_option(w.a, "gzip", "timestamp", nullptr);  // no mtime in the header
  }
  if (archive_write_open(w.a, &out, nullptr, &appendOut, nullptr) != ARCHIVE_OK) {
    return makeError(Errc::Internal, std::string("archive open: ") + archive_error_string(w.a));
  }
  auto top = addEntry(w.a, prefix, true, "", false);
  if (!top.ok()) {
    return top.error();
  }
  for (const fs::path& p : paths) {
    std::string rel = fs::relative(p, dir).generic_string();
    bool is_dir = fs::is_directory(p);
    std::string data;
    if (!is_dir) {
      std::ifstream in(p, std::ios::binary);
      data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    bool exec = !is_dir && (fs::status(p).permissions() & fs::perms::owner_exec) != fs::perms::none;
    auto added = addEntry(w.a, prefix + rel + (is_dir ? "/" : ""), is_dir, data, exec);
    if (!added.ok()) {
      return added.error();
    }
  }
  if (archive_write_close(w.a) != ARCHIVE_OK) {
    return makeError(Errc::Internal, std::string("archive close: ") + archive_error_string(w.a));
  }
  return out;
}

std::string verifyAppJwt(const std::string& jwt, const std::string& public_key_pem, int64_t app_id,
                         int64_t now) {
  const std::string kUndecodable = "A JSON web token could not be decoded";
  size_t dot1 = jwt.find('.');
  size_t dot2 = dot1 == std::string::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string::npos || jwt.find('.', dot2 + 1) != std::string::npos) {
    return kUndecodable;
  }
  auto header = core::base64UrlDecode(std::string_view(jwt).substr(0, dot1));
  auto payload = core::base64UrlDecode(std::string_view(jwt).substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = core::base64UrlDecode(std::string_view(jwt).substr(dot2 + 1));
  if (!header || !payload || !signature) {
    return kUndecodable;
  }
  auto hdoc = core::JsonDocument::parse(*header);
  std::string_view alg;
  if (!hdoc || hdoc->root()["alg"].get(alg) != simdjson::SUCCESS || alg != "RS256") {
    return kUndecodable;
  }
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    return kUndecodable;  // no App key configured: nothing verifies
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string_view input = std::string_view(jwt).substr(0, dot2);
  bool good = ctx != nullptr &&
              EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                               signature->size(), reinterpret_cast<const unsigned char*>(input.data()),
                               input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!good) {
    return kUndecodable;
  }
  auto pdoc = core::JsonDocument::parse(*payload);
  int64_t iat = 0;
  int64_t exp = 0;
  if (!pdoc || pdoc->root()["exp"].get(exp) != simdjson::SUCCESS) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time "
           "at which the assertion expires";
  }
  if (pdoc->root()["iat"].get(iat) != simdjson::SUCCESS || iat > now + 60) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
           "was issued";
  }
  if (exp <= now) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time "
           "at which the assertion expires";
  }
  if (exp - iat > 600 || exp > now + 600) {
    return "'Expiration time' claim ('exp') is too far in the future";
  }
  int64_t iss = 0;
  std::string_view iss_text;
  simdjson::dom::element iss_el;
  bool iss_ok = pdoc->root()["iss"].get(iss_el) == simdjson::SUCCESS &&
                ((iss_el.get(iss) == simdjson::SUCCESS && iss == app_id) ||
                 (iss_el.get(iss_text) == simdjson::SUCCESS && iss_text == std::to_string(app_id)));
  if (!iss_ok) {
    return "Integration not found";
  }
  return "";
}

}  // namespace od::testing
