#include "adapters/devstore/manifest_folder.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "adapters/devstore/object_rules.h"
#include "adapters/devstore/yaml_json.h"
#include "core/resources/any_resource.h"
#include "core/resources/meta.h"

namespace od::adapters::devstore {
namespace fs = std::filesystem;
namespace {

using Identity = ManifestFolder::Identity;


bool isManifest(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool hidden(const fs::path& rel) {
  for (const auto& part : rel) {
    std::string s = part.string();
    if (!s.empty() && (s.front() == '.' || s.back() == '~')) {
      return true;
    }
  }
  return false;
}

// Checks and normalises one document. Errors: Invalid with the reason.
core::Result<ManifestFolder::Desired> checkDocument(nlohmann::json doc) {
  if (!doc.is_object()) {
    return core::makeError(core::Errc::Invalid, "a manifest must be a map (a JSON object), got " +
                                                    std::string(doc.type_name()));
  }
  std::string api_version = stringAt(doc, "apiVersion");
  std::string kind = stringAt(doc, "kind");
  if (api_version != core::kApiVersion || !core::kindFromName(kind)) {
    return core::makeError(
        core::Errc::Invalid,
        "apiVersion \"" + api_version + "\" kind \"" + kind + "\" is not accepted: only " +
            std::string(core::kApiVersion) + " Depot, Module, Provider, Version and GroupBinding");
  }
  if (!doc.contains("metadata") || doc["metadata"].is_null()) {
    doc["metadata"] = nlohmann::json::object();
  }
  if (!doc["metadata"].is_object()) {
    return core::makeError(core::Errc::Invalid, "metadata must be a map");
  }
  nlohmann::json& meta = doc["metadata"];
  for (const char* drop : {"uid", "resourceVersion", "generation", "creationTimestamp",
                           "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
                           "selfLink"}) {
    meta.erase(drop);
  }
  doc.erase("status");
  if (stringAt(meta, "namespace").empty()) {
    meta["namespace"] = "default";
  }
  if (stringAt(meta, "name").empty()) {
    return core::makeError(core::Errc::Invalid, kind + ": metadata.name is required");
  }
  if (auto valid = validateObject(kind, doc); !valid) {
    return valid.error();
  }
  ManifestFolder::Desired d;
  d.kind = kind;
  d.name_space = stringAt(meta, "namespace");
  d.name = stringAt(meta, "name");
  d.object = std::move(doc);
  return d;
}

Identity identityOf(const ManifestFolder::Desired& d) { return {d.kind, d.name_space, d.name}; }

// `current` with the user's part (labels, annotations, everything outside metadata and
// status) taken from `manifest`.
nlohmann::json withUserPart(const nlohmann::json& current, const nlohmann::json& manifest) {
  nlohmann::json next = current;
  for (const char* key : {"labels", "annotations"}) {
    if (manifest["metadata"].contains(key) && !manifest["metadata"][key].is_null()) {
      next["metadata"][key] = manifest["metadata"][key];
    } else {
      next["metadata"].erase(key);
    }
  }
  auto userKey = [](const std::string& k) {
    return k != "apiVersion" && k != "kind" && k != "metadata" && k != "status";
  };
  for (auto it = current.begin(); it != current.end(); ++it) {
    if (userKey(it.key()) && !manifest.contains(it.key())) {
      next.erase(it.key());
    }
  }
  for (auto it = manifest.begin(); it != manifest.end(); ++it) {
    if (userKey(it.key())) {
      next[it.key()] = it.value();
    }
  }
  return next;
}

}  // namespace

std::string ManifestProblem::describe() const {
  std::string where = file.empty() ? "manifest folder" : file;
  if (document > 0) {
    where += ": document " + std::to_string(document);
  }
  return where + ": " + message;
}

struct ManifestFolder::Plan {
  std::map<Identity, Desired> desired;
  std::vector<ManifestProblem> problems;
};

ManifestFolder::ManifestFolder(LocalResourceStore& store, core::Clock& clock,
                               ManifestFolderOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      logger_(options_.logger != nullptr ? options_.logger : spdlog::default_logger_raw()) {}

ManifestFolder::~ManifestFolder() = default;

void ManifestFolder::start() {
  logger_->info("event=ManifestFolderStarted dir={} interval_ms={}", options_.directory,
                options_.interval.count());
  tick();
}

void ManifestFolder::stop() { timer_.reset(); }

void ManifestFolder::tick() {
  (void)scanNow();
  timer_ = clock_.after(options_.interval, [this] { tick(); });
}

ScanResult ManifestFolder::scanNow() {
  ScanResult result;
  Plan plan;
  bool listed = refreshFiles(plan.problems);
  result.files = files_.size();
  std::map<Identity, std::pair<std::string, size_t>> first_seen;
  for (auto& [rel, state] : files_) {
    plan.problems.insert(plan.problems.end(), state.problems.begin(), state.problems.end());
    for (const Desired& d : state.good) {
      auto [it, fresh] = first_seen.emplace(identityOf(d), std::make_pair(d.file, d.document));
      if (!fresh) {
        plan.problems.push_back(
            {d.file, d.document,
             d.kind + " \"" + d.name_space + "/" + d.name + "\" is also declared in " +
                 it->second.first + " document " + std::to_string(it->second.second) +
                 "; this one is ignored"});
        continue;
      }
      plan.desired.emplace(identityOf(d), d);
    }
  }
  result.objects = plan.desired.size();
  if (!listed) {
    uncertain_ = true;  // the folder itself is unreadable: delete nothing
  }
  apply(plan, result);
  result.problems = plan.problems.size();
  report(std::move(plan.problems));
  return result;
}

// Brings files_ up to date with the folder. Returns false when the folder cannot be listed.
bool ManifestFolder::refreshFiles(std::vector<ManifestProblem>& problems) {
  std::error_code ec;
  fs::path root(options_.directory);
  if (!fs::is_directory(root, ec)) {
    problems.push_back({"", 0, "cannot read the folder " + options_.directory + ": " +
                                   (ec ? ec.message() : "not a directory")});
    return false;
  }
  std::set<std::string> present;
  auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied,
                                             ec);
  if (ec) {
    problems.push_back({"", 0, "cannot list " + options_.directory + ": " + ec.message()});
    return false;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      problems.push_back({"", 0, "cannot list " + options_.directory + ": " + ec.message()});
      return false;
    }
    fs::path rel = it->path().lexically_relative(root);
    if (hidden(rel)) {
      if (it->is_directory(ec)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!it->is_regular_file(ec) || !isManifest(rel)) {
      continue;
    }
    present.insert(rel.string());
  }
  std::erase_if(files_, [&](const auto& kv) { return !present.contains(kv.first); });
  uncertain_ = false;
  for (const auto& rel : present) {
    FileState& state = files_[rel];
    readFile(rel, state);
    if (!state.problems.empty() && !state.has_good) {
      uncertain_ = true;
    }
  }
  return true;
}

void ManifestFolder::readFile(const std::string& rel, FileState& state) {
  fs::path path = fs::path(options_.directory) / rel;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto mtime = fs::last_write_time(path, ec);
  int64_t mtime_ns = ec ? 0 : static_cast<int64_t>(mtime.time_since_epoch().count());
  // A file changed within the last seconds may change again without a new mtime (coarse
  // timestamps) or size: re-read it until its mtime is safely in the past (git's "racy" rule).
  auto age = fs::file_time_type::clock::now() - mtime;
  bool racy = ec || age < std::chrono::seconds(3);
  if (!racy && state.read && size == state.size && mtime_ns == state.mtime_ns) {
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  if (ec || !in) {
    state.problems = {{rel, 0, "cannot read the file: " +
                                   (ec ? ec.message() : std::string("read failed"))}};
    state.read = false;
    return;  // keeps its last good objects
  }
  std::string text = buf.str();
  size_t hash = std::hash<std::string>{}(text);
  bool same = state.read && hash == state.hash && text.size() == state.size;
  state.size = size;
  state.mtime_ns = mtime_ns;
  state.read = true;
  if (same) {
    return;
  }
  state.hash = hash;
  parseFile(rel, text, state);
}

void ManifestFolder::parseFile(const std::string& rel, const std::string& text,
                               FileState& state) {
  std::vector<YamlDocument> docs;
  if (fs::path(rel).extension() == ".json") {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
      state.problems = {{rel, 0, "not valid JSON"}};
      return;  // keeps its last good objects
    }
    docs.push_back(YamlDocument{0, std::move(doc)});
  } else {
    auto parsed = yamlDocuments(text);
    if (!parsed) {
      state.problems = {{rel, 0, parsed.error().message}};
      return;  // keeps its last good objects
    }
    docs = std::move(*parsed);
  }
  std::vector<Desired> good;
  std::vector<ManifestProblem> problems;
  for (auto& doc : docs) {
    if (doc.json && doc.json->is_null()) {
      continue;  // an empty document
    }
    auto checked = doc.json ? checkDocument(std::move(*doc.json)) : doc.json.error();
    if (!checked) {
      problems.push_back({rel, doc.index + 1, checked.error().message});
      continue;
    }
    checked->file = rel;
    checked->document = doc.index + 1;
    good.push_back(std::move(*checked));
  }
  if (!problems.empty() && state.has_good) {
    // Keep the last good objects that the new reading does not declare: one of the broken
    // documents may have been meant to be them.
    std::set<Identity> now;
    for (const auto& d : good) {
      now.insert(identityOf(d));
    }
    for (auto& old : state.good) {
      if (!now.contains(identityOf(old))) {
        good.push_back(std::move(old));
      }
    }
  }
  state.good = std::move(good);
  state.has_good = state.has_good || problems.empty();
  state.problems = std::move(problems);
}

void ManifestFolder::apply(Plan& plan, ScanResult& result) {
  for (const auto& [id, d] : plan.desired) {
    applyOne(d, result, plan.problems);
  }
  if (uncertain_) {
    return;
  }
  for (const auto& o : store_.objects()) {
    if (o.origin != kOriginManifests) {
      continue;
    }
    Identity id{o.kind(), metaString(o.object, "namespace"), metaString(o.object, "name")};
    if (plan.desired.contains(id)) {
      continue;
    }
    applied_.erase(id);
    core::ResourceRef ref{o.kind(), std::get<1>(id), std::get<2>(id)};
    if (auto removed = store_.removeNow(ref, {}); removed) {
      ++result.deleted;
      logger_->info("event=ManifestDeleted key={}/{}/{}", ref.kind, ref.name_space, ref.name);
    } else if (removed.error().code != core::Errc::NotFound) {
      plan.problems.push_back({"", 0, "cannot delete " + ref.kind + " \"" + ref.name_space +
                                          "/" + ref.name + "\": " + removed.error().message});
    }
  }
}

void ManifestFolder::applyOne(const Desired& d, ScanResult& result,
                              std::vector<ManifestProblem>& problems) {
  core::ResourceRef ref{d.kind, d.name_space, d.name};
  std::string key = d.kind + "/" + d.name_space + "/" + d.name;
  auto current = store_.getNow(ref);
  if (!current) {
    auto created = store_.createNow(d.kind, d.name_space, d.object.dump(), kOriginManifests);
    if (!created) {
      problems.push_back({d.file, d.document, created.error().message});
      return;
    }
    ++result.created;
    applied_[identityOf(d)] = std::hash<std::string>{}(d.object.dump());
    logger_->info("event=ManifestCreated key={} file={}", key, d.file);
    return;
  }
  if (store_.originOf(ref) != kOriginManifests) {
    problems.push_back({d.file, d.document,
                        key + " exists and was not created from the manifest folder; left "
                              "as it is"});
    return;
  }
  // Apply a manifest once per change of the manifest, not on every scan: the status
  // projection resets spec.forceSync on the object, and re-asserting `true` each second
  // would force a sync each second.
  size_t hash = std::hash<std::string>{}(d.object.dump());
  auto last = applied_.find(identityOf(d));
  if (last != applied_.end() && last->second == hash) {
    return;
  }
  nlohmann::json now = nlohmann::json::parse(*current);
  if (!metaString(now, "deletionTimestamp").empty()) {
    return;  // being deleted: its finalizers decide
  }
  nlohmann::json patch = nlohmann::json::diff(now, withUserPart(now, d.object));
  if (patch.empty()) {
    applied_[identityOf(d)] = hash;
    return;
  }
  auto patched = store_.patchNow(ref, core::PatchType::Json, patch.dump(), false);
  if (!patched) {
    problems.push_back({d.file, d.document, patched.error().message});
    return;
  }
  applied_[identityOf(d)] = hash;
  ++result.updated;
  logger_->info("event=ManifestUpdated key={} file={}", key, d.file);
}

void ManifestFolder::report(std::vector<ManifestProblem> problems) {
  for (const auto& p : problems) {
    if (std::find(problems_.begin(), problems_.end(), p) == problems_.end()) {
      logger_->warn("event=ManifestProblem {}", p.describe());
    }
  }
  problems_ = std::move(problems);
}

}  // namespace od::adapters::devstore
