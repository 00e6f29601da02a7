// CRD schema admission: rejection with field paths, defaults, pruning, fieldValidation.
#include <gmock/gmock.h>

#include "tests/kubeapi/schema.h"
#include "tests/kubeapi/test_fixture.h"

namespace od::testkube {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string> Causes(const json& status) {
  std::map<std::string, std::string> out;
  for (const auto& c : status["details"]["causes"]) out[c["field"]] = c["message"];
  return out;
}

TEST_F(KubeApiTest, RejectsInvalidObjectsNamingEachField) {
  json w = Widget("a", {{"format", "rar"}, {"size", 0}, {"name", "TooLongAndUpper"},
                        {"tags", {"a", "b", "c", "d"}}, {"nested", {{"enabled", "yes"}}}});
  Reply r = client_->Post(Widgets(), w);
  ASSERT_EQ(r.status, 422) << r.body;
  json st = r.Json();
  EXPECT_EQ(st["reason"], "Invalid");
  EXPECT_EQ(st["details"]["kind"], "Widget");
  EXPECT_EQ(st["details"]["group"], "test.example.com");
  auto causes = Causes(st);
  EXPECT_EQ(causes["spec.format"], "Unsupported value: \"rar\": supported values: \"zip\", \"tar\"");
  EXPECT_EQ(causes["spec.size"],
            "Invalid value: 0: spec.size in body should be greater than or equal to 1");
  EXPECT_THAT(causes["spec.name"], HasSubstr("should match '^[a-z]+$'"));
  EXPECT_THAT(causes["spec.tags"], HasSubstr("must have at most 3 items"));
  EXPECT_EQ(causes["spec.nested.enabled"],
            "Invalid value: \"string\": spec.nested.enabled in body must be of type boolean: "
            "\"string\"");
  EXPECT_THAT(st["message"].get<std::string>(),
              HasSubstr("Widget.test.example.com \"a\" is invalid: ["));
  EXPECT_THAT(st["message"].get<std::string>(),
              HasSubstr("spec.format: Unsupported value: \"rar\": supported values: \"zip\", \"tar\""));
}

TEST_F(KubeApiTest, RequiredFieldsAndNamesAreChecked) {
  Reply r = client_->Post(Widgets(), Widget("a", json::object()));
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(Causes(r.Json())["spec.format"], "Required value");
  json no_spec = Widget("b");
  no_spec.erase("spec");
  EXPECT_EQ(Causes(client_->Post(Widgets(), no_spec).Json())["spec"], "Required value");
  Reply bad_name = client_->Post(Widgets(), Widget("Bad_Name"));
  ASSERT_EQ(bad_name.status, 422);
  EXPECT_THAT(Causes(bad_name.Json())["metadata.name"], HasSubstr("RFC 1123 subdomain"));
  json no_name = Widget("");
  no_name["metadata"].erase("name");
  EXPECT_EQ(client_->Post(Widgets(), no_name).status, 422);
}

TEST_F(KubeApiTest, UnknownFieldsArePrunedWithAWarningOrRejectedWhenStrict) {
  json w = Widget("a", {{"format", "zip"}, {"colour", "red"},
                        {"free", {{"anything", {{"goes", 1}}}}}});
  w["metadata"]["bogus"] = 1;
  Reply strict = client_->Post(Widgets() + "?fieldValidation=Strict", w);
  ASSERT_EQ(strict.status, 400) << strict.body;
  EXPECT_EQ(strict.Json()["reason"], "BadRequest");
  EXPECT_THAT(strict.Json()["message"].get<std::string>(),
              HasSubstr("strict decoding error: unknown field \"metadata.bogus\", unknown field \"spec.colour\""));
  Reply warn = client_->Post(Widgets(), w);
  ASSERT_EQ(warn.status, 201) << warn.body;
  EXPECT_FALSE(warn.Json()["spec"].contains("colour"));
  EXPECT_EQ(warn.Json()["spec"]["free"]["anything"]["goes"], 1);  // preserve-unknown-fields
  EXPECT_THAT(warn.Headers("warning"),
              ::testing::Contains("299 - \"unknown field \\\"spec.colour\\\"\""));
  Reply ignore = client_->Post(Widgets() + "?fieldValidation=Ignore", Widget("b", w["spec"]));
  EXPECT_EQ(ignore.status, 201);
  EXPECT_TRUE(ignore.Headers("warning").empty());
  EXPECT_EQ(client_->Post(Widgets() + "?fieldValidation=Loud", Widget("c")).status, 400);
}

TEST_F(KubeApiTest, DefaultsApplyToPresentParentsOnly) {
  json a = MustCreate(Widget("a"));
  EXPECT_EQ(a["spec"]["mode"], "fast");
  EXPECT_FALSE(a["spec"].contains("nested"));
  json b = MustCreate(Widget("b", {{"format", "tar"}, {"nested", json::object()}}));
  EXPECT_EQ(b["spec"]["nested"]["ttl"], "15m");
}

TEST(KubeApiSchema, ValidatesCombinatorsListMapsAndFormats) {
  json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {
        "type": "object",
        "properties": {
          "a": {"type": "string"}, "b": {"type": "string"},
          "when": {"type": "string", "format": "date-time"},
          "conds": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                    "items": {"type": "object", "properties": {"type": {"type": "string"}}}},
          "port": {"x-kubernetes-int-or-string": true},
          "ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": true}
        },
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
      }
    }
  })");
  json ok = {{"spec", {{"a", "x"}, {"when", "2024-01-02T03:04:05Z"}, {"port", "http"},
                       {"ratio", 0.5}}}};
  EXPECT_TRUE(ValidateObject(schema, ok).empty());
  json bad = {{"spec", {{"a", "x"}, {"b", "y"}, {"when", "yesterday"},
                        {"conds", {{{"type", "Ready"}}, {{"type", "Ready"}}}},
                        {"port", true}, {"ratio", 1}}}};
  std::set<std::string> fields;
  for (const auto& c : ValidateObject(schema, bad)) fields.insert(c.field);
  EXPECT_EQ(fields, (std::set<std::string>{"spec", "spec.when", "spec.conds[1]", "spec.port",
                                           "spec.ratio"}));
}

TEST(KubeApiSchema, PrunesUnknownFieldsAndNonNullableNulls) {
  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object",
      "properties":{"keep":{"type":"string"},"n":{"type":"string","nullable":true},
                    "list":{"type":"array","items":{"type":"object","properties":{"x":{"type":"integer"}}}}}}}})");
  json obj = {{"apiVersion", "v"}, {"kind", "K"}, {"metadata", {{"name", "a"}}},
              {"spec", {{"keep", "1"}, {"drop", 2}, {"n", nullptr}, {"list", {{{"x", 1}, {"y", 2}}}}}},
              {"extra", true}};
  auto unknown = PruneAndDefault(schema, obj);
  EXPECT_EQ(unknown, (std::vector<std::string>{"extra", "spec.drop", "spec.list[0].y"}));
  EXPECT_TRUE(obj["spec"]["n"].is_null());
  EXPECT_EQ(obj["spec"]["list"][0], json({{"x", 1}}));
}

}  // namespace
}  // namespace od::testkube
