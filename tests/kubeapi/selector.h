#pragma once
// Label and field selectors with the real server's grammar and errors.
// Label: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`.
// Field: `metadata.name`, `metadata.namespace` (and `type` for Secrets) with =, ==, !=.
// Parsing throws ApiError 400. Any thread.

#include <string>
#include <vector>

#include "tests/kubeapi/util.h"

namespace od::testkube {

class Selector {
 public:
  static Selector ParseLabels(const std::string& text);
  static Selector ParseFields(const std::string& text, const std::vector<std::string>& allowed);
  bool Matches(const json& obj) const;
  bool empty() const { return reqs_.empty(); }

 private:
  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists, kGt, kLt };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  bool fields_ = false;
  std::vector<Requirement> reqs_;
};

}  // namespace od::testkube
