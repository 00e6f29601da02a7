#include "tests/events/reconcile/fake_resource_store.h"

#include "events/codec.h"
#include "events/envelope.h"
#include "events/streams.h"

namespace od::fakes {
namespace {

using nlohmann::json;

std::string keyOf(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

std::string keyOf(const json& o) {
  return keyOf(o.value("kind", ""), o["metadata"].value("namespace", ""),
               o["metadata"].value("name", ""));
}

bool matchesSelector(const json& o, const std::string& selector) {
  size_t start = 0;
  while (start < selector.size()) {
    size_t end = selector.find(',', start);
    end = end == std::string::npos ? selector.size() : end;
    const std::string term = selector.substr(start, end - start);
    const size_t eq = term.find('=');
    const json& labels = o["metadata"].value("labels", json::object());
    if (eq == std::string::npos || !labels.contains(term.substr(0, eq)) ||
        labels[term.substr(0, eq)] != term.substr(eq + 1)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

core::Error err(core::Errc code, std::string message) {
  return core::makeError(code, std::move(message));
}

}  // namespace

std::optional<core::Error> FakeResourceStore::fault(Op op) {
  for (auto& f : faults_) {
    if (f.n > 0 && (f.op == Op::Any || f.op == op)) {
      --f.n;
      return err(f.code, "injected fault");
    }
  }
  return std::nullopt;
}

void FakeResourceStore::failNext(size_t n, core::Errc code, Op op) {
  faults_.push_back(Fault{n, code, op});
}

size_t FakeResourceStore::count(Op op) const {
  size_t n = 0;
  for (const auto& c : calls_) {
    n += (op == Op::Any || c.op == op) ? 1 : 0;
  }
  return n;
}

void FakeResourceStore::emit(const json& o, bool deleted, const std::string& salt) {
  if (watch_ == nullptr) {
    return;
  }
  const json& meta = o["metadata"];
  const std::string uid = meta.value("uid", "");
  const std::string rv = meta.value("resourceVersion", "");
  events::EnvelopeMeta em{events::eventId({deleted ? "ResourceDeleted" : "ResourceObserved", uid,
                                           rv, salt}),
                          keyOf(o), "", "", core::unixMillis(clock_.now())};
  events::Envelope env;
  if (deleted) {
    env = events::makeEnvelope(events::ResourceDeleted{uid, rv}, std::move(em));
  } else {
    events::ResourceObserved d;
    d.uid = uid;
    d.resource_version = rv;
    d.generation = meta.value("generation", 0);
    d.labels = meta.value("labels", std::map<std::string, std::string>{});
    d.annotations = meta.value("annotations", std::map<std::string, std::string>{});
    d.owner_references = meta.value("ownerReferences", json::array()).dump();
    if (meta.contains("deletionTimestamp")) {
      d.deletion_timestamp = meta["deletionTimestamp"].get<std::string>();
    }
    d.spec = o.value("spec", json::object()).dump();
    d.status = o.value("status", json::object()).dump();
    env = events::makeEnvelope(d, std::move(em));
  }
  watch_->addNow(events::toAppendRecord(events::streams::kResources, env));
}

core::Result<json> FakeResourceStore::doCreate(json o) {
  const std::string key = keyOf(o);
  if (o["metadata"].value("name", "").empty()) {
    return err(core::Errc::Invalid, "metadata.name is required");
  }
  if (objects_.count(key) > 0) {
    return err(core::Errc::Conflict, "AlreadyExists: " + key);
  }
  o["metadata"]["uid"] = "uid-" + std::to_string(++uids_);
  o["metadata"]["resourceVersion"] = std::to_string(++revision_);
  o["metadata"]["generation"] = 1;
  o.erase("status");
  objects_[key] = o;
  emit(o, false);
  return o;
}

std::string FakeResourceStore::putNow(const json& object) {
  auto created = doCreate(object);
  return created.ok() ? (*created)["metadata"]["uid"].get<std::string>() : "";
}

void FakeResourceStore::relist() {
  ++relists_;
  for (const auto& [key, o] : objects_) {
    emit(o, false, "relist-" + std::to_string(relists_));
  }
}

json FakeResourceStore::object(const std::string& kind, const std::string& ns,
                               const std::string& name) const {
  auto it = objects_.find(keyOf(kind, ns, name));
  return it == objects_.end() ? json() : it->second;
}

std::vector<json> FakeResourceStore::objects(const std::string& kind) const {
  std::vector<json> out;
  for (const auto& [key, o] : objects_) {
    if (o.value("kind", "") == kind) {
      out.push_back(o);
    }
  }
  return out;
}

core::Result<json> FakeResourceStore::doPatch(const std::string& key, const std::string& body,
                                              bool status) {
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return err(core::Errc::NotFound, key + " not found");
  }
  json patch = json::parse(body, nullptr, false);
  if (!patch.is_object()) {
    return err(core::Errc::Invalid, "the patch is not a JSON object");
  }
  json& o = it->second;
  if (patch.contains("metadata") && patch["metadata"].contains("resourceVersion")) {
    if (patch["metadata"]["resourceVersion"] != o["metadata"]["resourceVersion"]) {
      return err(core::Errc::Conflict, "the object has been modified");
    }
    patch["metadata"].erase("resourceVersion");
  }
  if (status) {
    json s = o.value("status", json::object());
    s.merge_patch(patch.value("status", json::object()));
    o["status"] = s;
  } else {
    patch.erase("status");
    const json spec_before = o.value("spec", json::object());
    o.merge_patch(patch);
    if (o.value("spec", json::object()) != spec_before) {
      o["metadata"]["generation"] = o["metadata"].value("generation", 1) + 1;
    }
  }
  o["metadata"]["resourceVersion"] = std::to_string(++revision_);
  json result = o;
  if (o["metadata"].contains("deletionTimestamp") &&
      o["metadata"].value("finalizers", json::array()).empty()) {
    objects_.erase(it);
    emit(result, true);
  } else {
    emit(result, false);
  }
  return result;
}

core::CancelablePtr FakeResourceStore::get(core::ResourceRef ref, Callback<std::string> done) {
  const std::string key = keyOf(ref.kind, ref.name_space, ref.name);
  calls_.push_back(Call{Op::Get, key, ""});
  if (auto f = fault(Op::Get)) {
    return later<core::Result<std::string>>(std::move(done), *f);
  }
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return later<core::Result<std::string>>(std::move(done), err(core::Errc::NotFound, key));
  }
  return later<core::Result<std::string>>(std::move(done), it->second.dump());
}

core::CancelablePtr FakeResourceStore::list(std::string kind, std::string name_space,
                                            core::ListOptions options,
                                            Callback<core::ListPage> done) {
  calls_.push_back(Call{Op::List, kind + "/" + name_space, options.label_selector});
  if (auto f = fault(Op::List)) {
    return later<core::Result<core::ListPage>>(std::move(done), *f);
  }
  core::ListPage page;
  page.resource_version = std::to_string(revision_);
  for (const auto& [key, o] : objects_) {
    if (o.value("kind", "") == kind &&
        (name_space.empty() || o["metadata"].value("namespace", "") == name_space) &&
        matchesSelector(o, options.label_selector)) {
      page.items.push_back(o.dump());
    }
  }
  return later<core::Result<core::ListPage>>(std::move(done), std::move(page));
}

core::CancelablePtr FakeResourceStore::create(std::string kind, std::string name_space,
                                              std::string object_json,
                                              Callback<std::string> done) {
  json o = json::parse(object_json, nullptr, false);
  const std::string name = o.is_object() ? o["metadata"].value("name", "") : "";
  calls_.push_back(Call{Op::Create, keyOf(kind, name_space, name), object_json});
  if (auto f = fault(Op::Create)) {
    return later<core::Result<std::string>>(std::move(done), *f);
  }
  if (!o.is_object() || o.value("kind", "") != kind) {
    return later<core::Result<std::string>>(std::move(done),
                                            err(core::Errc::Invalid, "bad object"));
  }
  o["metadata"]["namespace"] = name_space;
  auto created = doCreate(std::move(o));
  if (!created.ok()) {
    return later<core::Result<std::string>>(std::move(done), created.error());
  }
  return later<core::Result<std::string>>(std::move(done), created->dump());
}

core::CancelablePtr FakeResourceStore::remove(core::ResourceRef ref,
                                              core::DeletePreconditions preconditions,
                                              std::function<void(core::Status)> done) {
  const std::string key = keyOf(ref.kind, ref.name_space, ref.name);
  calls_.push_back(Call{Op::Remove, key, ""});
  if (auto f = fault(Op::Remove)) {
    return later<core::Status>(std::move(done), *f);
  }
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return later<core::Status>(std::move(done), err(core::Errc::NotFound, key));
  }
  json& o = it->second;
  if (preconditions.uid && *preconditions.uid != o["metadata"].value("uid", "")) {
    return later<core::Status>(std::move(done), err(core::Errc::Conflict, "uid precondition"));
  }
  o["metadata"]["resourceVersion"] = std::to_string(++revision_);
  if (!o["metadata"].value("finalizers", json::array()).empty()) {
    o["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
    emit(o, false);
  } else {
    json gone = o;
    objects_.erase(it);
    emit(gone, true);
  }
  return later<core::Status>(std::move(done), core::Status());
}

core::CancelablePtr FakeResourceStore::patch(core::ResourceRef ref, core::PatchType type,
                                             std::string body, Callback<std::string> done) {
  const std::string key = keyOf(ref.kind, ref.name_space, ref.name);
  calls_.push_back(Call{Op::Patch, key, body});
  if (auto f = fault(Op::Patch)) {
    return later<core::Result<std::string>>(std::move(done), *f);
  }
  if (type != core::PatchType::Merge) {
    return later<core::Result<std::string>>(std::move(done),
                                            err(core::Errc::Invalid, "merge patches only"));
  }
  auto r = doPatch(key, body, false);
  return later<core::Result<std::string>>(
      std::move(done), r.ok() ? core::Result<std::string>(r->dump()) : r.error());
}

core::CancelablePtr FakeResourceStore::patchStatus(core::ResourceRef ref, core::PatchType type,
                                                   std::string body, Callback<std::string> done) {
  const std::string key = keyOf(ref.kind, ref.name_space, ref.name);
  calls_.push_back(Call{Op::PatchStatus, key, body});
  if (auto f = fault(Op::PatchStatus)) {
    return later<core::Result<std::string>>(std::move(done), *f);
  }
  if (type != core::PatchType::Merge) {
    return later<core::Result<std::string>>(std::move(done),
                                            err(core::Errc::Invalid, "merge patches only"));
  }
  auto r = doPatch(key, body, true);
  return later<core::Result<std::string>>(
      std::move(done), r.ok() ? core::Result<std::string>(r->dump()) : r.error());
}

core::CancelablePtr RecordingObjectStore::put(core::PutRequest, Callback<core::PutResult> done) {
  return clock_.after(std::chrono::milliseconds(0), [done = std::move(done)] {
    done(core::makeError(core::Errc::Invalid, "not supported by this fake"));
  });
}

core::CancelablePtr RecordingObjectStore::stat(std::string key, Callback<core::ObjectInfo> done) {
  return clock_.after(std::chrono::milliseconds(0), [done = std::move(done), key] {
    done(core::makeError(core::Errc::NotFound, key));
  });
}

core::CancelablePtr RecordingObjectStore::get(std::string, uint64_t, uint64_t, core::ChunkSink,
                                              std::function<void(core::Status)> done) {
  return clock_.after(std::chrono::milliseconds(0), [done = std::move(done)] {
    done(core::makeError(core::Errc::Invalid, "not supported by this fake"));
  });
}

core::CancelablePtr RecordingObjectStore::remove(std::string key,
                                                 std::function<void(core::Status)> done) {
  if (fail_next_removes > 0) {
    --fail_next_removes;
    return clock_.after(std::chrono::milliseconds(0), [done = std::move(done)] {
      done(core::makeError(core::Errc::Unavailable, "injected fault"));
    });
  }
  removed.push_back(key);
  return clock_.after(std::chrono::milliseconds(0), [done = std::move(done)] { done({}); });
}

core::Result<std::string> RecordingObjectStore::presign(std::string_view, std::chrono::seconds) const {
  return core::makeError(core::Errc::Invalid, "not supported by this fake");
}

}  // namespace od::fakes
