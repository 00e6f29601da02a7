#include "core/resources/group_binding.h"

namespace od::core {
namespace {

GroupBindingSpec decodeSpec(const FieldReader& r) {
  GroupBindingSpec s;
  s.expression = r.string("expression").value_or("");
  s.module_resources = r.strings("moduleResources");
  s.provider_resources = r.strings("providerResources");
  return s;
}

GroupBindingStatus decodeStatus(const FieldReader& r) {
  GroupBindingStatus s;
  static_cast<StatusCommon&>(s) = decodeStatusCommon(r);
  return s;
}

void validatePatterns(const std::vector<std::string>& patterns, const std::string& path,
                      Problems* problems) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].empty()) {
      problems->add(indexPath(path, i), "must not be empty");
    }
  }
}

}  // namespace

Decoded<GroupBinding> decodeGroupBinding(simdjson::dom::element root) {
  Decoded<GroupBinding> out;
  FieldReader r(root, "", &out.problems);
  if (auto meta = r.object<ObjectMeta>("metadata", decodeObjectMeta)) {
    out.resource.metadata = std::move(*meta);
  }
  if (auto spec = r.object<GroupBindingSpec>("spec", decodeSpec)) {
    out.resource.spec = std::move(*spec);
  }
  if (auto status = r.object<GroupBindingStatus>("status", decodeStatus)) {
    out.resource.status = std::move(*status);
  }
  mergeValidation(&out.problems, validate(out.resource));
  return out;
}

Result<Decoded<GroupBinding>> decodeGroupBinding(std::string_view json, JsonLimits limits) {
  OD_TRY(JsonDocument doc, parseResourceDocument(json, limits, kKindGroupBinding));
  return decodeGroupBinding(doc.root());
}

Result<GroupBinding> parseGroupBinding(std::string_view json, JsonLimits limits) {
  OD_TRY(Decoded<GroupBinding> decoded, decodeGroupBinding(json, limits));
  if (!decoded.problems.empty()) {
    return decoded.problems.toError();
  }
  return std::move(decoded.resource);
}

Problems validate(const GroupBinding& b) {
  Problems problems;
  validateObjectMeta(b.metadata, &problems);
  if (b.spec.expression.empty()) {
    problems.add("spec.expression", "is required (an expression over `groups`)");
  }
  validatePatterns(b.spec.module_resources, "spec.moduleResources", &problems);
  validatePatterns(b.spec.provider_resources, "spec.providerResources", &problems);
  return problems;
}

void writeJson(JsonWriter& w, const GroupBinding& b) {
  w.beginObject();
  writeTypeMeta(w, kKindGroupBinding);
  writeObjectMeta(w, b.metadata);
  w.key("spec").beginObject().member("expression", b.spec.expression);
  writeIfNotEmpty(w, "moduleResources", b.spec.module_resources);
  writeIfNotEmpty(w, "providerResources", b.spec.provider_resources);
  w.endObject();
  if (!(b.status == GroupBindingStatus{})) {
    w.key("status").beginObject();
    writeStatusCommon(w, b.status);
    w.endObject();
  }
  w.endObject();
}

std::string toJson(const GroupBinding& b) {
  JsonWriter w;
  writeJson(w, b);
  return w.take();
}

}  // namespace od::core
