#pragma once
// AnyResource: one OpenDepot resource of any of the five kinds, as the watch adapter and
// the event log carry them. Decoding dispatches on `kind` (apiVersion must be ours).
// Thread affinity: plain value, any thread.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/resources/depot.h"
#include "core/resources/group_binding.h"
#include "core/resources/module.h"
#include "core/resources/provider.h"
#include "core/resources/version.h"

namespace od::core {

enum class ResourceKind { Depot, Module, Provider, Version, GroupBinding };

std::string_view kindName(ResourceKind kind);
// "Module" -> ResourceKind::Module; exact case; nullopt for anything else.
std::optional<ResourceKind> kindFromName(std::string_view name);

class AnyResource {
 public:
  using Variant = std::variant<Depot, Module, Provider, Version, GroupBinding>;

  AnyResource(Depot r) : v_(std::move(r)) {}          // NOLINT(implicit)
  AnyResource(Module r) : v_(std::move(r)) {}         // NOLINT(implicit)
  AnyResource(Provider r) : v_(std::move(r)) {}       // NOLINT(implicit)
  AnyResource(Version r) : v_(std::move(r)) {}        // NOLINT(implicit)
  AnyResource(GroupBinding r) : v_(std::move(r)) {}   // NOLINT(implicit)

  ResourceKind kind() const { return static_cast<ResourceKind>(v_.index()); }
  std::string_view kindName() const { return od::core::kindName(kind()); }
  const ObjectMeta& metadata() const;
  const std::string& name() const { return metadata().name; }
  const std::string& namespace_() const { return metadata().namespace_; }
  const std::string& uid() const { return metadata().uid; }
  const std::string& resourceVersion() const { return metadata().resource_version; }
  int64_t generation() const { return metadata().generation; }
  // The event-log aggregate key "kind/namespace/name".
  std::string key() const;

  // The resource when it is a T, else nullptr.
  template <typename T>
  const T* get() const {
    return std::get_if<T>(&v_);
  }
  const Variant& variant() const { return v_; }
  bool operator==(const AnyResource&) const = default;

 private:
  Variant v_;
};

// Errors: malformed or oversized JSON, not an object, apiVersion missing or not
// opendepot.defdev.io/v1alpha1, kind missing or unknown. Field problems are in `problems`.
Result<Decoded<AnyResource>> decodeAnyResource(std::string_view json,
                                               JsonLimits limits = kResourceJsonLimits);
// Strict: also Errc::Invalid listing every field and validation problem.
Result<AnyResource> parseAnyResource(std::string_view json,
                                     JsonLimits limits = kResourceJsonLimits);

Problems validate(const AnyResource& resource);
void writeJson(JsonWriter& w, const AnyResource& resource);
std::string toJson(const AnyResource& resource);

}  // namespace od::core
