#include "tests/kubeapi/client.h"

#include <curl/curl.h>

#include <cctype>

namespace od::testkube {
namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<std::vector<std::pair<std::string, std::string>>*>(user)->emplace_back(name, value);
  }
  return size * n;
}

struct StreamState {
  std::string buffer;
  const std::function<bool(const json&)>* on_line;
  bool stop = false;
};

size_t WriteStream(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  s->buffer.append(data, size * n);
  size_t nl;
  while ((nl = s->buffer.find('\n')) != std::string::npos) {
    std::string line = s->buffer.substr(0, nl);
    s->buffer.erase(0, nl + 1);
    if (line.empty()) continue;
    if (!(*s->on_line)(json::parse(line))) {
      s->stop = true;
      return 0;  // abort the transfer
    }
  }
  return size * n;
}

curl_slist* Headers(const std::string& token, const std::string& content_type) {
  curl_slist* h = nullptr;
  h = curl_slist_append(h, ("Content-Type: " + content_type).c_str());
  h = curl_slist_append(h, "Accept: application/json");
  if (!token.empty()) h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
  return h;
}

}  // namespace

json Reply::Json() const { return json::parse(body); }

std::string Reply::Header(const std::string& lower) const {
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return "";
}

std::vector<std::string> Reply::Headers(const std::string& lower) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == lower) out.push_back(v);
  }
  return out;
}

Reply Client::Do(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& content_type) const {
  Reply r;
  CURL* c = curl_easy_init();
  curl_slist* h = Headers(token_, content_type);
  std::string url = base_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return (cancel != nullptr && cancel->load()) ? 1 : 0;
}

long Client::Stream(const std::string& path, const std::function<bool(const json&)>& on_line,
                    long timeout_ms, bool* clean, const std::atomic<bool>* cancel) const {
  StreamState state;
  state.on_line = &on_line;
  CURL* c = curl_easy_init();
  curl_slist* h = Headers(token_, "application/json");
  std::string url = base_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteStream);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (clean != nullptr) *clean = rc == CURLE_OK;
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

}  // namespace od::testkube
