// CRUD, preconditions, patches, status rules, lists, finalizers, GC and faults over real
// sockets against the in-process test API server.
#include <gmock/gmock.h>

#include "tests/kubeapi/test_fixture.h"

namespace od::testkube {
namespace {

using ::testing::HasSubstr;

TEST_F(KubeApiTest, ServesVersionAndDiscovery) {
  json v = client_->Get("/version").Json();
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "32");
  EXPECT_THAT(v["gitVersion"].get<std::string>(), HasSubstr("v1.32."));
  json apis = client_->Get("/apis").Json();
  EXPECT_EQ(apis["kind"], "APIGroupList");
  bool found = false;
  for (const auto& g : apis["groups"]) found = found || g["name"] == "test.example.com";
  EXPECT_TRUE(found);
  json list = client_->Get("/apis/test.example.com/v1").Json();
  ASSERT_EQ(list["kind"], "APIResourceList");
  ASSERT_EQ(list["resources"].size(), 2u);
  EXPECT_EQ(list["resources"][0]["name"], "widgets");
  EXPECT_EQ(list["resources"][0]["singularName"], "widget");
  EXPECT_EQ(list["resources"][0]["namespaced"], true);
  EXPECT_EQ(list["resources"][1]["name"], "widgets/status");
  json core = client_->Get("/api/v1").Json();
  std::set<std::string> names;
  for (const auto& r : core["resources"]) names.insert(r["name"]);
  EXPECT_TRUE(names.count("namespaces") && names.count("secrets") && names.count("configmaps"));
  EXPECT_EQ(client_->Get("/api").Json()["versions"][0], "v1");
  EXPECT_EQ(client_->Get("/openapi/v2").status, 404);
}

TEST_F(KubeApiTest, OpenApiV3PatchOperationsCarryGvkAndFieldValidation) {
  json root = client_->Get("/openapi/v3").Json();
  ASSERT_TRUE(root["paths"].contains("apis/test.example.com/v1"));
  std::string url = root["paths"]["apis/test.example.com/v1"]["serverRelativeURL"];
  json doc = client_->Get(url).Json();
  EXPECT_EQ(doc["openapi"], "3.0.0");
  const json& patch =
      doc["paths"]["/apis/test.example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"]["kind"], "Widget");
  bool has_param = false;
  for (const auto& p : patch["parameters"]) {
    has_param = has_param || (p["name"] == "fieldValidation" && p["in"] == "query");
  }
  EXPECT_TRUE(has_param);
  EXPECT_FALSE(patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
}

TEST_F(KubeApiTest, CreateSetsServerFieldsAndGetAnswersNotFoundAsStatus) {
  json w = MustCreate(Widget("a"));
  EXPECT_FALSE(w["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(w["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(w["metadata"]["generation"], 1);
  EXPECT_EQ(w["metadata"]["namespace"], "default");
  EXPECT_EQ(w["spec"]["mode"], "fast");  // schema default
  Reply got = client_->Get(Widgets() + "/a");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.Json(), w);
  Reply missing = client_->Get(Widgets() + "/nope");
  EXPECT_EQ(missing.status, 404);
  json st = missing.Json();
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["reason"], "NotFound");
  EXPECT_EQ(st["code"], 404);
  EXPECT_EQ(st["details"]["kind"], "widgets");
  EXPECT_EQ(st["message"], "widgets.test.example.com \"nope\" not found");
  Reply again = client_->Post(Widgets(), Widget("a"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.Json()["reason"], "AlreadyExists");
  Reply no_ns = client_->Post(Widgets("ghost"), Widget("b"));
  EXPECT_EQ(no_ns.status, 404);
  EXPECT_EQ(no_ns.Json()["message"], "namespaces \"ghost\" not found");
}

TEST_F(KubeApiTest, LargeBodiesDoNotWaitForExpectContinue) {
  json w = Widget("big");
  w["metadata"]["annotations"] = {{"example.com/blob", std::string(8000, 'x')}};
  auto start = std::chrono::steady_clock::now();
  MustCreate(w);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(800));
}

TEST_F(KubeApiTest, GenerateNameMakesAName) {
  json obj = Widget("");
  obj["metadata"] = {{"generateName", "w-"}};
  json w = MustCreate(obj);
  EXPECT_THAT(w["metadata"]["name"].get<std::string>(), ::testing::StartsWith("w-"));
  EXPECT_EQ(w["metadata"]["name"].get<std::string>().size(), 7u);
}

TEST_F(KubeApiTest, UpdateChecksResourceVersionAndGenerationMovesOnlyOnSpec) {
  json w = MustCreate(Widget("a"));
  json stale = w;
  w["spec"]["size"] = 5;
  Reply ok = client_->Put(Widgets() + "/a", w);
  ASSERT_EQ(ok.status, 200) << ok.body;
  json updated = ok.Json();
  EXPECT_EQ(updated["metadata"]["generation"], 2);
  EXPECT_GT(std::stoull(updated["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(stale["metadata"]["resourceVersion"].get<std::string>()));
  stale["spec"]["size"] = 7;
  Reply conflict = client_->Put(Widgets() + "/a", stale);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Json()["reason"], "Conflict");
  EXPECT_THAT(conflict.Json()["message"].get<std::string>(),
              HasSubstr("the object has been modified"));
  updated["metadata"]["labels"] = {{"team", "a"}};
  json labelled = client_->Put(Widgets() + "/a", updated).Json();
  EXPECT_EQ(labelled["metadata"]["generation"], 2);
  EXPECT_NE(labelled["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"]);
  // A write that changes nothing keeps the resourceVersion.
  json same = client_->Put(Widgets() + "/a", labelled).Json();
  EXPECT_EQ(same["metadata"]["resourceVersion"], labelled["metadata"]["resourceVersion"]);
  Reply renamed = client_->Put(Widgets() + "/b", labelled);
  EXPECT_EQ(renamed.status, 400);
}

TEST_F(KubeApiTest, StatusSubresourceRules) {
  json obj = Widget("a");
  obj["status"] = {{"ready", true}};
  json w = MustCreate(obj);
  EXPECT_FALSE(w.contains("status"));  // create drops status
  w["status"] = {{"phase", "Running"}};
  w["spec"]["size"] = 3;
  json s = client_->Put(Widgets() + "/a/status", w).Json();
  EXPECT_EQ(s["status"]["phase"], "Running");
  EXPECT_FALSE(s["spec"].contains("size"));  // /status ignores spec
  EXPECT_EQ(s["metadata"]["generation"], 1);
  Reply main = client_->Patch(Widgets() + "/a", "application/merge-patch+json",
                              R"({"status":{"phase":"Hacked"},"spec":{"size":4}})");
  ASSERT_EQ(main.status, 200) << main.body;
  EXPECT_EQ(main.Json()["status"]["phase"], "Running");  // main resource ignores status
  EXPECT_EQ(main.Json()["spec"]["size"], 4);
  EXPECT_EQ(main.Json()["metadata"]["generation"], 2);
  Reply sp = client_->Patch(Widgets() + "/a/status", "application/merge-patch+json",
                            R"({"status":{"ready":true}})");
  EXPECT_EQ(sp.Json()["status"]["ready"], true);
  EXPECT_EQ(sp.Json()["metadata"]["generation"], 2);
  Reply bad = client_->Patch(Widgets() + "/a/status", "application/merge-patch+json",
                             R"({"status":{"ready":"yes"}})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(client_->Get(Widgets() + "/a/status").status, 200);
  EXPECT_EQ(client_->Get("/api/v1/namespaces/default/configmaps/x/status").status, 404);
}

TEST_F(KubeApiTest, JsonPatchAppliesRfc6902IncludingTestAndDash) {
  MustCreate(Widget("a", {{"format", "zip"}, {"tags", {"x"}}}));
  Reply r = client_->Patch(Widgets() + "/a", "application/json-patch+json",
                           R"([{"op":"test","path":"/spec/format","value":"zip"},
                               {"op":"add","path":"/spec/tags/-","value":"y"},
                               {"op":"replace","path":"/spec/format","value":"tar"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["spec"]["tags"], json({"x", "y"}));
  EXPECT_EQ(r.Json()["spec"]["format"], "tar");
  Reply failed = client_->Patch(Widgets() + "/a", "application/json-patch+json",
                                R"([{"op":"test","path":"/spec/format","value":"zip"}])");
  EXPECT_EQ(failed.status, 422);
  Reply missing = client_->Patch(Widgets() + "/a", "application/json-patch+json",
                                 R"([{"op":"remove","path":"/spec/nothing"}])");
  EXPECT_EQ(missing.status, 422);
  Reply garbage = client_->Patch(Widgets() + "/a", "application/json-patch+json", "{");
  EXPECT_EQ(garbage.status, 400);
  Reply invalid = client_->Patch(Widgets() + "/a", "application/json-patch+json",
                                 R"([{"op":"replace","path":"/spec/format","value":"rar"}])");
  EXPECT_EQ(invalid.status, 422);
}

TEST_F(KubeApiTest, MergePatchDeletesNullsAndHonoursResourceVersion) {
  json w = MustCreate(Widget("a", {{"format", "zip"}, {"size", 3}}));
  Reply r = client_->Patch(Widgets() + "/a", "application/merge-patch+json",
                           R"({"spec":{"size":null,"name":"abc"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json()["spec"].contains("size"));
  EXPECT_EQ(r.Json()["spec"]["name"], "abc");
  json stale = {{"metadata", {{"resourceVersion", w["metadata"]["resourceVersion"]}}},
                {"spec", {{"size", 9}}}};
  Reply conflict = client_->Patch(Widgets() + "/a", "application/merge-patch+json", Dump(stale));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(client_->Patch(Widgets() + "/nope", "application/merge-patch+json", "{}").status, 404);
}

TEST_F(KubeApiTest, StrategicMergePatchOnCustomResourceIs415) {
  MustCreate(Widget("a"));
  Reply r = client_->Patch(Widgets() + "/a", "application/strategic-merge-patch+json",
                           R"({"spec":{"size":2}})");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.Json()["reason"], "UnsupportedMediaType");
  // Built-in types accept it.
  ASSERT_EQ(client_->Post("/api/v1/namespaces/default/configmaps",
                          {{"metadata", {{"name", "c"}}}, {"data", {{"a", "1"}}}})
                .status,
            201);
  Reply cm = client_->Patch("/api/v1/namespaces/default/configmaps/c",
                            "application/strategic-merge-patch+json", R"({"data":{"b":"2"}})");
  ASSERT_EQ(cm.status, 200) << cm.body;
  EXPECT_EQ(cm.Json()["data"], json({{"a", "1"}, {"b", "2"}}));
}

TEST_F(KubeApiTest, ServerSideApplyTracksManagersAndConflicts) {
  std::string cfg = R"(apiVersion: test.example.com/v1
kind: Widget
metadata:
  name: a
spec:
  format: zip
  size: 3
)";
  Reply created = client_->Patch(Widgets() + "/a?fieldManager=alice",
                                 "application/apply-patch+yaml", cfg);
  ASSERT_EQ(created.status, 201) << created.body;
  json mf = created.Json()["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["manager"], "alice");
  EXPECT_EQ(mf[0]["operation"], "Apply");
  EXPECT_TRUE(mf[0]["fieldsV1"]["f:spec"].contains("f:size"));
  std::string bob = R"({"apiVersion":"test.example.com/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"size":4}})";
  Reply conflict = client_->Patch(Widgets() + "/a?fieldManager=bob",
                                  "application/apply-patch+yaml", bob);
  ASSERT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(conflict.Json()["details"]["causes"][0]["reason"], "FieldManagerConflict");
  EXPECT_EQ(conflict.Json()["details"]["causes"][0]["field"], ".spec.size");
  Reply forced = client_->Patch(Widgets() + "/a?fieldManager=bob&force=true",
                                "application/apply-patch+yaml", bob);
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.Json()["spec"]["size"], 4);
  // alice drops `format`... it is required, so she drops nothing but re-applies without size:
  Reply again = client_->Patch(Widgets() + "/a?fieldManager=alice",
                               "application/apply-patch+yaml",
                               R"({"apiVersion":"test.example.com/v1","kind":"Widget","metadata":{"name":"a","labels":{"x":"1"}},"spec":{"format":"zip"}})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["spec"]["size"], 4);  // owned by bob now
  EXPECT_EQ(again.Json()["metadata"]["labels"]["x"], "1");
  Reply drop = client_->Patch(Widgets() + "/a?fieldManager=alice",
                              "application/apply-patch+yaml",
                              R"({"apiVersion":"test.example.com/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"format":"zip"}})");
  EXPECT_FALSE(drop.Json()["metadata"].contains("labels") &&
               drop.Json()["metadata"]["labels"].contains("x"));
  Reply no_manager = client_->Patch(Widgets() + "/a", "application/apply-patch+yaml", bob);
  EXPECT_EQ(no_manager.status, 422);
}

