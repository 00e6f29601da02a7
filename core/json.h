#pragma once
// Bounded JSON parsing over simdjson's DOM API with error codes (never its throwing
// accessors), plus small typed accessors that report the field path of what is wrong.
// Thread affinity: a JsonDocument is used by one thread at a time.

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace od::core {

struct JsonLimits {
  size_t max_bytes = 4 * 1024 * 1024;  // bytes of input accepted
  size_t max_depth = 64;               // nesting of arrays and objects
};

// A parsed document. It owns its parser, so elements stay valid while it lives.
class JsonDocument {
 public:
  // Errors: Invalid for malformed JSON or invalid UTF-8, Invalid for input past the limits
  // (the message says which limit).
  static Result<JsonDocument> parse(std::string_view text, JsonLimits limits = {});

  simdjson::dom::element root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
};

// Compact re-serialisation of an element (for keeping sub-documents verbatim).
std::string toJson(simdjson::dom::element e);

// The JSON type name ("string", "object", ...) used in error messages.
std::string_view jsonTypeName(simdjson::dom::element e);

}  // namespace od::core
