#include "adapters/kube/secrets.h"

#include "core/base64.h"
#include "core/json.h"
#include "core/names.h"

namespace od::adapters::kube {

core::Result<SecretValues> decodeSecretData(std::string_view secret_json) {
  auto doc = core::JsonDocument::parse(secret_json, core::JsonLimits{1u << 20, 16});
  if (!doc.ok()) {
    return core::makeError(core::Errc::Corrupt, "the Secret is not JSON: " + doc.error().message);
  }
  simdjson::dom::object root;
  if (doc->root().get_object().get(root)) {
    return core::makeError(core::Errc::Corrupt, "the Secret is not a JSON object");
  }
  std::string_view kind;
  if (root.at_key("kind").get_string().get(kind) || kind != "Secret") {
    return core::makeError(core::Errc::Corrupt, "the object is not a Secret");
  }
  SecretValues values;
  simdjson::dom::object data;
  if (root.at_key("data").get_object().get(data)) {
    return values;  // a Secret without data
  }
  for (auto field : data) {
    std::string_view encoded;
    if (field.value.get_string().get(encoded)) {
      return core::makeError(core::Errc::Corrupt,
                             "Secret data '" + std::string(field.key) + "' is not a string");
    }
    auto decoded = core::base64Decode(encoded);
    if (!decoded.ok()) {
      return core::makeError(core::Errc::Corrupt,
                             "Secret data '" + std::string(field.key) + "' is not base64");
    }
    values.emplace(std::string(field.key), std::move(decoded).value());
  }
  return values;
}

core::CancelablePtr readSecret(KubeClient& client, std::string name_space, std::string name,
                               std::function<void(core::Result<SecretValues>)> done) {
  if (!core::isDns1123Subdomain(name) || !core::isDns1123Label(name_space)) {
    auto error = core::makeError(core::Errc::Invalid, "invalid Secret reference '" + name_space +
                                                          "/" + name + "'");
    client.loop().post([done = std::move(done), error] { done(error); });
    return nullptr;
  }
  HttpCall call;
  call.method = "GET";
  call.path = "/api/v1/namespaces/" + name_space + "/secrets/" + name;
  call.verb = "get";
  call.resource = "secrets";
  call.name_space = name_space;
  call.max_body = 1u << 20;
  return client.send(std::move(call), [done = std::move(done)](core::Result<std::string> body) {
    if (!body.ok()) {
      done(std::move(body).takeError());
      return;
    }
    done(decodeSecretData(*body));
  });
}

}  // namespace od::adapters::kube
