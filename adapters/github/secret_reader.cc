#include "adapters/github/secret_reader.h"

#include <utility>

#include "core/base64.h"
#include "core/json.h"

namespace od::adapters::github {

using core::Errc;
using core::makeError;

core::Result<SecretData> secretDataFromJson(std::string_view json) {
  core::JsonLimits limits;
  limits.max_bytes = 1u << 20;  // the API server's object size limit for Secrets
  auto doc = core::JsonDocument::parse(json, limits);
  if (!doc) {
    return makeError(Errc::Corrupt, "Secret: " + doc.error().message);
  }
  simdjson::dom::object root;
  if (doc->root().get(root) != simdjson::SUCCESS) {
    return makeError(Errc::Corrupt, "Secret: want a JSON object");
  }
  SecretData out;
  for (std::string_view field : {"stringData", "data"}) {
    simdjson::dom::element e;
    if (root[field].get(e) != simdjson::SUCCESS || e.is_null()) {
      continue;
    }
    simdjson::dom::object values;
    if (e.get(values) != simdjson::SUCCESS) {
      return makeError(Errc::Corrupt, "Secret ." + std::string(field) + ": want an object");
    }
    for (auto [key, value] : values) {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS) {
        return makeError(Errc::Corrupt, "Secret ." + std::string(field) + "." + std::string(key) +
                                            ": want a string");
      }
      if (field == "data") {
        auto decoded = core::base64Decode(text);
        if (!decoded) {
          return makeError(Errc::Corrupt, "Secret .data." + std::string(key) + ": not base64");
        }
        out[std::string(key)] = std::move(*decoded);  // data wins over stringData, as the API server
      } else {
        out[std::string(key)] = std::string(text);
      }
    }
  }
  return out;
}

SecretReader secretReaderFor(core::ResourceStore& store) {
  return [&store](std::string name_space, std::string name,
                  std::function<void(core::Result<SecretData>)> done) {
    core::ResourceRef ref{"Secret", std::move(name_space), std::move(name)};
    return store.get(std::move(ref), [done = std::move(done)](core::Result<std::string> json) {
      if (!json) {
        done(std::move(json).takeError());
        return;
      }
      done(secretDataFromJson(*json));
    });
  };
}

}  // namespace od::adapters::github
