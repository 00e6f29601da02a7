#include "adapters/kube/kube_paths.h"

#include <array>

namespace od::adapters::kube {
namespace {

constexpr std::string_view kGroupPrefix = "/apis/opendepot.defdev.io/v1alpha1";
constexpr std::string_view kGroupVersion = "opendepot.defdev.io/v1alpha1";

constexpr std::array<KindInfo, 7> kKinds = {{
    {"Depot", kGroupVersion, "depots", kGroupPrefix},
    {"Module", kGroupVersion, "modules", kGroupPrefix},
    {"Provider", kGroupVersion, "providers", kGroupPrefix},
    {"Version", kGroupVersion, "versions", kGroupPrefix},
    {"GroupBinding", kGroupVersion, "groupbindings", kGroupPrefix},
    {"Secret", "v1", "secrets", "/api/v1"},
    {"ConfigMap", "v1", "configmaps", "/api/v1"},
}};

}  // namespace

core::Result<KindInfo> kindInfo(std::string_view kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) {
      return k;
    }
  }
  return core::makeError(core::Errc::Invalid, "unknown kind \"" + std::string(kind) + "\"");
}

const std::vector<std::string>& opendepotKinds() {
  static const std::vector<std::string> kinds = {"Depot", "Module", "Provider", "Version",
                                                 "GroupBinding"};
  return kinds;
}

std::string collectionPath(const KindInfo& info, std::string_view name_space) {
  std::string p(info.prefix);
  if (!name_space.empty()) {
    p += "/namespaces/" + urlEncode(name_space);
  }
  p += "/";
  p += info.plural;
  return p;
}

std::string objectPath(const KindInfo& info, std::string_view name_space, std::string_view name) {
  return collectionPath(info, name_space) + "/" + urlEncode(name);
}

std::string urlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace od::adapters::kube
