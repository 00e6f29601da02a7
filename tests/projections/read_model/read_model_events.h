#pragma once
// Builders of the envelopes the read model folds (tests only): Module and Version
// observations as the watch adapter writes them, deletions, and VersionSynced facts.

#include <cstdint>
#include <optional>
#include <string>

#include "core/base64.h"
#include "events/codec.h"
#include "events/envelope.h"

namespace od::proj::testing {

struct VersionFixture {
  std::string ns = "team";
  std::string name = "vpc-1-2-0";  // the Version resource name
  std::string uid = "uid-1";
  std::string resource_version = "10";
  int64_t generation = 1;
  std::string module = "vpc";  // moduleConfigRef.name
  std::string system = "aws";
  std::string version = "v1.2.0";
  std::string type = "Module";
  std::string file_name = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.zip";
  std::string directory = "/data/modules";
  std::string status = "{}";
  bool deleting = false;

  std::string key() const { return "Version/" + ns + "/" + name; }
  std::string spec() const {
    return R"({"type":")" + type + R"(","version":")" + version + R"(","fileName":")" + file_name +
           R"(","moduleConfigRef":{"name":")" + module + R"(","provider":")" + system +
           R"(","repoOwner":"acme","fileFormat":"zip","storageConfig":{"fileSystem":{"directoryPath":")" +
           directory + R"("}}}})";
  }
  events::Envelope observed() const {
    events::ResourceObserved o;
    o.uid = uid;
    o.resource_version = resource_version;
    o.generation = generation;
    o.spec = spec();
    o.status = status;
    if (deleting) {
      o.deletion_timestamp = "2024-01-01T00:00:00Z";
    }
    return events::makeEnvelope(o, events::EnvelopeMeta{events::eventId({"obs", uid, resource_version}),
                                                        key(), "", "", 1});
  }
  events::Envelope deleted(std::string rv) const {
    events::ResourceDeleted d{uid, std::move(rv)};
    return events::makeEnvelope(d, events::EnvelopeMeta{events::eventId({"del", uid}), key(), "", "", 2});
  }
  events::Envelope synced(std::string checksum, uint64_t size = 1234,
                          std::optional<int64_t> gen = std::nullopt,
                          std::optional<std::string> file = std::nullopt) const {
    events::VersionSynced s;
    s.generation = gen.value_or(generation);
    s.file_name = file.value_or(file_name);
    s.checksum = std::move(checksum);
    s.size = size;
    return events::makeEnvelope(
        s, events::EnvelopeMeta{events::eventId({"synced", key(), std::to_string(s.generation), s.checksum}),
                                key(), "", "", 3});
  }
  events::Envelope failed() const {
    events::VersionSyncFailed f;
    f.generation = generation;
    f.reason = "upstream said no";
    f.retryable = true;
    return events::makeEnvelope(f, events::EnvelopeMeta{events::eventId({"failed", key()}), key(), "", "", 4});
  }
};

inline events::Envelope moduleObserved(const std::string& ns, const std::string& name,
                                       const std::string& system, const std::string& uid = "m-uid",
                                       const std::string& rv = "5") {
  events::ResourceObserved o;
  o.uid = uid;
  o.resource_version = rv;
  o.generation = 1;
  o.spec = R"({"moduleConfig":{"provider":")" + system +
           R"(","repoOwner":"acme","fileFormat":"zip"},"versions":[{"version":"1.2.0"}]})";
  return events::makeEnvelope(o, events::EnvelopeMeta{events::eventId({"mod", uid, rv}),
                                                      "Module/" + ns + "/" + name, "", "", 1});
}

inline events::Envelope moduleDeleted(const std::string& ns, const std::string& name,
                                      const std::string& uid = "m-uid") {
  events::ResourceDeleted d{uid, "99"};
  return events::makeEnvelope(d, events::EnvelopeMeta{events::eventId({"mdel", uid}),
                                                      "Module/" + ns + "/" + name, "", "", 2});
}

// A provider Version (one version x OS x arch) as the Provider reconciler creates it.
struct ProviderVersionFixture {
  std::string ns = "team";
  std::string provider = "aws";  // providerConfigRef.name
  std::string version = "5.80.0";
  std::string os = "linux";
  std::string arch = "amd64";
  std::string uid;
  std::string resource_version = "20";
  int64_t generation = 1;
  std::string file_name;
  std::string directory = "/data/providers";
  std::string status = "{}";
  bool deleting = false;

  std::string name() const { return provider + "-" + version + "-" + os + "-" + arch; }
  std::string key() const { return "Version/" + ns + "/" + name(); }
  std::string fileName() const { return file_name.empty() ? "f-" + name() + ".zip" : file_name; }
  std::string spec() const {
    return R"({"type":"Provider","version":")" + version + R"(","operatingSystem":")" + os +
           R"(","architecture":")" + arch + R"(","fileName":")" + fileName() +
           R"(","providerConfigRef":{"name":")" + provider +
           R"(","namespace":"hashicorp","operatingSystems":["linux"],"architectures":["amd64"],)"
           R"("storageConfig":{"fileSystem":{"directoryPath":")" + directory + R"("}}}})";
  }
  events::Envelope observed() const {
    events::ResourceObserved o;
    o.uid = uid.empty() ? "uid-" + name() : uid;
    o.resource_version = resource_version;
    o.generation = generation;
    o.spec = spec();
    o.status = status;
    if (deleting) {
      o.deletion_timestamp = "2024-01-01T00:00:00Z";
    }
    return events::makeEnvelope(
        o, events::EnvelopeMeta{events::eventId({"obs", o.uid, resource_version}), key(), "", "", 1});
  }
  events::Envelope synced(std::string checksum, std::optional<std::string> h1 = std::nullopt,
                          uint64_t size = 4321) const {
    events::VersionSynced s;
    s.generation = generation;
    s.file_name = fileName();
    s.checksum = std::move(checksum);
    s.size = size;
    s.h1 = std::move(h1);
    return events::makeEnvelope(
        s, events::EnvelopeMeta{events::eventId({"synced", key(), std::to_string(s.generation),
                                                 s.checksum, s.h1.value_or("")}),
                                key(), "", "", 3});
  }
};

inline events::Envelope providerObserved(const std::string& ns, const std::string& name,
                                         const std::string& config_name = "",
                                         const std::string& rv = "7") {
  events::ResourceObserved o;
  o.uid = "p-uid-" + name;
  o.resource_version = rv;
  o.generation = 1;
  o.spec = R"({"providerConfig":{)" +
           (config_name.empty() ? std::string() : R"("name":")" + config_name + R"(",)") +
           R"("operatingSystems":["linux"],"architectures":["amd64"]},"versions":[{"version":"5.80.0"}]})";
  return events::makeEnvelope(o, events::EnvelopeMeta{events::eventId({"prov", o.uid, rv}),
                                                      "Provider/" + ns + "/" + name, "", "", 1});
}

// A base64 SHA-256 value (32 bytes) whose bytes are all `fill`.
inline std::string checksumOf(char fill) { return core::base64Encode(std::string(32, fill)); }

}  // namespace od::proj::testing