TEST_F(KubeApiTest, ListPagesAndFiltersWithSelectors) {
  for (int i = 0; i < 5; ++i) {
    json w = Widget("w" + std::to_string(i));
    w["metadata"]["labels"] = {{"idx", std::to_string(i)}, {"even", i % 2 == 0 ? "yes" : "no"}};
    if (i == 4) w["metadata"]["labels"].erase("even");
    MustCreate(w);
  }
  json page = client_->Get(Widgets() + "?limit=2").Json();
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 3);
  std::vector<std::string> all;
  for (const auto& i : page["items"]) all.push_back(i["metadata"]["name"]);
  std::string rv = page["metadata"]["resourceVersion"];
  while (page["metadata"].contains("continue")) {
    page = client_->Get(Widgets() + "?limit=2&continue=" +
                        page["metadata"]["continue"].get<std::string>())
               .Json();
    EXPECT_EQ(page["metadata"]["resourceVersion"], rv);
    for (const auto& i : page["items"]) all.push_back(i["metadata"]["name"]);
  }
  EXPECT_EQ(all, (std::vector<std::string>{"w0", "w1", "w2", "w3", "w4"}));
  auto names = [&](const std::string& query) {
    Reply r = client_->Get(Widgets() + "?" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::string> out;
    json body = r.Json();
    for (const auto& i : body["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("labelSelector=even%3Dyes"), (V{"w0", "w2"}));
  EXPECT_EQ(names("labelSelector=even%3D%3Dno"), (V{"w1", "w3"}));
  EXPECT_EQ(names("labelSelector=even!%3Dyes"), (V{"w1", "w3", "w4"}));
  EXPECT_EQ(names("labelSelector=idx%20in%20(1,3,4)"), (V{"w1", "w3", "w4"}));
  EXPECT_EQ(names("labelSelector=idx%20notin%20(1,3)"), (V{"w0", "w2", "w4"}));
  EXPECT_EQ(names("labelSelector=!even"), (V{"w4"}));
  EXPECT_EQ(names("labelSelector=even,idx%3D2"), (V{"w2"}));
  EXPECT_EQ(names("fieldSelector=metadata.name%3Dw3"), (V{"w3"}));
  EXPECT_EQ(names("fieldSelector=metadata.namespace%3Ddefault&limit=1").size(), 1u);
  EXPECT_EQ(client_->Get(Widgets() + "?fieldSelector=spec.size%3D1").status, 400);
  EXPECT_EQ(client_->Get(Widgets() + "?labelSelector=a%20in%20b").status, 400);
  EXPECT_EQ(client_->Get("/apis/test.example.com/v1/widgets").Json()["items"].size(), 5u);
  EXPECT_EQ(client_->Get(Widgets() + "?resourceVersion=99999999").status, 504);
}

TEST_F(KubeApiTest, FinalizersKeepTheObjectUntilTheLastIsRemoved) {
  json w = Widget("a");
  w["metadata"]["finalizers"] = {"example.com/one", "example.com/two"};
  MustCreate(w);
  Reply del = client_->Delete(Widgets() + "/a");
  ASSERT_EQ(del.status, 200);
  EXPECT_TRUE(del.Json()["metadata"].contains("deletionTimestamp"));
  json live = client_->Get(Widgets() + "/a").Json();
  EXPECT_TRUE(live["metadata"].contains("deletionTimestamp"));
  Reply add = client_->Patch(Widgets() + "/a", "application/json-patch+json",
                             R"([{"op":"add","path":"/metadata/finalizers/-","value":"example.com/three"}])");
  EXPECT_EQ(add.status, 422);
  client_->Patch(Widgets() + "/a", "application/json-patch+json",
                 R"([{"op":"remove","path":"/metadata/finalizers/0"}])");
  EXPECT_EQ(client_->Get(Widgets() + "/a").status, 200);
  Reply last = client_->Patch(Widgets() + "/a", "application/merge-patch+json",
                              R"({"metadata":{"finalizers":null}})");
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(client_->Get(Widgets() + "/a").status, 404);
}

TEST_F(KubeApiTest, DeletePreconditionsAndStatusBody) {
  json w = MustCreate(Widget("a"));
  Reply wrong = client_->Delete(Widgets() + "/a", R"({"preconditions":{"uid":"nope"}})");
  EXPECT_EQ(wrong.status, 409);
  Reply ok = client_->Delete(Widgets() + "/a",
                             Dump({{"preconditions", {{"uid", w["metadata"]["uid"]}}}}));
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Json()["kind"], "Status");
  EXPECT_EQ(ok.Json()["status"], "Success");
  EXPECT_EQ(client_->Delete(Widgets() + "/a").status, 404);
}

TEST_F(KubeApiTest, DeletingAnOwnerCollectsItsDependents) {
  json owner = MustCreate(Widget("owner"));
  json other = MustCreate(Widget("other"));
  auto ref = [](const json& o) {
    return json{{"apiVersion", "test.example.com/v1"}, {"kind", "Widget"},
                {"name", o["metadata"]["name"]}, {"uid", o["metadata"]["uid"]}};
  };
  json dep = Widget("dep");
  dep["metadata"]["ownerReferences"] = {ref(owner)};
  MustCreate(dep);
  json cm = {{"metadata", {{"name", "cm"}, {"ownerReferences", {ref(owner), ref(other)}}}}};
  ASSERT_EQ(client_->Post("/api/v1/namespaces/default/configmaps", cm).status, 201);
  json orphan = Widget("orphan");
  orphan["metadata"]["ownerReferences"] = {ref(other)};
  MustCreate(orphan);
  ASSERT_EQ(client_->Delete(Widgets() + "/owner").status, 200);
  EXPECT_EQ(client_->Get(Widgets() + "/dep").status, 404);
  json kept = client_->Get("/api/v1/namespaces/default/configmaps/cm").Json();
  ASSERT_EQ(kept["metadata"]["ownerReferences"].size(), 1u);  // other owner still alive
  EXPECT_EQ(kept["metadata"]["ownerReferences"][0]["name"], "other");
  ASSERT_EQ(client_->Delete(Widgets() + "/other", R"({"propagationPolicy":"Orphan"})").status, 200);
  json orphaned = client_->Get(Widgets() + "/orphan").Json();
  EXPECT_FALSE(orphaned["metadata"].contains("ownerReferences"));
  EXPECT_EQ(client_->Get("/api/v1/namespaces/default/configmaps/cm").status, 200);
}

TEST_F(KubeApiTest, DeletingANamespaceDeletesItsContents) {
  ASSERT_EQ(client_->Post("/api/v1/namespaces", {{"metadata", {{"name", "team"}}}}).status, 201);
  MustCreate(Widget("a"), "team");
  json held = Widget("held");
  held["metadata"]["finalizers"] = {"example.com/hold"};
  MustCreate(held, "team");
  Reply del = client_->Delete("/api/v1/namespaces/team");
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(client_->Get(Widgets("team") + "/a").status, 404);
  EXPECT_EQ(client_->Get("/api/v1/namespaces/team").Json()["status"]["phase"], "Terminating");
  EXPECT_EQ(client_->Post(Widgets("team"), Widget("b")).status, 403);
  client_->Patch(Widgets("team") + "/held", "application/merge-patch+json",
                 R"({"metadata":{"finalizers":null}})");
  EXPECT_EQ(client_->Get("/api/v1/namespaces/team").status, 404);
}

TEST_F(KubeApiTest, SecretsTurnStringDataIntoBase64Data) {
  Reply r = client_->Post("/api/v1/namespaces/default/secrets",
                          {{"metadata", {{"name", "s"}}}, {"stringData", {{"k", "hello"}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json()["data"]["k"], "aGVsbG8=");
  EXPECT_EQ(r.Json()["type"], "Opaque");
  EXPECT_FALSE(r.Json().contains("stringData"));
  Reply bad = client_->Post("/api/v1/namespaces/default/secrets",
                            {{"metadata", {{"name", "t"}}}, {"data", {{"k", "not base64!"}}}});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(KubeApiTest, InjectedFaultsAnswerThenStop) {
  MustCreate(Widget("a"));
  Reply set = client_->Post("/_faults", {{"rules", {{{"verb", "get"}, {"path", "/widgets/a"},
                                                     {"status", 429}, {"count", 2},
                                                     {"retryAfterSeconds", 1}}}}});
  ASSERT_EQ(set.status, 200);
  Reply first = client_->Get(Widgets() + "/a");
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.Header("retry-after"), "1");
  EXPECT_EQ(first.Json()["reason"], "TooManyRequests");
  EXPECT_EQ(client_->Get(Widgets() + "/a").status, 429);
  EXPECT_EQ(client_->Get(Widgets() + "/a").status, 200);
  client_->Post("/_faults", {{"rules", {{{"verb", "PATCH"}, {"status", 500}}}}});
  EXPECT_EQ(client_->Patch(Widgets() + "/a", "application/merge-patch+json", "{}").status, 500);
  EXPECT_EQ(client_->Patch(Widgets() + "/a", "application/merge-patch+json", "{}").status, 200);
  client_->Post("/_faults", {{"rules", {{{"verb", "update"}, {"status", 409}}}}});
  EXPECT_EQ(client_->Put(Widgets() + "/a", client_->Get(Widgets() + "/a").Json()).status, 409);
  client_->Post("/_faults", {{"delayMs", 300}});
  auto start = std::chrono::steady_clock::now();
  client_->Get(Widgets() + "/a");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  json state = client_->Post("/_faults", {{"reset", true}}).Json();
  EXPECT_EQ(state["delayMs"], 0);
  EXPECT_TRUE(state["rules"].empty());
}

TEST_F(KubeApiTest, BearerTokenIsRequiredWhenConfigured) {
  server_->Stop();
  ApiServerOptions o;
  o.token = "s3cret";
  StartServer(o);
  Client anonymous(server_->url());
  Reply denied = anonymous.Get(Widgets());
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.Json()["reason"], "Unauthorized");
  EXPECT_EQ(Client(server_->url(), "wrong").Get(Widgets()).status, 401);
  EXPECT_EQ(anonymous.Get("/version").status, 200);
  EXPECT_EQ(client_->Get(Widgets()).status, 200);
}

TEST_F(KubeApiTest, SurvivesMalformedInput) {
  EXPECT_EQ(client_->Do("POST", Widgets(), "{not json").status, 400);
  EXPECT_EQ(client_->Do("POST", Widgets(), "[1,2]").status, 400);
  EXPECT_EQ(client_->Do("POST", Widgets(), R"({"metadata":"x"})").status, 400);
  EXPECT_EQ(client_->Do("POST", Widgets(), R"({"metadata":{"name":"a","labels":[1]}})").status, 400);
  EXPECT_EQ(client_->Do("POST", Widgets(), R"({"kind":"Other","metadata":{"name":"a"}})").status, 400);
  EXPECT_EQ(client_->Get("/apis/test.example.com/v1/namespaces/default/nothings").status, 404);
  EXPECT_EQ(client_->Get("/apis/nope/v1").status, 404);
  EXPECT_EQ(client_->Do("PATCH", Widgets() + "/a", "{}", "text/plain").status, 415);
  EXPECT_EQ(client_->Get(Widgets() + "?limit=x").status, 400);
  EXPECT_EQ(client_->Get(Widgets() + "?continue=zz").status, 400);
  EXPECT_EQ(client_->Get("/version").status, 200);
}

}  // namespace
}  // namespace od::testkube
