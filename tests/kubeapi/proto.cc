#include "tests/kubeapi/proto.h"

#include <cstdint>

namespace od::testkube {
namespace {

[[noreturn]] void Malformed() {
  throw ApiError(400, "BadRequest", "the body of the request was in an unknown format: "
                                    "malformed protobuf");
}

class Reader {
 public:
  explicit Reader(const std::string& data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool done() const { return p_ >= end_; }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) Malformed();
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Malformed();
  }
  // Reads one field: its number and, for length-delimited fields, the bytes.
  bool Next(int* field, int* wire, std::string* bytes, uint64_t* number) {
    if (done()) return false;
    uint64_t key = Varint();
    *field = static_cast<int>(key >> 3);
    *wire = static_cast<int>(key & 7);
    switch (*wire) {
      case 0: *number = Varint(); break;
      case 1: Skip(8); break;
      case 5: Skip(4); break;
      case 2: {
        uint64_t n = Varint();
        if (n > static_cast<uint64_t>(end_ - p_)) Malformed();
        bytes->assign(p_, n);
        p_ += n;
        break;
      }
      default: Malformed();
    }
    return true;
  }

 private:
  void Skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Malformed();
    p_ += n;
  }
  const char* p_;
  const char* end_;
};

template <typename F>
void ForEach(const std::string& msg, F f) {
  Reader r(msg);
  int field = 0, wire = 0;
  std::string bytes;
  uint64_t number = 0;
  while (r.Next(&field, &wire, &bytes, &number)) f(field, wire, bytes, number);
}

std::pair<std::string, std::string> MapEntry(const std::string& msg) {
  std::pair<std::string, std::string> kv;
  ForEach(msg, [&](int f, int, const std::string& b, uint64_t) {
    if (f == 1) kv.first = b;
    if (f == 2) kv.second = b;
  });
  return kv;
}

json OwnerRef(const std::string& msg) {
  json ref = json::object();
  ForEach(msg, [&](int f, int, const std::string& b, uint64_t n) {
    switch (f) {
      case 1: ref["kind"] = b; break;
      case 3: ref["name"] = b; break;
      case 4: ref["uid"] = b; break;
      case 5: ref["apiVersion"] = b; break;
      case 6: ref["controller"] = n != 0; break;
      case 7: ref["blockOwnerDeletion"] = n != 0; break;
      default: break;
    }
  });
  return ref;
}

json ObjectMeta(const std::string& msg) {
  json m = json::object();
  ForEach(msg, [&](int f, int, const std::string& b, uint64_t) {
    switch (f) {
      case 1: m["name"] = b; break;
      case 2: m["generateName"] = b; break;
      case 3: m["namespace"] = b; break;
      case 5: m["uid"] = b; break;
      case 6: m["resourceVersion"] = b; break;
      case 11: { auto kv = MapEntry(b); m["labels"][kv.first] = kv.second; break; }
      case 12: { auto kv = MapEntry(b); m["annotations"][kv.first] = kv.second; break; }
      case 13: m["ownerReferences"].push_back(OwnerRef(b)); break;
      case 14: m["finalizers"].push_back(b); break;
      default: break;
    }
  });
  for (const char* k : {"uid", "resourceVersion"}) {
    if (m.contains(k) && m[k] == "") m.erase(k);
  }
  return m;
}

json DecodeObject(const std::string& kind, const std::string& raw) {
  json obj = json::object();
  ForEach(raw, [&](int f, int, const std::string& b, uint64_t n) {
    if (f == 1) {
      obj["metadata"] = ObjectMeta(b);
      return;
    }
    if (kind == "Namespace" && f == 2) {
      obj["spec"] = json::object();
      ForEach(b, [&](int sf, int, const std::string& sb, uint64_t) {
        if (sf == 1) obj["spec"]["finalizers"].push_back(sb);
      });
    } else if (kind == "ConfigMap") {
      if (f == 2) { auto kv = MapEntry(b); obj["data"][kv.first] = kv.second; }
      if (f == 3) { auto kv = MapEntry(b); obj["binaryData"][kv.first] = Base64Encode(kv.second); }
      if (f == 4) obj["immutable"] = n != 0;
    } else if (kind == "Secret") {
      if (f == 2) { auto kv = MapEntry(b); obj["data"][kv.first] = Base64Encode(kv.second); }
      if (f == 3) obj["type"] = b;
      if (f == 4) { auto kv = MapEntry(b); obj["stringData"][kv.first] = kv.second; }
      if (f == 5) obj["immutable"] = n != 0;
    }
  });
  return obj;
}

}  // namespace

bool IsProtobuf(const std::string& content_type) {
  return content_type.rfind("application/vnd.kubernetes.protobuf", 0) == 0;
}

json DecodeKubeProtobuf(const std::string& body) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) Malformed();
  std::string api_version, kind, raw;
  ForEach(body.substr(4), [&](int f, int, const std::string& b, uint64_t) {
    if (f == 1) {
      ForEach(b, [&](int tf, int, const std::string& tb, uint64_t) {
        if (tf == 1) api_version = tb;
        if (tf == 2) kind = tb;
      });
    }
    if (f == 2) raw = b;
  });
  if (api_version != "v1" || (kind != "Namespace" && kind != "ConfigMap" && kind != "Secret")) {
    throw ApiError(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types "
                   "include: application/json, application/yaml");
  }
  json obj = DecodeObject(kind, raw);
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  return obj;
}

}  // namespace od::testkube
