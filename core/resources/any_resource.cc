#include "core/resources/any_resource.h"

namespace od::core {

std::string_view kindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::Depot: return kKindDepot;
    case ResourceKind::Module: return kKindModule;
    case ResourceKind::Provider: return kKindProvider;
    case ResourceKind::Version: return kKindVersion;
    case ResourceKind::GroupBinding: return kKindGroupBinding;
  }
  return "Unknown";
}

std::optional<ResourceKind> kindFromName(std::string_view name) {
  for (auto kind : {ResourceKind::Depot, ResourceKind::Module, ResourceKind::Provider,
                    ResourceKind::Version, ResourceKind::GroupBinding}) {
    if (kindName(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

const ObjectMeta& AnyResource::metadata() const {
  return std::visit([](const auto& r) -> const ObjectMeta& { return r.metadata; }, v_);
}

std::string AnyResource::key() const {
  return std::string(kindName()) + "/" + namespace_() + "/" + name();
}

namespace {

Result<ResourceKind> readKind(simdjson::dom::element root) {
  std::string_view api_version;
  if (root["apiVersion"].get(api_version) != simdjson::SUCCESS) {
    return makeError(Errc::Invalid, "apiVersion: is required and must be a string");
  }
  if (api_version != kApiVersion) {
    return makeError(Errc::Invalid, "apiVersion: must be " + std::string(kApiVersion) +
                                        ", got \"" + std::string(api_version) + "\"");
  }
  std::string_view kind;
  if (root["kind"].get(kind) != simdjson::SUCCESS) {
    return makeError(Errc::Invalid, "kind: is required and must be a string");
  }
  auto parsed = kindFromName(kind);
  if (!parsed) {
    return makeError(Errc::Invalid, "kind: unknown kind \"" + std::string(kind) +
                                        "\" (expected Depot, Module, Provider, Version or "
                                        "GroupBinding)");
  }
  return *parsed;
}

template <typename T>
Decoded<AnyResource> wrap(Decoded<T> decoded) {
  return Decoded<AnyResource>{AnyResource(std::move(decoded.resource)),
                              std::move(decoded.problems)};
}

}  // namespace

Result<Decoded<AnyResource>> decodeAnyResource(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, JsonDocument::parse(json, limits));
  const auto root = doc.root();
  if (!root.is_object()) {
    return makeError(Errc::Invalid, "a resource must be a JSON object, got " +
                                        std::string(jsonTypeName(root)));
  }
  OD_TRY(ResourceKind kind, readKind(root));
  switch (kind) {
    case ResourceKind::Depot: return wrap(decodeDepot(root));
    case ResourceKind::Module: return wrap(decodeModule(root));
    case ResourceKind::Provider: return wrap(decodeProvider(root));
    case ResourceKind::Version: return wrap(decodeVersion(root));
    case ResourceKind::GroupBinding: return wrap(decodeGroupBinding(root));
  }
  return makeError(Errc::Internal, "unhandled resource kind");
}

Result<AnyResource> parseAnyResource(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<AnyResource> decoded, decodeAnyResource(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const AnyResource& resource) {
  return std::visit([](const auto& r) { return validate(r); }, resource.variant());
}

void writeJson(JsonWriter& w, const AnyResource& resource) {
  std::visit([&w](const auto& r) { writeJson(w, r); }, resource.variant());
}

std::string toJson(const AnyResource& resource) {
  JsonWriter w;
  writeJson(w, resource);
  return w.take();
}

}  // namespace od::core
