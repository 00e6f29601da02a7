#pragma once
// JsonWriter: the one small JSON writer used everywhere (house style §12: simdjson in, ours out).
// It keeps track of commas itself, so callers only say what comes next. Output is compact
// and deterministic (keys in call order), which the event ids and pre-rendered bodies need.
// Thread affinity: one writer per thread; plain value type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace od::core {

// Appends `s` to `out` as a JSON string literal, quotes included. Invalid UTF-8 bytes are
// replaced by U+FFFD so that the output is always valid JSON.
void appendJsonString(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  // REQUIRES: inside an object, and the previous call was not key().
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(double v);
  JsonWriter& null();
  // Inserts already-serialised JSON (e.g. a sub-document kept verbatim).
  // REQUIRES: `json` is one valid JSON value.
  JsonWriter& raw(std::string_view json);

  // Shorthands for object members.
  template <typename T>
  JsonWriter& member(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  // One entry per open container: true once it holds a member.
  std::vector<bool> has_item_;
  bool after_key_ = false;
};

}  // namespace od::core
