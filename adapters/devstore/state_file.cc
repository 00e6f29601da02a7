#include "adapters/devstore/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/devstore/object_rules.h"
#include "core/resources/any_resource.h"

namespace od::adapters::devstore {
namespace {

core::Error ioError(const std::string& what, const std::string& path, int err) {
  return core::makeError(core::Errc::Unavailable,
                         what + " " + path + ": " + std::strerror(err));
}

core::Status writeAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError("write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return core::okStatus();
}

void syncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: the rename is already visible to readers
    ::close(fd);
  }
}

core::Error corrupt(const std::string& path, const std::string& why) {
  return core::makeError(core::Errc::Corrupt, "state file " + path + ": " + why);
}

}  // namespace

std::string StoredObject::kind() const { return stringAt(object, "kind"); }

core::Status writeStateFile(const std::string& path, const StoreState& state) {
  nlohmann::json doc = {{"format", kStateFormat},
                        {"resourceVersion", std::to_string(state.resource_version)},
                        {"objects", nlohmann::json::array()}};
  for (const auto& o : state.objects) {
    doc["objects"].push_back({{"origin", o.origin}, {"object", o.object}});
  }
  std::string data = doc.dump(1) + "\n";
  std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return ioError("create", tmp, errno);
  }
  core::Status wrote = writeAll(fd, data, tmp);
  if (wrote && ::fsync(fd) != 0) {
    wrote = ioError("fsync", tmp, errno);
  }
  ::close(fd);
  if (wrote && ::rename(tmp.c_str(), path.c_str()) != 0) {
    wrote = ioError("rename to " + path + ":", tmp, errno);
  }
  if (!wrote) {
    ::unlink(tmp.c_str());
    return wrote;
  }
  syncDirectory(target.parent_path());
  return core::okStatus();
}

core::Result<StoreState> readStateFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) {
    return core::makeError(core::Errc::NotFound, "state file " + path + " does not exist");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return ioError("open", path, errno);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return ioError("read", path, errno);
  }
  nlohmann::json doc = nlohmann::json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return corrupt(path, "not a JSON object");
  }
  if (stringAt(doc, "format") != kStateFormat) {
    return corrupt(path, "format is not \"" + std::string(kStateFormat) + "\"");
  }
  StoreState state;
  std::string rv = stringAt(doc, "resourceVersion");
  char* end = nullptr;
  state.resource_version = std::strtoull(rv.c_str(), &end, 10);
  if (rv.empty() || *end != '\0') {
    return corrupt(path, "resourceVersion is not a number");
  }
  if (!doc.contains("objects") || !doc["objects"].is_array()) {
    return corrupt(path, "objects is not an array");
  }
  std::set<std::string> seen;
  size_t index = 0;
  for (const auto& item : doc["objects"]) {
    std::string at = "objects[" + std::to_string(index++) + "]";
    if (!item.is_object() || !item.contains("object") || !item["object"].is_object()) {
      return corrupt(path, at + " has no object");
    }
    StoredObject o{stringAt(item, "origin"), item["object"]};
    if (o.origin != kOriginApi && o.origin != kOriginManifests) {
      return corrupt(path, at + " has an unknown origin \"" + o.origin + "\"");
    }
    if (!core::kindFromName(o.kind())) {
      return corrupt(path, at + " has an unknown kind \"" + o.kind() + "\"");
    }
    for (const char* key : {"name", "namespace", "uid", "resourceVersion"}) {
      if (metaString(o.object, key).empty()) {
        return corrupt(path, at + " has no metadata." + key);
      }
    }
    std::string id = o.kind() + "/" + metaString(o.object, "namespace") + "/" +
                     metaString(o.object, "name");
    if (!seen.insert(id).second) {
      return corrupt(path, at + " repeats " + id);
    }
    state.objects.push_back(std::move(o));
  }
  return state;
}

core::Result<std::string> moveAside(const std::string& path, core::Clock::TimePoint now) {
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string aside = path + ".corrupt-" + stamp;
  for (int n = 1; std::filesystem::exists(aside); ++n) {
    aside = path + ".corrupt-" + stamp + "-" + std::to_string(n);
  }
  if (::rename(path.c_str(), aside.c_str()) != 0) {
    return ioError("move aside", path, errno);
  }
  return aside;
}

}  // namespace od::adapters::devstore
