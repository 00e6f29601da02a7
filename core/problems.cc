#include "core/problems.h"

namespace od::core {

std::string Problems::describe() const {
  std::string out;
  for (const auto& p : list_) {
    if (!out.empty()) {
      out.append("; ");
    }
    if (!p.path.empty()) {
      out.append(p.path).append(": ");
    }
    out.append(p.message);
  }
  return out;
}

std::string joinPath(const std::string& base, std::string_view field) {
  if (base.empty()) {
    return std::string(field);
  }
  std::string out = base;
  out.push_back('.');
  out.append(field);
  return out;
}

std::string indexPath(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

}  // namespace od::core
