#include "adapters/devstore/local_resource_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/devstore/label_selector.h"
#include "core/base64.h"
#include "core/resources/any_resource.h"
#include "core/resources/meta.h"

namespace od::adapters::devstore {
namespace {

using core::Errc;
using core::makeError;

// The handle of a posted completion: cancelling or destroying it drops the completion.
class PostedHandle final : public core::Cancelable {
 public:
  explicit PostedHandle(std::shared_ptr<bool> live) : live_(std::move(live)) {}
  ~PostedHandle() override { *live_ = false; }
  void cancel() override { *live_ = false; }

 private:
  std::shared_ptr<bool> live_;
};

std::string encodeContinue(const std::pair<std::string, std::string>& key) {
  return core::base64UrlEncode(key.first + "\n" + key.second);
}

core::Result<std::pair<std::string, std::string>> decodeContinue(const std::string& token) {
  auto raw = core::base64UrlDecode(token);
  size_t nl = raw ? raw->find('\n') : std::string::npos;
  if (nl == std::string::npos) {
    return makeError(Errc::Invalid, "continue token is not valid");
  }
  return std::make_pair(raw->substr(0, nl), raw->substr(nl + 1));
}

}  // namespace

struct LocalResourceStore::Listener {
  std::function<void(const Change&)> fn;
  bool live = true;
};

LocalResourceStore::LocalResourceStore(loop::EventLoop& loop, core::Clock& clock,
                                       core::Random& random, LocalStoreOptions options)
    : loop_(loop),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      logger_(options_.logger != nullptr ? options_.logger : spdlog::default_logger_raw()) {}

LocalResourceStore::~LocalResourceStore() {
  (void)flush();
  *alive_ = false;
  for (auto& l : listeners_) {
    l->live = false;
  }
}

core::Result<OpenReport> LocalResourceStore::open() {
  OpenReport report;
  if (options_.state_file.empty()) {
    return report;
  }
  auto state = readStateFile(options_.state_file);
  if (!state && state.error().code == Errc::NotFound) {
    return report;
  }
  if (!state && state.error().code == Errc::Corrupt) {
    auto aside = moveAside(options_.state_file, clock_.now());
    if (!aside) {
      return makeError(Errc::Unavailable, state.error().message + "; " + aside.error().message);
    }
    report.moved_aside = *aside;
    report.problem = state.error().message;
    logger_->error("event=DevStateCorrupt file={} moved_to={} error=\"{}\" (starting empty)",
                   options_.state_file, report.moved_aside, report.problem);
    return report;
  }
  if (!state) {
    return state.error();
  }
  resource_version_ = state->resource_version;
  for (auto& o : state->objects) {
    Key key{metaString(o.object, "namespace"), metaString(o.object, "name")};
    resource_version_ = std::max<uint64_t>(
        resource_version_, std::strtoull(metaString(o.object, "resourceVersion").c_str(),
                                         nullptr, 10));
    std::string kind = o.kind();  // before the move below
    objects_[kind][key] = Entry{o.origin, std::move(o.object)};
    ++report.objects;
  }
  logger_->info("event=DevStateLoaded file={} objects={} resourceVersion={}",
                options_.state_file, report.objects, resource_version_);
  return report;
}

// ---- asynchronous port: the synchronous forms, with the result posted ----

template <typename T, typename F>
core::CancelablePtr LocalResourceStore::postResult(F compute, std::function<void(T)> done) {
  auto live = std::make_shared<bool>(true);
  loop_.post([live, result = compute(), done = std::move(done)]() mutable {
    if (*live) {
      *live = false;
      done(std::move(result));
    }
  });
  return std::make_unique<PostedHandle>(live);
}

core::CancelablePtr LocalResourceStore::get(core::ResourceRef ref, Callback<std::string> done) {
  return postResult<core::Result<std::string>>([&] { return getNow(ref); }, std::move(done));
}

core::CancelablePtr LocalResourceStore::list(std::string kind, std::string name_space,
                                             core::ListOptions options,
                                             Callback<core::ListPage> done) {
  return postResult<core::Result<core::ListPage>>(
      [&] { return listNow(kind, name_space, options); }, std::move(done));
}

core::CancelablePtr LocalResourceStore::create(std::string kind, std::string name_space,
                                               std::string object_json,
                                               Callback<std::string> done) {
  return postResult<core::Result<std::string>>(
      [&] { return createNow(kind, name_space, object_json); }, std::move(done));
}

core::CancelablePtr LocalResourceStore::remove(core::ResourceRef ref,
                                               core::DeletePreconditions preconditions,
                                               std::function<void(core::Status)> done) {
  return postResult<core::Status>([&] { return removeNow(ref, preconditions); },
                                  std::move(done));
}

core::CancelablePtr LocalResourceStore::patch(core::ResourceRef ref, core::PatchType type,
                                              std::string body, Callback<std::string> done) {
  return postResult<core::Result<std::string>>(
      [&] { return patchNow(ref, type, body, false); }, std::move(done));
}

core::CancelablePtr LocalResourceStore::patchStatus(core::ResourceRef ref, core::PatchType type,
                                                    std::string body,
                                                    Callback<std::string> done) {
  return postResult<core::Result<std::string>>(
      [&] { return patchNow(ref, type, body, true); }, std::move(done));
}

// ---- reads ----

LocalResourceStore::Entry* LocalResourceStore::find(const core::ResourceRef& ref) {
  auto bucket = objects_.find(ref.kind);
  if (bucket == objects_.end()) {
    return nullptr;
  }
  auto it = bucket->second.find(Key{ref.name_space, ref.name});
  return it == bucket->second.end() ? nullptr : &it->second;
}

const LocalResourceStore::Entry* LocalResourceStore::find(const core::ResourceRef& ref) const {
  return const_cast<LocalResourceStore*>(this)->find(ref);
}

core::Result<std::string> LocalResourceStore::getNow(const core::ResourceRef& ref) const {
  if (auto k = checkKind(ref.kind); !k) {
    return k.error();
  }
  const Entry* e = find(ref);
  if (e == nullptr) {
    return makeError(Errc::NotFound, describeRef(ref.kind, ref.name_space, ref.name) +
                                         " not found");
  }
  return e->object.dump();
}

core::Result<core::ListPage> LocalResourceStore::listNow(const std::string& kind,
                                                         const std::string& name_space,
                                                         const core::ListOptions& options) const {
  if (auto k = checkKind(kind); !k) {
    return k.error();
  }
  OD_TRY(LabelSelector selector, LabelSelector::parse(options.label_selector));
  core::ListPage page;
  page.resource_version = std::to_string(resource_version_);
  auto bucket = objects_.find(kind);
  if (bucket == objects_.end()) {
    return page;
  }
  auto it = bucket->second.begin();
  if (!options.continue_token.empty()) {
    OD_TRY(Key after, decodeContinue(options.continue_token));
    it = bucket->second.upper_bound(after);
  }
  Key last;
  for (; it != bucket->second.end(); ++it) {
    if ((!name_space.empty() && it->first.first != name_space) ||
        !selector.matches(labelsOf(it->second.object))) {
      continue;
    }
    if (options.limit > 0 && page.items.size() == options.limit) {
      page.continue_token = encodeContinue(last);
      break;
    }
    page.items.push_back(it->second.object.dump());
    last = it->first;
  }
  return page;
}

std::vector<StoredObject> LocalResourceStore::objects() const {
  std::vector<StoredObject> out;
  for (const auto& [kind, bucket] : objects_) {
    for (const auto& [key, entry] : bucket) {
      out.push_back(StoredObject{entry.origin, entry.object});
    }
  }
  return out;
}

std::string LocalResourceStore::originOf(const core::ResourceRef& ref) const {
  const Entry* e = find(ref);
  return e == nullptr ? "" : e->origin;
}

bool LocalResourceStore::uidExists(const std::string& uid) const {
  for (const auto& [kind, bucket] : objects_) {
    for (const auto& [key, entry] : bucket) {
      if (metaString(entry.object, "uid") == uid) {
        return true;
      }
    }
  }
  return false;
}

// ---- writes ----

core::Result<std::string> LocalResourceStore::createNow(const std::string& kind,
                                                        const std::string& name_space,
                                                        const std::string& object_json,
                                                        std::string_view origin) {
  OD_TRY(Json obj, prepareCreate(kind, name_space, object_json, random_, clock_.now()));
  Key key{metaString(obj, "namespace"), metaString(obj, "name")};
  if (find(core::ResourceRef{kind, key.first, key.second}) != nullptr) {
    return makeError(Errc::Conflict,
                     describeRef(kind, key.first, key.second) + " already exists");
  }
  if (auto valid = validateObject(kind, obj); !valid) {
    return valid.error();
  }
  obj["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  Entry& entry = objects_[kind][key];
  entry = Entry{std::string(origin), std::move(obj)};
  notify(kind, entry.object, false);
  scheduleSave();
  return entry.object.dump();
}

core::Result<std::string> LocalResourceStore::patchNow(const core::ResourceRef& ref,
                                                       core::PatchType type,
                                                       const std::string& body, bool status) {
  if (auto k = checkKind(ref.kind); !k) {
    return k.error();
  }
  Entry* entry = find(ref);
  if (entry == nullptr) {
    return makeError(Errc::NotFound, describeRef(ref.kind, ref.name_space, ref.name) +
                                         " not found");
  }
  OD_TRY(Json next, applyPatch(entry->object, type, body, status));
  if (next == entry->object) {
    return entry->object.dump();  // no-op: no new resourceVersion, no change
  }
  if (auto valid = validateObject(ref.kind, next); !valid) {
    return valid.error();
  }
  return commit(ref.kind, Key{ref.name_space, ref.name}, std::move(next));
}

std::string LocalResourceStore::commit(const std::string& kind, const Key& key, Json next) {
  Entry& entry = objects_[kind][key];
  if (specPart(next) != specPart(entry.object)) {
    int64_t generation = 0;
    if (entry.object["metadata"].contains("generation") &&
        entry.object["metadata"]["generation"].is_number_integer()) {
      generation = entry.object["metadata"]["generation"].get<int64_t>();
    }
    next["metadata"]["generation"] = generation + 1;
  }
  const bool terminated =
      !metaString(next, "deletionTimestamp").empty() && !hasFinalizers(next);
  entry.object = std::move(next);
  if (terminated) {
    std::string last = entry.object.dump();
    erase(kind, key);
    return last;
  }
  entry.object["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  notify(kind, entry.object, false);
  scheduleSave();
  return entry.object.dump();
}

core::Status LocalResourceStore::removeNow(const core::ResourceRef& ref,
                                           const core::DeletePreconditions& preconditions) {
  if (auto k = checkKind(ref.kind); !k) {
    return k;
  }
  Entry* entry = find(ref);
  const std::string who = describeRef(ref.kind, ref.name_space, ref.name);
  if (entry == nullptr) {
    return makeError(Errc::NotFound, who + " not found");
  }
  std::string uid = metaString(entry->object, "uid");
  std::string rv = metaString(entry->object, "resourceVersion");
  if (preconditions.uid && *preconditions.uid != uid) {
    return makeError(Errc::Conflict, who + ": precondition failed: uid is " + uid +
                                         ", the delete expects " + *preconditions.uid);
  }
  if (preconditions.resource_version && *preconditions.resource_version != rv) {
    return makeError(Errc::Conflict, who + ": precondition failed: resourceVersion is " + rv +
                                         ", the delete expects " +
                                         *preconditions.resource_version);
  }
  Key key{ref.name_space, ref.name};
  if (hasFinalizers(entry->object)) {
    if (metaString(entry->object, "deletionTimestamp").empty()) {
      Json next = entry->object;
      next["metadata"]["deletionTimestamp"] = rfc3339(clock_.now());
      commit(ref.kind, key, std::move(next));
    }
    return core::okStatus();
  }
  erase(ref.kind, key);
  return core::okStatus();
}

void LocalResourceStore::erase(const std::string& kind, const Key& key) {
  auto& bucket = objects_[kind];
  auto it = bucket.find(key);
  if (it == bucket.end()) {
    return;
  }
  Json last = std::move(it->second.object);
  bucket.erase(it);
  last["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  notify(kind, last, true);
  scheduleSave();
  collectGarbage(metaString(last, "uid"));
}

void LocalResourceStore::collectGarbage(const std::string& owner_uid) {
  if (owner_uid.empty()) {
    return;
  }
  std::vector<std::pair<std::string, Key>> orphans;
  for (const auto& [kind, bucket] : objects_) {
    for (const auto& [key, entry] : bucket) {
      auto owners = ownerUids(entry.object);
      if (std::find(owners.begin(), owners.end(), owner_uid) == owners.end()) {
        continue;
      }
      bool owner_left = std::any_of(owners.begin(), owners.end(),
                                    [&](const std::string& uid) { return uidExists(uid); });
      if (!owner_left) {
        orphans.emplace_back(kind, key);
      }
    }
  }
  for (const auto& [kind, key] : orphans) {
    // An earlier removal in this loop may have collected it already.
    if (find(core::ResourceRef{kind, key.first, key.second}) != nullptr) {
      (void)removeNow(core::ResourceRef{kind, key.first, key.second}, {});
    }
  }
}

// ---- notifications and persistence ----

core::CancelablePtr LocalResourceStore::subscribe(std::function<void(const Change&)> listener) {
  auto l = std::make_shared<Listener>();
  l->fn = std::move(listener);
  listeners_.push_back(l);
  struct Handle final : core::Cancelable {
    explicit Handle(std::shared_ptr<Listener> l) : listener(std::move(l)) {}
    ~Handle() override { listener->live = false; }
    void cancel() override { listener->live = false; }
    std::shared_ptr<Listener> listener;
  };
  return std::make_unique<Handle>(std::move(l));
}

void LocalResourceStore::notify(const std::string& kind, const Json& object, bool deleted) {
  std::erase_if(listeners_, [](const std::shared_ptr<Listener>& l) { return !l->live; });
  if (listeners_.empty()) {
    return;
  }
  Change change;
  change.kind = kind;
  change.object = object.dump();
  change.id = kube::ObjectIdentity{metaString(object, "namespace"), metaString(object, "name"),
                                   metaString(object, "uid"),
                                   metaString(object, "resourceVersion")};
  change.deleted = deleted;
  for (const auto& l : listeners_) {
    loop_.post([l, change] {
      if (l->live) {
        l->fn(change);
      }
    });
  }
}

void LocalResourceStore::scheduleSave() {
  if (options_.state_file.empty()) {
    return;
  }
  dirty_ = true;
  if (save_posted_) {
    return;
  }
  save_posted_ = true;
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
    auto a = alive.lock();
    if (a && *a) {
      save_posted_ = false;
      (void)flush();
    }
  });
}

core::Status LocalResourceStore::flush() {
  if (!dirty_ || options_.state_file.empty()) {
    return core::okStatus();
  }
  StoreState state{resource_version_, objects()};
  core::Status saved = writeStateFile(options_.state_file, state);
  if (!saved) {
    if (save_error_ != saved.error().message) {
      logger_->error("event=DevStateSaveFailed file={} error=\"{}\"", options_.state_file,
                     saved.error().message);
    }
    save_error_ = saved.error().message;
    return saved;
  }
  dirty_ = false;
  save_error_.clear();
  return core::okStatus();
}

}  // namespace od::adapters::devstore
