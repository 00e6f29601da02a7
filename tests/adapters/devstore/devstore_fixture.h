#pragma once
// Shared pieces of the devstore tests: a real EventLoop + LibevClock, a repeatable Random,
// a temp dir, sample objects, and wait() that runs the loop until a port callback arrives
// (and checks it did not run inside the call).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "adapters/devstore/local_resource_store.h"
#include "adapters/loop/event_loop.h"
#include "adapters/loop/libev_clock.h"
#include "core/ports/random.h"

namespace od::adapters::devstore::testing {

using nlohmann::json;
using namespace std::chrono_literals;

class CountingRandom final : public core::Random {
 public:
  uint64_t next() override { return 0x9e3779b97f4a7c15ULL * ++n_ + 12345; }

 private:
  uint64_t n_ = 0;
};

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/od-devstore-XXXXXX";
    path_ = ::mkdtemp(templ);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void writeFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline json moduleObject(const std::string& name, json versions = json::array({"1.0.0"}),
                         json labels = nullptr) {
  json v = json::array();
  for (const auto& s : versions) {
    v.push_back({{"version", s}});
  }
  json obj = {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
              {"kind", "Module"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"moduleConfig",
                 {{"provider", "aws"},
                  {"repoOwner", "terraform-aws-modules"},
                  {"fileFormat", "zip"},
                  {"storageConfig", {{"fileSystem", {{"directoryPath", "/data/modules"}}}}}}},
                {"versions", v}}}};
  if (!labels.is_null()) {
    obj["metadata"]["labels"] = labels;
  }
  return obj;
}

// A module Version owned by the given owners ({kind, name, uid}...).
inline json versionObject(const std::string& name, const std::string& version, json owners) {
  return {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
          {"kind", "Version"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"ownerReferences", owners}}},
          {"spec",
           {{"type", "Module"},
            {"version", version},
            {"moduleConfigRef",
             {{"name", "vpc"},
              {"provider", "aws"},
              {"repoOwner", "terraform-aws-modules"},
              {"fileFormat", "zip"},
              {"storageConfig", {{"fileSystem", {{"directoryPath", "/data/modules"}}}}}}}}}};
}

inline json ownerRef(const json& owner) {
  return {{"apiVersion", "opendepot.defdev.io/v1alpha1"},
          {"kind", owner["kind"]},
          {"name", owner["metadata"]["name"]},
          {"uid", owner["metadata"]["uid"]},
          {"controller", true}};
}

class DevstoreTest : public ::testing::Test {
 protected:
  loop::EventLoop loop_;
  loop::LibevClock clock_{loop_};
  CountingRandom random_;
  TempDir dir_;

  std::unique_ptr<LocalResourceStore> makeStore(std::string state_file = "") {
    return std::make_unique<LocalResourceStore>(loop_, clock_, random_,
                                                LocalStoreOptions{std::move(state_file)});
  }

  // Issues a port call and runs the loop until its callback arrives.
  template <typename T>
  T wait(const std::function<core::CancelablePtr(std::function<void(T)>)>& call) {
    std::optional<T> got;
    auto handle = call([&](T r) { got.emplace(std::move(r)); });
    EXPECT_FALSE(got.has_value()) << "the callback ran inside the call";
    loop_.runUntil([&] { return got.has_value(); }, 5s);
    if (!got) {
      ADD_FAILURE() << "no callback";
      std::abort();
    }
    return std::move(*got);
  }

  void drain() { loop_.runUntil([] { return false; }, 20ms); }
};

}  // namespace od::adapters::devstore::testing
