// KubeClient against the test API server: CRUD, paging, both patch types on the object and
// on /status, retries of injected 409/429/500, and the Permission errors of 401/403.
#include <gmock/gmock.h>

#include "core/json.h"
#include "tests/adapters/kube/kube_fixture.h"

namespace od::adapters::kube::testing {
namespace {

using ::testing::HasSubstr;

std::string field(const std::string& json, const char* a, const char* b) {
  auto doc = core::JsonDocument::parse(json);
  std::string_view s;
  if (!doc || doc->root()[a][b].get(s) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(s);
}

core::ResourceRef ref(const std::string& name) { return {"Module", "default", name}; }

TEST_F(KubeTest, CreatesGetsAndDeletesAModule) {
  auto created = createModule("m1");
  ASSERT_TRUE(created) << created.error().message;
  std::string uid = field(*created, "metadata", "uid");
  EXPECT_FALSE(uid.empty());
  auto got = await<std::string>([&](auto cb) { return client_->get(ref("m1"), cb); });
  ASSERT_TRUE(got);
  EXPECT_EQ(field(*got, "metadata", "uid"), uid);
  auto dup = createModule("m1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, core::Errc::Conflict);
  auto removed = await<core::Unit>([&](auto cb) {
    return client_->remove(ref("m1"), {uid, std::nullopt}, [cb](core::Status s) {
      s ? cb(core::Unit{}) : cb(s.error());
    });
  });
  ASSERT_TRUE(removed) << removed.error().message;
  auto gone = await<std::string>([&](auto cb) { return client_->get(ref("m1"), cb); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, core::Errc::NotFound);
}

TEST_F(KubeTest, DeleteWithAWrongUidPreconditionIsAConflict) {
  ASSERT_TRUE(createModule("m1"));
  auto removed = await<core::Unit>([&](auto cb) {
    return client_->remove(ref("m1"), {std::string("not-the-uid"), std::nullopt},
                           [cb](core::Status s) { s ? cb(core::Unit{}) : cb(s.error()); });
  });
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, core::Errc::Conflict);
}

TEST_F(KubeTest, ListsInPages) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(createModule("m" + std::to_string(i)));
  }
  core::ListOptions options;
  options.limit = 3;
  size_t total = 0;
  int pages = 0;
  do {
    auto page = await<core::ListPage>([&](auto cb) {
      return client_->list("Module", "default", options, cb);
    });
    ASSERT_TRUE(page) << page.error().message;
    total += page->items.size();
    EXPECT_FALSE(page->resource_version.empty());
    for (const auto& item : page->items) {
      EXPECT_THAT(item, HasSubstr("\"kind\":\"Module\""));
    }
    options.continue_token = page->continue_token;
    ++pages;
  } while (!options.continue_token.empty() && pages < 10);
  EXPECT_EQ(total, 7u);
  EXPECT_EQ(pages, 3);
}

TEST_F(KubeTest, MergeAndJsonPatchTheObject) {
  ASSERT_TRUE(createModule("m1"));
  auto merged = await<std::string>([&](auto cb) {
    return client_->patch(ref("m1"), core::PatchType::Merge,
                          R"({"metadata":{"labels":{"team":"a"}}})", cb);
  });
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_THAT(*merged, HasSubstr("\"team\":\"a\""));
  auto patched = await<std::string>([&](auto cb) {
    return client_->patch(ref("m1"), core::PatchType::Json,
                          R"([{"op":"replace","path":"/spec/moduleConfig/provider","value":"gcp"}])",
                          cb);
  });
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_THAT(*patched, HasSubstr("\"provider\":\"gcp\""));
}

TEST_F(KubeTest, PatchesTheStatusSubresourceWithBothTypes) {
  ASSERT_TRUE(createModule("m1"));
  auto merged = await<std::string>([&](auto cb) {
    return client_->patchStatus(ref("m1"), core::PatchType::Merge,
                                R"({"status":{"synced":false,"syncStatus":"pending","latestVersion":"v1.0.0"}})", cb);
  });
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_THAT(*merged, HasSubstr("\"latestVersion\":\"v1.0.0\""));
  auto patched = await<std::string>([&](auto cb) {
    return client_->patchStatus(
        ref("m1"), core::PatchType::Json,
        R"([{"op":"replace","path":"/status/latestVersion","value":"v1.1.0"}])", cb);
  });
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_THAT(*patched, HasSubstr("\"latestVersion\":\"v1.1.0\""));
  // A status write through the main resource is ignored by the server (status rules).
  auto spec_only = await<std::string>([&](auto cb) {
    return client_->patch(ref("m1"), core::PatchType::Merge,
                          R"({"status":{"latestVersion":"v9.0.0"}})", cb);
  });
  ASSERT_TRUE(spec_only);
  EXPECT_THAT(*spec_only, HasSubstr("\"latestVersion\":\"v1.1.0\""));
}

TEST_F(KubeTest, RetriesInjected429And500) {
  ASSERT_TRUE(createModule("m1"));
  server_->AddFault({"get", "/modules/m1", 429, 2, 0});
  server_->AddFault({"get", "/modules/m1", 500, 2, 0});
  auto got = await<std::string>([&](auto cb) { return client_->get(ref("m1"), cb); });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(client_->retries(), 4u);
}

TEST_F(KubeTest, HonoursRetryAfter) {
  ASSERT_TRUE(createModule("m1"));
  server_->AddFault({"patch", "/status", 429, 1, 1});
  auto start = std::chrono::steady_clock::now();
  auto r = await<std::string>([&](auto cb) {
    return client_->patchStatus(ref("m1"), core::PatchType::Merge,
                                R"({"status":{"synced":false,"syncStatus":"pending","latestVersion":"v1.0.0"}})", cb);
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST_F(KubeTest, GivesUpAfterMaxAttemptsWithUnavailable) {
  ASSERT_TRUE(createModule("m1"));
  server_->AddFault({"get", "/modules/m1", 503, 100, 0});
  auto got = await<std::string>([&](auto cb) { return client_->get(ref("m1"), cb); });
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, core::Errc::Unavailable);
  EXPECT_TRUE(got.error().retryable());
}

TEST_F(KubeTest, RetriesAPatchConflictAfterAFreshRead) {
  ASSERT_TRUE(createModule("m1"));
  server_->AddFault({"patch", "/modules/m1", 409, 2, 0});
  auto r = await<std::string>([&](auto cb) {
    return client_->patch(ref("m1"), core::PatchType::Merge,
                          R"({"metadata":{"labels":{"x":"y"}}})", cb);
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(client_->retries(), 2u);
}

TEST_F(KubeTest, APatchWithAStaleResourceVersionIsAConflictForTheCaller) {
  ASSERT_TRUE(createModule("m1"));
  auto r = await<std::string>([&](auto cb) {
    return client_->patch(ref("m1"), core::PatchType::Merge,
                          R"({"metadata":{"resourceVersion":"1","labels":{"x":"y"}}})", cb);
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::Conflict);
}

TEST_F(KubeTest, ForbiddenNamesVerbResourceAndNamespace) {
  server_->AddFault({"patch", "/status", 403, 1, 0});
  auto r = await<std::string>([&](auto cb) {
    return client_->patchStatus(ref("m1"), core::PatchType::Merge, R"({"status":{}})", cb);
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::Permission);
  EXPECT_THAT(r.error().message, HasSubstr("patch modules/status in namespace \"default\""));
  EXPECT_THAT(r.error().message, HasSubstr("403"));
}

TEST_F(KubeTest, UnauthorizedWithAWrongTokenIsPermissionAndHidesTheToken) {
  testkube::ApiServerOptions o;
  o.token = "right-token";
  startServer(o);
  KubeConfig config;
  config.server = server_->url();
  config.token = "wrong-token-secret";
  client_ = std::make_unique<KubeClient>(loop_, config, fastOptions(), *testLogger());
  auto r = await<core::ListPage>([&](auto cb) { return client_->list("Module", "", {}, cb); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::Permission);
  EXPECT_THAT(r.error().message, HasSubstr("list modules in all namespaces refused (401"));
  EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr("wrong-token-secret")));
}

TEST_F(KubeTest, UnknownKindIsInvalid) {
  auto r = await<std::string>([&](auto cb) { return client_->get({"Widget", "default", "x"}, cb); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::Errc::Invalid);
}

TEST_F(KubeTest, CancelledCallNeverCallsBack) {
  server_->SetDelay(std::chrono::milliseconds(200));
  bool called = false;
  {
    auto handle = client_->get(ref("m1"), [&](core::Result<std::string>) { called = true; });
  }
  loop_.runUntil([] { return false; }, std::chrono::milliseconds(400));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace od::adapters::kube::testing
