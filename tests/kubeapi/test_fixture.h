#pragma once
// Shared fixture of kubeapi_tests: an in-process TestApiServer loaded with the test CRD
// (testdata/widgets.yaml) and a blocking client.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/kubeapi/api_server.h"
#include "tests/kubeapi/client.h"

namespace od::testkube {

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ApiServerOptions{}); }

  void StartServer(ApiServerOptions o) {
    o.crd_dirs = {OD_KUBEAPI_TESTDATA};
    o.bookmark_interval_ms = 200;
    server_ = std::make_unique<TestApiServer>(o);
    server_->Start();
    client_ = std::make_unique<Client>(server_->url(), o.token);
  }

  static json Widget(const std::string& name, json spec = {{"format", "zip"}}) {
    return {{"apiVersion", "test.example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", name}}},
            {"spec", spec}};
  }
  static std::string Widgets(const std::string& ns = "default") {
    return "/apis/test.example.com/v1/namespaces/" + ns + "/widgets";
  }
  json MustCreate(const json& obj, const std::string& ns = "default") {
    Reply r = client_->Post(Widgets(ns), obj);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json();
  }
  // Waits until `n` watches are being served (a watch is established).
  void WaitForWatches(int n) {
    for (int i = 0; i < 500 && server_->active_watches() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GE(server_->active_watches(), n);
  }

  std::unique_ptr<TestApiServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace od::testkube
