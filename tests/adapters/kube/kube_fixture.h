#pragma once
// Fixture of kube_tests: an in-process TestApiServer loaded with chart/crds, an EventLoop
// and a KubeClient pointing at it, and helpers that run the loop until a call completes.
// Thread affinity: the test thread (the server serves on its own threads).

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>

#include "adapters/kube/kube_client.h"
#include "adapters/loop/event_loop.h"
#include "tests/kubeapi/api_server.h"

namespace od::adapters::kube::testing {

inline std::shared_ptr<spdlog::logger> testLogger() {
  static auto logger =
      std::make_shared<spdlog::logger>("k8s-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

inline std::string moduleJson(const std::string& name, const std::string& provider = "aws") {
  return R"({"apiVersion":"opendepot.defdev.io/v1alpha1","kind":"Module","metadata":{"name":")" +
         name + R"(","namespace":"default"},"spec":{"moduleConfig":{"provider":")" + provider +
         R"(","repoOwner":"acme","fileFormat":"zip","storageConfig":{"fileSystem":)" +
         R"({"directoryPath":"/data/modules"}}},"versions":[{"version":"1.0.0"}]}})";
}

class KubeTest : public ::testing::Test {
 protected:
  void SetUp() override { startServer({}); }

  void startServer(testkube::ApiServerOptions o, ClientOptions c = fastOptions()) {
    o.crd_dirs = {OD_CHART_CRDS};
    o.bookmark_interval_ms = 200;
    server_ = std::make_unique<testkube::TestApiServer>(o);
    server_->Start();
    KubeConfig config;
    config.server = server_->url();
    config.token = o.token;
    client_ = std::make_unique<KubeClient>(loop_, config, c, *testLogger());
  }

  static ClientOptions fastOptions() {
    ClientOptions c;
    c.backoff_min = std::chrono::milliseconds(10);
    c.backoff_max = std::chrono::milliseconds(1500);
    c.jitter_seed = 7;
    return c;
  }

  // Runs the loop until the callback given to `start` ran (10 s at most).
  template <typename T, typename Start>
  core::Result<T> await(Start start) {
    std::optional<core::Result<T>> result;
    core::CancelablePtr handle = start([&result](core::Result<T> r) { result.emplace(std::move(r)); });
    loop_.runUntil([&] { return result.has_value(); }, std::chrono::seconds(10));
    if (!result) {
      return core::makeError(core::Errc::Internal, "test wait timed out");
    }
    return std::move(*result);
  }

  core::Result<std::string> createModule(const std::string& name) {
    return await<std::string>([&](auto cb) {
      return client_->create("Module", "default", moduleJson(name), cb);
    });
  }

  loop::EventLoop loop_;
  std::unique_ptr<testkube::TestApiServer> server_;
  std::unique_ptr<KubeClient> client_;
};

}  // namespace od::adapters::kube::testing
