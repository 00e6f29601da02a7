#include "adapters/devstore/label_selector.h"

#include <algorithm>
#include <cctype>

namespace od::adapters::devstore {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// Label keys: an optional DNS-subdomain prefix and '/', then a name of [A-Za-z0-9-_.].
bool validKey(std::string_view key) {
  if (key.empty() || key.size() > 316) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

bool validValue(std::string_view value) {
  return value.size() <= 63 && std::all_of(value.begin(), value.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

// Splits on commas outside parentheses.
std::vector<std::string_view> splitTerms(std::string_view text) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    } else if (text[i] == ',' && depth == 0) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

core::Error bad(std::string_view term, std::string_view why) {
  return core::makeError(core::Errc::Invalid, "label selector \"" + std::string(term) +
                                                  "\": " + std::string(why));
}

}  // namespace

core::Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  if (trim(text).empty()) {
    return selector;
  }
  for (std::string_view raw : splitTerms(text)) {
    std::string_view term = trim(raw);
    if (term.empty()) {
      return bad(text, "empty requirement");
    }
    Requirement r;
    size_t op_at;
    if (term.front() == '!') {
      r.op = Op::NotExists;
      r.key = std::string(trim(term.substr(1)));
    } else if ((op_at = term.find("!=")) != std::string_view::npos) {
      r.op = Op::NotEquals;
      r.key = std::string(trim(term.substr(0, op_at)));
      r.values.emplace_back(trim(term.substr(op_at + 2)));
    } else if ((op_at = term.find('=')) != std::string_view::npos) {
      r.op = Op::Equals;
      r.key = std::string(trim(term.substr(0, op_at)));
      size_t skip = term.substr(op_at).starts_with("==") ? 2 : 1;
      r.values.emplace_back(trim(term.substr(op_at + skip)));
    } else if (term.find('(') != std::string_view::npos) {
      size_t open = term.find('(');
      if (term.back() != ')') {
        return bad(term, "missing ')'");
      }
      std::string_view head = trim(term.substr(0, open));
      size_t space = head.find_last_of(" \t");
      if (space == std::string_view::npos) {
        return bad(term, "expected 'in' or 'notin'");
      }
      std::string_view word = trim(head.substr(space + 1));
      r.key = std::string(trim(head.substr(0, space)));
      if (word == "in") {
        r.op = Op::In;
      } else if (word == "notin") {
        r.op = Op::NotIn;
      } else {
        return bad(term, "expected 'in' or 'notin'");
      }
      std::string_view inner = term.substr(open + 1, term.size() - open - 2);
      for (std::string_view v : splitTerms(inner)) {
        r.values.emplace_back(trim(v));
      }
    } else {
      r.op = Op::Exists;
      r.key = std::string(term);
    }
    if (!validKey(r.key)) {
      return bad(term, "invalid label key \"" + r.key + "\"");
    }
    for (const auto& v : r.values) {
      if (!validValue(v)) {
        return bad(term, "invalid label value \"" + v + "\"");
      }
    }
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    bool ok = false;
    switch (r.op) {
      case Op::Equals:
      case Op::In:
        ok = in;
        break;
      case Op::NotEquals:
      case Op::NotIn:
        ok = !in;
        break;
      case Op::Exists:
        ok = has;
        break;
      case Op::NotExists:
        ok = !has;
        break;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace od::adapters::devstore
