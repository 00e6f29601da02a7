#include "core/json.h"

namespace od::core {

Result<JsonDocument> JsonDocument::parse(std::string_view text, JsonLimits limits) {
  if (text.size() > limits.max_bytes) {
    return makeError(Errc::Invalid, "JSON document of " + std::to_string(text.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(limits.max_bytes) + " bytes");
  }
  JsonDocument doc;
  doc.parser_ = std::make_unique<simdjson::dom::parser>(limits.max_bytes + simdjson::SIMDJSON_PADDING);
  // Capacity grows on demand up to max_bytes; the depth limit is fixed here.
  if (auto err = doc.parser_->allocate(std::max<size_t>(text.size(), 64), limits.max_depth); err) {
    return makeError(Errc::Internal, std::string("JSON parser allocation failed: ") +
                                         simdjson::error_message(err));
  }
  auto parsed = doc.parser_->parse(text.data(), text.size(), true);
  if (parsed.error()) {
    const auto err = parsed.error();
    std::string why = err == simdjson::DEPTH_ERROR
                          ? "nesting deeper than " + std::to_string(limits.max_depth) + " levels"
                          : simdjson::error_message(err);
    return makeError(Errc::Invalid, "malformed JSON: " + why);
  }
  doc.root_ = parsed.value_unsafe();
  return doc;
}

std::string toJson(simdjson::dom::element e) { return simdjson::minify(e); }

std::string_view jsonTypeName(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: return "array";
    case simdjson::dom::element_type::OBJECT: return "object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return "number";
    case simdjson::dom::element_type::STRING: return "string";
    case simdjson::dom::element_type::BOOL: return "boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

}  // namespace od::core
