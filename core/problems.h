#pragma once
// Problems: collects every validation problem with its field path, so a bad resource is
// reported whole ("spec.moduleConfig.fileFormat: must be zip or tar"), never just its first
// fault. Thread affinity: plain value.

#include <string>
#include <vector>

#include "core/result.h"

namespace od::core {

struct Problem {
  std::string path;     // e.g. "spec.versions[2].version"; empty for the whole document
  std::string message;  // what is wrong, phrased so the user knows what to change
};

class Problems {
 public:
  void add(std::string path, std::string message) {
    list_.push_back(Problem{std::move(path), std::move(message)});
  }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<Problem>& list() const { return list_; }
  // One line per problem, "path: message", joined with "; ".
  std::string describe() const;
  // Errc::Invalid carrying describe(). REQUIRES: !empty().
  Error toError() const { return makeError(Errc::Invalid, describe()); }

 private:
  std::vector<Problem> list_;
};

// "spec" + "versions" -> "spec.versions"; "" + "spec" -> "spec".
std::string joinPath(const std::string& base, std::string_view field);
// "spec.versions" + 2 -> "spec.versions[2]".
std::string indexPath(const std::string& base, size_t index);

}  // namespace od::core
