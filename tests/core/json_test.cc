#include <gtest/gtest.h>

#include <string>

#include "core/json.h"
#include "core/json_writer.h"
#include "core/problems.h"

namespace od::core {
namespace {

TEST(JsonWriter, WritesNestedDocumentWithCommasInPlace) {
  JsonWriter w;
  w.beginObject()
      .member("a", 1)
      .key("b")
      .beginArray()
      .value(true)
      .null()
      .value("x")
      .endArray()
      .key("c")
      .beginObject()
      .endObject()
      .member("d", int64_t{-5})
      .endObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[true,null,"x"],"c":{},"d":-5})");
}

TEST(JsonWriter, EscapesControlCharactersQuotesAndBackslashes) {
  std::string out;
  appendJsonString(out, std::string("a\"b\\c\n\t\x01\x7f", 9));
  EXPECT_EQ(out, R"("a\"b\\c\n\t\u0001\u007f")");
}

TEST(JsonWriter, ReplacesInvalidUtf8SoOutputStaysValidJson) {
  std::string out;
  appendJsonString(out, "ok\xC3\xA9 bad\xFF \xE0\x80\x80 \xED\xA0\x80");
  EXPECT_EQ(out, "\"ok\xC3\xA9 bad\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_TRUE(JsonDocument::parse(out).ok());
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  JsonWriter w;
  w.beginArray().value(1.5).value(std::numeric_limits<double>::infinity()).endArray();
  EXPECT_EQ(w.str(), "[1.5,null]");
}

TEST(JsonWriter, OutputRoundTripsThroughParser) {
  JsonWriter w;
  w.beginObject().member("name", "caf\xC3\xA9 \"q\"").member("n", uint64_t{18446744073709551615ull}).endObject();
  auto doc = JsonDocument::parse(w.str());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  std::string_view name;
  ASSERT_EQ(doc->root()["name"].get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "caf\xC3\xA9 \"q\"");
  uint64_t n = 0;
  ASSERT_EQ(doc->root()["n"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 18446744073709551615ull);
}

TEST(JsonDocument, RejectsMalformedJsonWithInvalid) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,2", "nul", "{\"a\":1}}", "\"\xFF\""}) {
    auto doc = JsonDocument::parse(bad);
    ASSERT_FALSE(doc.ok()) << bad;
    EXPECT_EQ(doc.error().code, Errc::Invalid);
    EXPECT_NE(doc.error().message.find("JSON"), std::string::npos);
  }
}

TEST(JsonDocument, RejectsDocumentsLargerThanTheLimit) {
  std::string big = "[" + std::string(2000, '1') + "]";
  auto doc = JsonDocument::parse(big, JsonLimits{.max_bytes = 1000, .max_depth = 64});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("exceeds the limit"), std::string::npos);
}

TEST(JsonDocument, RejectsNestingDeeperThanTheLimit) {
  std::string deep = std::string(65, '[') + std::string(65, ']');
  auto doc = JsonDocument::parse(deep);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("nesting deeper than 64"), std::string::npos);
  std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_TRUE(JsonDocument::parse(ok).ok());
}

TEST(JsonDocument, MinifiesSubDocumentsVerbatim) {
  auto doc = JsonDocument::parse(R"({ "a" : { "b" : [1, 2] } })");
  ASSERT_TRUE(doc.ok());
  simdjson::dom::element a;
  ASSERT_EQ(doc->root()["a"].get(a), simdjson::SUCCESS);
  EXPECT_EQ(toJson(a), R"({"b":[1,2]})");
  EXPECT_EQ(jsonTypeName(a), "object");
}

TEST(Problems, DescribesEveryProblemWithItsPath) {
  Problems p;
  p.add(joinPath("spec", "moduleConfig.fileFormat"), "must be zip or tar");
  p.add(indexPath("spec.versions", 2), "must be a string, got number");
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.describe(),
            "spec.moduleConfig.fileFormat: must be zip or tar; spec.versions[2]: must be a string, "
            "got number");
  EXPECT_EQ(p.toError().code, Errc::Invalid);
}

TEST(Result, OdTryPropagatesErrorsAndUnwrapsValues) {
  auto half = [](int x) -> Result<int> {
    if (x % 2 != 0) {
      return makeError(Errc::Invalid, "odd");
    }
    return x / 2;
  };
  auto quarter = [&](int x) -> Result<int> {
    OD_TRY(int h, half(x));
    OD_TRY(int q, half(h));
    return q;
  };
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error().message, "odd");
  EXPECT_FALSE(makeError(Errc::Invalid, "").retryable());
  EXPECT_TRUE(makeError(Errc::Timeout, "").retryable());
  EXPECT_TRUE(makeError(Errc::Unavailable, "").retryable());
}

}  // namespace
}  // namespace od::core
