#pragma once
// LabelSelector: the Kubernetes label-selector grammar the dev store's list() accepts:
// `a=b`, `a==b`, `a!=b`, `a` (exists), `!a` (does not exist), `a in (x,y)`, `a notin (x,y)`,
// joined by commas (all must hold). An empty selector matches everything. `a!=b` also
// matches objects without label `a`, as in Kubernetes.
// Thread affinity: plain value, any thread.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace od::adapters::devstore {

class LabelSelector {
 public:
  // Errors: Invalid naming the requirement that does not parse.
  static core::Result<LabelSelector> parse(std::string_view text);

  bool matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists };
  struct Requirement {
    std::string key;
    Op op = Op::Exists;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

}  // namespace od::adapters::devstore
