#include "tests/kubeapi/selector.h"

#include <algorithm>
#include <cctype>

namespace od::testkube {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> SplitTop(const std::string& text) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

[[noreturn]] void Bad(const std::string& what) {
  throw ApiError(400, "BadRequest", "unable to parse requirement: " + what);
}

bool ValidKey(const std::string& k) {
  if (k.empty() || k.size() > 317) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/')) {
      return false;
    }
  }
  return true;
}

std::string Lookup(const json& obj, const std::string& key, bool fields, bool* present) {
  if (fields) {
    *present = true;
    if (key == "metadata.name") return obj["metadata"].value("name", "");
    if (key == "metadata.namespace") return obj["metadata"].value("namespace", "");
    if (key == "type") return obj.value("type", "");
    *present = false;
    return "";
  }
  const json& meta = obj["metadata"];
  if (!meta.contains("labels") || !meta["labels"].is_object() || !meta["labels"].contains(key)) {
    *present = false;
    return "";
  }
  *present = true;
  const json& v = meta["labels"][key];
  return v.is_string() ? v.get<std::string>() : Dump(v);
}

}  // namespace

Selector Selector::ParseLabels(const std::string& text) {
  Selector sel;
  if (Trim(text).empty()) return sel;
  for (const std::string& raw : SplitTop(text)) {
    std::string part = Trim(raw);
    if (part.empty()) Bad("found '', expected: identifier");
    Requirement r;
    size_t sp = part.find(' ');
    auto set_values = [&](const std::string& rest) {
      std::string t = Trim(rest);
      if (t.size() < 2 || t.front() != '(' || t.back() != ')') Bad("found '" + t + "', expected: '('");
      for (const std::string& v : SplitTop(t.substr(1, t.size() - 2))) {
        r.values.push_back(Trim(v));
      }
    };
    if (part[0] == '!') {
      r.key = Trim(part.substr(1));
      r.op = Op::kNotExists;
    } else if (sp != std::string::npos && part.substr(sp + 1, 3) == "in " ) {
      r.key = part.substr(0, sp);
      r.op = Op::kIn;
      set_values(part.substr(sp + 3));
    } else if (sp != std::string::npos && Trim(part.substr(sp + 1)).rfind("in", 0) == 0 &&
               Trim(part.substr(sp + 1)).size() > 2 && Trim(part.substr(sp + 1))[2] == '(') {
      r.key = part.substr(0, sp);
      r.op = Op::kIn;
      set_values(Trim(part.substr(sp + 1)).substr(2));
    } else if (sp != std::string::npos && Trim(part.substr(sp + 1)).rfind("notin", 0) == 0) {
      r.key = part.substr(0, sp);
      r.op = Op::kNotIn;
      set_values(Trim(part.substr(sp + 1)).substr(5));
    } else if (auto p = part.find("!="); p != std::string::npos) {
      r.key = Trim(part.substr(0, p));
      r.op = Op::kNotEq;
      r.values = {Trim(part.substr(p + 2))};
    } else if (auto p2 = part.find("=="); p2 != std::string::npos) {
      r.key = Trim(part.substr(0, p2));
      r.op = Op::kEq;
      r.values = {Trim(part.substr(p2 + 2))};
    } else if (auto p3 = part.find('='); p3 != std::string::npos) {
      r.key = Trim(part.substr(0, p3));
      r.op = Op::kEq;
      r.values = {Trim(part.substr(p3 + 1))};
    } else if (auto p4 = part.find_first_of("<>"); p4 != std::string::npos) {
      r.key = Trim(part.substr(0, p4));
      r.op = part[p4] == '>' ? Op::kGt : Op::kLt;
      r.values = {Trim(part.substr(p4 + 1))};
      try {
        std::stoll(r.values[0]);
      } catch (const std::exception&) {
        Bad("for 'Gt', 'Lt' operators, the value must be an integer");
      }
    } else {
      r.key = part;
      r.op = Op::kExists;
    }
    if (!ValidKey(r.key)) Bad("invalid label key \"" + r.key + "\"");
    sel.reqs_.push_back(r);
  }
  return sel;
}

Selector Selector::ParseFields(const std::string& text, const std::vector<std::string>& allowed) {
  Selector sel;
  sel.fields_ = true;
  if (Trim(text).empty()) return sel;
  for (const std::string& raw : SplitTop(text)) {
    std::string part = Trim(raw);
    Requirement r;
    if (auto p = part.find("!="); p != std::string::npos) {
      r.key = part.substr(0, p);
      r.op = Op::kNotEq;
      r.values = {part.substr(p + 2)};
    } else if (auto p2 = part.find("=="); p2 != std::string::npos) {
      r.key = part.substr(0, p2);
      r.op = Op::kEq;
      r.values = {part.substr(p2 + 2)};
    } else if (auto p3 = part.find('='); p3 != std::string::npos) {
      r.key = part.substr(0, p3);
      r.op = Op::kEq;
      r.values = {part.substr(p3 + 1)};
    } else {
      throw ApiError(400, "BadRequest", "invalid selector: '" + text +
                                            "'; can't understand '" + part + "'");
    }
    if (std::find(allowed.begin(), allowed.end(), r.key) == allowed.end()) {
      throw ApiError(400, "BadRequest", "field label not supported: " + r.key);
    }
    sel.reqs_.push_back(r);
  }
  return sel;
}

bool Selector::Matches(const json& obj) const {
  for (const Requirement& r : reqs_) {
    bool present = false;
    std::string v = Lookup(obj, r.key, fields_, &present);
    bool ok = false;
    switch (r.op) {
      case Op::kEq: ok = present && v == r.values[0]; break;
      case Op::kNotEq: ok = !present || v != r.values[0]; break;
      case Op::kIn:
        ok = present && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
        break;
      case Op::kNotIn:
        ok = !present || std::find(r.values.begin(), r.values.end(), v) == r.values.end();
        break;
      case Op::kExists: ok = present; break;
      case Op::kNotExists: ok = !present; break;
      case Op::kGt:
      case Op::kLt: {
        try {
          long long n = std::stoll(v);
          long long want = std::stoll(r.values[0]);
          ok = present && (r.op == Op::kGt ? n > want : n < want);
        } catch (const std::exception&) {
          ok = false;
        }
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace od::testkube
