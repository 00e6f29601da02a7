#pragma once
// YAML (yaml-cpp) to JSON (nlohmann) for manifests: maps, sequences and scalars with the
// YAML 1.2 core schema for plain scalars (null/~/empty, true/false, integers, floats, else
// string); quoted scalars are always strings ("2.0.0" stays a string, 2.0 is a number).
// Thread affinity: pure functions, any thread.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/result.h"

namespace od::adapters::devstore {

// One YAML document of a stream: its JSON, or why it could not be converted.
struct YamlDocument {
  size_t index = 0;  // 0-based position in the stream
  core::Result<nlohmann::json> json = nlohmann::json();
};

// Every document of a multi-document YAML text. Empty documents (a lone `---`) are
// returned as null. Errors: Invalid with line and column for a syntax error (then no
// document of the text is trusted).
core::Result<std::vector<YamlDocument>> yamlDocuments(const std::string& text);

}  // namespace od::adapters::devstore
