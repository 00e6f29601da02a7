#include "tests/kubeapi/api_server.h"

#include "tests/kubeapi/proto.h"

#include <cstdio>
#include <thread>

namespace od::testkube {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

HttpResponse JsonResponse(int status, const json& body) {
  return {status, {{"Content-Type", "application/json"}}, Dump(body)};
}

[[noreturn]] void NotFoundPath() {
  throw ApiError(404, "NotFound", "the server could not find the requested resource",
                 json::object());
}

std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

WriteOptions WriteOpts(const HttpRequest& req) {
  WriteOptions o;
  if (req.HasQuery("fieldValidation")) {
    std::string v = req.Query("fieldValidation");
    if (v != "Strict" && v != "Warn" && v != "Ignore") {
      throw ApiError(400, "BadRequest",
                     "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\"");
    }
    o.field_validation = v;
  }
  std::string dry = req.Query("dryRun");
  if (!dry.empty() && dry != "All") {
    throw ApiError(400, "BadRequest", "dryRun: Unsupported value: \"" + dry + "\": supported values: \"All\"");
  }
  o.dry_run = dry == "All";
  o.field_manager = req.Query("fieldManager");
  return o;
}

void SendWrite(ResponseWriter& w, int status, const WriteResult& r) {
  HttpResponse resp = JsonResponse(status, r.object);
  for (const auto& warn : r.warnings) {
    std::string escaped;
    for (char c : warn) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    resp.headers.emplace_back("Warning", "299 - \"" + escaped + "\"");
  }
  w.Send(resp);
}

bool Truthy(const std::string& v) { return v == "true" || v == "1"; }

// A create or update body: JSON, YAML, or protobuf for the core kinds.
json ParseObjectBody(const HttpRequest& req) {
  if (IsProtobuf(req.Header("content-type"))) return DecodeKubeProtobuf(req.body);
  return ParseJsonOrYaml(req.body);
}

// Strategic merge patch for built-in types, approximated as a JSON merge patch that
// ignores the $-directives ($setElementOrder, $patch, $retainKeys, $deleteFromPrimitiveList).
json StripDirectives(const json& patch) {
  if (!patch.is_object()) return patch;
  json out = json::object();
  for (const auto& [k, v] : patch.items()) {
    if (!k.empty() && k[0] == '$') continue;
    out[k] = StripDirectives(v);
  }
  return out;
}

bool MatchesSelectors(const ResourceType& t, const std::string& ns, const Selector& labels,
                      const Selector& fields, const json& obj) {
  if (obj.is_null()) return false;
  if (t.namespaced && !ns.empty() && obj["metadata"].value("namespace", "") != ns) return false;
  return labels.Matches(obj) && fields.Matches(obj);
}

}  // namespace

std::string KubeVerb(const HttpRequest& req, bool has_name) {
  const std::string& m = req.method;
  if (m == "GET") {
    if (has_name) return "get";
    return Truthy(req.Query("watch")) ? "watch" : "list";
  }
  if (m == "POST") return "create";
  if (m == "PUT") return "update";
  if (m == "PATCH") return "patch";
  if (m == "DELETE") return has_name ? "delete" : "deletecollection";
  std::string lower = m;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

TestApiServer::TestApiServer(ApiServerOptions options) : options_(std::move(options)) {
  RegisterBuiltins();
}

TestApiServer::~TestApiServer() { Stop(); }

int TestApiServer::Start() {
  for (const auto& dir : options_.crd_dirs) {
    LoadCrdDir(dir);
  }
  http_ = std::make_unique<HttpServer>(
      [this](const HttpRequest& req, ResponseWriter& w) { Handle(req, w); });
  port_ = http_->Start(options_.host, options_.port);
  return port_;
}

void TestApiServer::Stop() {
  store_.Close();
  if (http_) {
    http_->Stop();
    http_.reset();
  }
}

std::string TestApiServer::url() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

void TestApiServer::DropWatches(bool abrupt) {
  drop_abrupt_ = abrupt;
  store_.DropWatches();
}

void TestApiServer::AddFault(const FaultRule& rule) {
  std::lock_guard<std::mutex> lock(fault_mu_);
  rules_.push_back(rule);
}

void TestApiServer::ResetFaults() {
  std::lock_guard<std::mutex> lock(fault_mu_);
  rules_.clear();
  delay_ms_ = 0;
}

bool TestApiServer::Authorized(const HttpRequest& req) const {
  if (options_.token.empty()) return true;
  std::string auth = req.Header("authorization");
  if (auth == "Bearer " + options_.token) return true;
  static const char* kPublic[] = {"/version", "/healthz", "/livez", "/readyz"};
  if (auth.empty()) {
    for (const char* p : kPublic) {
      if (req.path == p) return true;
    }
  }
  return false;
}

bool TestApiServer::TakeFault(const HttpRequest& req, const std::string& verb,
                              HttpResponse* out) {
  std::lock_guard<std::mutex> lock(fault_mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->verb != "*" && it->verb != req.method && it->verb != verb) continue;
    if (!it->path.empty() && req.path.find(it->path) == std::string::npos) continue;
    FaultRule rule = *it;
    if (--it->count <= 0) rules_.erase(it);
    std::string reason = "InternalError";
    std::string msg = "Internal error occurred: injected fault";
    if (rule.status == 409) {
      reason = "Conflict";
      msg = "Operation cannot be fulfilled: the object has been modified; please apply your "
            "changes to the latest version and try again (injected fault)";
    } else if (rule.status == 429) {
      reason = "TooManyRequests";
      msg = "Too many requests, please try again later. (injected fault)";
    } else if (rule.status == 503) {
      reason = "ServiceUnavailable";
      msg = "The server is currently unable to handle the request (injected fault)";
    } else if (rule.status == 504) {
      reason = "Timeout";
      msg = "The server was unable to return a response in the time allotted (injected fault)";
    } else if (rule.status == 401) {
      reason = "Unauthorized";
      msg = "Unauthorized";
    } else if (rule.status == 403) {
      reason = "Forbidden";
      msg = "forbidden (injected fault)";
    }
    json details = json::object();
    if (rule.retry_after_seconds > 0) details["retryAfterSeconds"] = rule.retry_after_seconds;
    *out = JsonResponse(rule.status, StatusBody(rule.status, reason, msg, details));
    if (rule.retry_after_seconds > 0) {
      out->headers.emplace_back("Retry-After", std::to_string(rule.retry_after_seconds));
    }
    return true;
  }
  return false;
}

json TestApiServer::FaultState() {
  std::lock_guard<std::mutex> lock(fault_mu_);
  json rules = json::array();
  for (const auto& r : rules_) {
    rules.push_back({{"verb", r.verb}, {"path", r.path}, {"status", r.status},
                     {"count", r.count}, {"retryAfterSeconds", r.retry_after_seconds}});
  }
  return {{"activeWatches", active_watches_.load()},
          {"resourceVersion", std::to_string(store_.CurrentRv())},
          {"delayMs", delay_ms_.load()},
          {"requests", requests_.load()},
          {"rules", rules}};
}

void TestApiServer::HandleFaults(const HttpRequest& req, ResponseWriter& w) {
  if (req.method == "POST") {
    json body = ParseJsonBody(req.body.empty() ? "{}" : req.body);
    if (!body.is_object()) throw ApiError(400, "BadRequest", "faults: a JSON object is required");
    if (body.value("reset", false)) ResetFaults();
    if (body.contains("delayMs")) delay_ms_ = body["delayMs"].get<int>();
    for (const auto& r : body.value("rules", json::array())) {
      FaultRule rule;
      rule.verb = r.value("verb", "*");
      rule.path = r.value("path", "");
      rule.status = r.value("status", 500);
      rule.count = r.value("count", 1);
      rule.retry_after_seconds = r.value("retryAfterSeconds", 0);
      AddFault(rule);
    }
    if (body.value("compact", false)) Compact();
    if (body.value("dropWatches", false)) DropWatches(true);
    if (body.value("endWatches", false)) DropWatches(false);
  } else if (req.method != "GET") {
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method");
  }
  w.Send(JsonResponse(200, FaultState()));
}

void TestApiServer::Handle(const HttpRequest& req, ResponseWriter& w) {
  ++requests_;
  HttpResponse fault;
  bool faulted = false;
  try {
    if (req.path == "/_faults") {
      HandleFaults(req, w);
      return;
    }
    if (!Authorized(req)) {
      throw ApiError(401, "Unauthorized", "Unauthorized");
    }
    if (int d = delay_ms_.load(); d > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
    }
    auto segs = Split(req.path);
    bool has_name = (segs.size() >= 4 && segs[0] == "api") || (segs.size() >= 5 && segs[0] == "apis");
    if (segs.size() >= 2 && segs[segs.size() - 2] == "namespaces") {
      has_name = false;  // .../namespaces/<ns>/<plural> is a collection; rough but only for faults
    }
    faulted = TakeFault(req, KubeVerb(req, has_name), &fault);
    if (faulted) {
      w.Send(fault);
    } else {
      Route(req, w);
    }
  } catch (const ApiError& e) {
    HttpResponse resp = JsonResponse(e.code, StatusBody(e));
    resp.headers.insert(resp.headers.end(), e.headers.begin(), e.headers.end());
    w.Send(resp);
  } catch (const json::exception& e) {
    w.Send(JsonResponse(400, StatusBody(400, "BadRequest", e.what())));
  } catch (const std::exception& e) {
    w.Send(JsonResponse(500, StatusBody(500, "InternalError",
                                        std::string("Internal error occurred: ") + e.what())));
  }
  if (options_.verbose) {
    std::fprintf(stderr, "%s %s%s\n", req.method.c_str(), req.target.c_str(),
                 faulted ? " (fault)" : "");
  }
}

void TestApiServer::Route(const HttpRequest& req, ResponseWriter& w) {
  const std::string& p = req.path;
  if (p == "/version" || p == "/version/") {
    std::string v = options_.git_version;
    std::string minor = v.substr(v.find('.') + 1);
    minor = minor.substr(0, minor.find('.'));
    w.Send(JsonResponse(200, {{"major", "1"},
                              {"minor", minor},
                              {"gitVersion", v},
                              {"gitCommit", "0000000000000000000000000000000000000000"},
                              {"gitTreeState", "clean"},
                              {"buildDate", "2025-01-01T00:00:00Z"},
                              {"goVersion", "go1.23.6"},
                              {"compiler", "gc"},
                              {"platform", "linux/amd64"}}));
    return;
  }
  if (p == "/healthz" || p == "/livez" || p == "/readyz") {
    w.Send({200, {{"Content-Type", "text/plain; charset=utf-8"}}, "ok"});
    return;
  }
  if (req.method != "GET" && (p == "/api" || p == "/apis" || p.rfind("/openapi", 0) == 0)) {
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }
  if (p == "/api" || p == "/api/") {
    w.Send(JsonResponse(200, {{"kind", "APIVersions"},
                              {"versions", {"v1"}},
                              {"serverAddressByClientCIDRs",
                               json::array({{{"clientCIDR", "0.0.0.0/0"},
                                             {"serverAddress", options_.host + ":" + std::to_string(port_)}}})}}));
    return;
  }
  auto segs = Split(p);
  if (p == "/apis" || p == "/apis/") {
    json groups = json::array();
    std::vector<std::string> seen;
    for (const ResourceType* t : store_.Types()) {
      if (t->group.empty()) continue;
      json gv = {{"groupVersion", t->ApiVersion()}, {"version", t->version}};
      bool found = false;
      for (auto& g : groups) {
        if (g["name"] == t->group) {
          found = true;
          bool has = false;
          for (const auto& v : g["versions"]) has = has || v["version"] == t->version;
          if (!has) g["versions"].push_back(gv);
        }
      }
      if (!found) {
        groups.push_back({{"name", t->group}, {"versions", json::array({gv})}, {"preferredVersion", gv}});
      }
    }
    w.Send(JsonResponse(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}));
    return;
  }
  if (segs.size() == 2 && segs[0] == "apis") {
    json versions = json::array();
    for (const ResourceType* t : store_.Types()) {
      if (t->group != segs[1]) continue;
      json gv = {{"groupVersion", t->ApiVersion()}, {"version", t->version}};
      if (std::find(versions.begin(), versions.end(), gv) == versions.end()) versions.push_back(gv);
    }
    if (versions.empty()) NotFoundPath();
    w.Send(JsonResponse(200, {{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", segs[1]},
                              {"versions", versions}, {"preferredVersion", versions[0]}}));
    return;
  }
  if ((segs.size() == 2 && segs[0] == "api") || (segs.size() == 3 && segs[0] == "apis")) {
    json d = segs[0] == "api" ? Discovery("", segs[1]) : Discovery(segs[1], segs[2]);
    if (d.is_null()) NotFoundPath();
    w.Send(JsonResponse(200, d));
    return;
  }
  if (p == "/openapi/v3" || p == "/openapi/v3/") {
    w.Send(JsonResponse(200, OpenApiRoot()));
    return;
  }
  if (segs.size() >= 3 && segs[0] == "openapi" && segs[1] == "v3") {
    json doc;
    if (segs.size() == 4 && segs[2] == "api") doc = OpenApiGroupVersion("", segs[3]);
    if (segs.size() == 5 && segs[2] == "apis") doc = OpenApiGroupVersion(segs[3], segs[4]);
    if (doc.is_null()) NotFoundPath();
    HttpResponse resp = JsonResponse(200, doc);
    resp.headers.emplace_back("Cache-Control", "no-cache, private");
    w.Send(resp);
    return;
  }
  if ((segs.size() >= 3 && segs[0] == "api") || (segs.size() >= 4 && segs[0] == "apis")) {
    HandleResource(req, w);
    return;
  }
  NotFoundPath();
}

void TestApiServer::HandleResource(const HttpRequest& req, ResponseWriter& w) {
  auto segs = Split(req.path);
  std::string group = segs[0] == "api" ? "" : segs[1];
  std::string version = segs[0] == "api" ? segs[1] : segs[2];
  std::vector<std::string> rest(segs.begin() + (segs[0] == "api" ? 2 : 3), segs.end());
  std::string ns;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    const ResourceType* inner = store_.Find(group, version, rest[2]);
    if (inner != nullptr && inner->namespaced) {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.empty() || rest.size() > 3) NotFoundPath();
  const ResourceType* t = store_.Find(group, version, rest[0]);
  if (t == nullptr) NotFoundPath();
  std::string name = rest.size() >= 2 ? rest[1] : "";
  std::string sub = rest.size() == 3 ? rest[2] : "";
  if (!sub.empty() && (sub != "status" || !t->status_subresource)) NotFoundPath();
  if (!t->namespaced && !ns.empty()) NotFoundPath();
  bool status = sub == "status";
  const std::string& m = req.method;
  if (name.empty()) {
    if (m == "GET") {
      if (Truthy(req.Query("watch"))) {
        HandleWatch(req, w, *t, ns);
        return;
      }
      ListOptions lo;
      lo.labels = Selector::ParseLabels(req.Query("labelSelector"));
      lo.fields = Selector::ParseFields(req.Query("fieldSelector"), t->field_labels);
      if (req.HasQuery("limit")) {
        try {
          lo.limit = std::stoll(req.Query("limit"));
        } catch (const std::exception&) {
          throw ApiError(400, "BadRequest", "limit: Invalid value: " + req.Query("limit"));
        }
      }
      lo.continue_token = req.Query("continue");
      lo.resource_version = req.Query("resourceVersion");
      lo.resource_version_match = req.Query("resourceVersionMatch");
      ListResult r = store_.List(*t, ns, lo);
      json meta = {{"resourceVersion", std::to_string(r.resource_version)}};
      if (!r.continue_token.empty()) meta["continue"] = r.continue_token;
      if (r.remaining >= 0) meta["remainingItemCount"] = r.remaining;
      json items = json::array();
      for (auto& item : r.items) items.push_back(std::move(item));
      w.Send(JsonResponse(200, {{"kind", t->list_kind}, {"apiVersion", t->ApiVersion()},
                                {"metadata", meta}, {"items", items}}));
      return;
    }
    if (m == "POST") {
      if (t->namespaced && ns.empty()) {
        throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      }
      WriteResult r = store_.Create(*t, ns, ParseObjectBody(req), WriteOpts(req));
      if (t->plural == "customresourcedefinitions" && !WriteOpts(req).dry_run) {
        try {
          AddCrd(r.object);
        } catch (const std::exception& e) {
          r.warnings.push_back(std::string("CRD not served: ") + e.what());
        }
      }
      SendWrite(w, 201, r);
      return;
    }
    if (m == "DELETE") {
      ListOptions lo;
      lo.labels = Selector::ParseLabels(req.Query("labelSelector"));
      lo.fields = Selector::ParseFields(req.Query("fieldSelector"), t->field_labels);
      ListResult r = store_.List(*t, ns, lo);
      json items = json::array();
      for (const auto& item : r.items) {
        try {
          auto [obj, gone] = store_.Delete(*t, item["metadata"].value("namespace", ""),
                                           item["metadata"]["name"].get<std::string>(),
                                           DeleteOptions{});
          (void)gone;
          items.push_back(obj);
        } catch (const ApiError&) {
          // deleted concurrently
        }
      }
      w.Send(JsonResponse(200, {{"kind", t->list_kind}, {"apiVersion", t->ApiVersion()},
                                {"metadata", {{"resourceVersion", std::to_string(store_.CurrentRv())}}},
                                {"items", items}}));
      return;
    }
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }
  if (t->namespaced && ns.empty()) NotFoundPath();
  if (m == "GET") {
    w.Send(JsonResponse(200, store_.Get(*t, ns, name)));
    return;
  }
  if (m == "PUT") {
    SendWrite(w, 200, store_.Update(*t, ns, name, ParseObjectBody(req), WriteOpts(req), status));
    return;
  }
  if (m == "PATCH") {
    HandlePatch(req, w, *t, ns, name, status);
    return;
  }
  if (m == "DELETE" && !status) {
    HandleDelete(req, w, *t, ns, name);
    return;
  }
  throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

void TestApiServer::HandlePatch(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                                const std::string& ns, const std::string& name, bool status) {
  std::string type = MediaType(req.Header("content-type"));
  WriteOptions o = WriteOpts(req);
  if (type == "application/apply-patch+yaml") {
    std::string force = req.Query("force");
    WriteResult r = store_.Apply(t, ns, name, ParseJsonOrYaml(req.body), o, status, force == "true");
    SendWrite(w, r.created ? 201 : 200, r);
    return;
  }
  std::function<json(const json&)> mutate;
  if (type == "application/json-patch+json") {
    json patch = ParseJsonBody(req.body);
    if (!patch.is_array()) {
      throw ApiError(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    }
    mutate = [patch](const json& cur) {
      try {
        return cur.patch(patch);
      } catch (const json::exception& e) {
        throw ApiError(422, "Invalid",
                       std::string("the server rejected our request due to an error in our "
                                   "request: ") + e.what(),
                       {{"causes", json::array({{{"reason", "UnexpectedServerResponse"},
                                                 {"message", e.what()}}})}});
      }
    };
  } else if (type == "application/merge-patch+json" ||
             (type == "application/strategic-merge-patch+json" && !t.custom)) {
    json patch = ParseJsonBody(req.body);
    if (type != "application/merge-patch+json") patch = StripDirectives(patch);
    mutate = [patch](const json& cur) {
      json next = cur;
      next.merge_patch(patch);
      return next;
    };
  } else {
    throw ApiError(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types "
                   "include: application/json-patch+json, application/merge-patch+json, "
                   "application/apply-patch+yaml");
  }
  SendWrite(w, 200, store_.Patch(t, ns, name, mutate, o, status));
}

void TestApiServer::HandleDelete(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                                 const std::string& ns, const std::string& name) {
  DeleteOptions o;
  if (!req.body.empty()) {
    json body = ParseJsonBody(req.body);
    if (body.is_object()) {
      o.propagation = body.value("propagationPolicy", o.propagation);
      if (body.contains("orphanDependents") && body["orphanDependents"].is_boolean()) {
        o.propagation = body["orphanDependents"].get<bool>() ? "Orphan" : "Background";
      }
      if (body.contains("preconditions") && body["preconditions"].is_object()) {
        o.precondition_uid = body["preconditions"].value("uid", "");
        o.precondition_rv = body["preconditions"].value("resourceVersion", "");
      }
      if (body.contains("dryRun") && body["dryRun"].is_array() && !body["dryRun"].empty()) {
        o.dry_run = true;
      }
    }
  }
  if (req.HasQuery("propagationPolicy")) o.propagation = req.Query("propagationPolicy");
  if (req.Query("dryRun") == "All") o.dry_run = true;
  if (o.propagation != "Background" && o.propagation != "Foreground" && o.propagation != "Orphan") {
    throw ApiError(422, "Invalid",
                   "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"" +
                       o.propagation + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  }
  auto [obj, gone] = store_.Delete(t, ns, name, o);
  if (gone && t.kind != "Namespace") {
    json details = {{"name", name}, {"group", t.group}, {"kind", t.plural},
                    {"uid", obj["metadata"].value("uid", "")}};
    w.Send(JsonResponse(200, StatusBody(200, "", "", details)));
    return;
  }
  w.Send(JsonResponse(200, obj));
}

void TestApiServer::HandleWatch(const HttpRequest& req, ResponseWriter& w, const ResourceType& t,
                                const std::string& ns) {
  Selector labels = Selector::ParseLabels(req.Query("labelSelector"));
  Selector fields = Selector::ParseFields(req.Query("fieldSelector"), t.field_labels);
  bool bookmarks = Truthy(req.Query("allowWatchBookmarks"));
  bool initial_events = Truthy(req.Query("sendInitialEvents"));
  std::string rv = req.Query("resourceVersion");
  auto now = std::chrono::steady_clock::now();
  auto deadline = now + std::chrono::seconds(1800);
  if (req.HasQuery("timeoutSeconds")) {
    try {
      deadline = now + std::chrono::seconds(std::stoll(req.Query("timeoutSeconds")));
    } catch (const std::exception&) {
      throw ApiError(400, "BadRequest", "timeoutSeconds: invalid value");
    }
  }
  uint64_t drop_gen = store_.DropGeneration();
  uint64_t cursor = 0;
  std::vector<json> initial;
  if (rv.empty() || rv == "0" || initial_events) {
    ListResult all = store_.List(t, ns, ListOptions{});
    for (auto& item : all.items) {
      if (MatchesSelectors(t, ns, labels, fields, item)) initial.push_back(std::move(item));
    }
    cursor = all.resource_version;
  } else {
    try {
      cursor = std::stoull(rv);
    } catch (const std::exception&) {
      throw ApiError(400, "BadRequest", "invalid resource version: " + rv);
    }
  }
  if (!w.StartChunked(200, {{"Content-Type", "application/json"}})) return;
  struct Counter {
    std::atomic<int>& n;
    explicit Counter(std::atomic<int>& c) : n(c) { ++n; }
    ~Counter() { --n; }
  } counter(active_watches_);
  auto send = [&](const std::string& type, const json& obj) {
    return w.WriteChunk(Dump({{"type", type}, {"object", obj}}) + "\n");
  };
  auto bookmark = [&](bool initial_end) {
    json meta = {{"resourceVersion", std::to_string(cursor)}};
    if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    return send("BOOKMARK", {{"kind", t.kind}, {"apiVersion", t.ApiVersion()}, {"metadata", meta}});
  };
  for (const auto& obj : initial) {
    if (!send("ADDED", obj)) return;
  }
  if (initial_events && bookmarks && !bookmark(true)) return;
  const auto interval = std::chrono::milliseconds(std::max(10, options_.bookmark_interval_ms));
  for (;;) {
    std::vector<WatchEvent> events;
    auto until = std::min(deadline, std::chrono::steady_clock::now() + interval);
    uint64_t before = cursor;
    WatchWait res = store_.WaitEvents(t, &cursor, &events, until, drop_gen);
    switch (res) {
      case WatchWait::kEvents:
        for (const auto& e : events) {
          bool now_match = MatchesSelectors(t, ns, labels, fields, e.object);
          bool was_match = MatchesSelectors(t, ns, labels, fields, e.previous);
          std::string type = e.kind;
          if (e.kind == "MODIFIED") {
            if (now_match && !was_match) type = "ADDED";
            if (!now_match && was_match) type = "DELETED";
            if (!now_match && !was_match) continue;
          } else if (e.kind == "ADDED" && !now_match) {
            continue;
          } else if (e.kind == "DELETED" && !now_match && !was_match) {
            continue;
          }
          if (!send(type, e.object)) return;
        }
        break;
      case WatchWait::kTimeout:
        if (std::chrono::steady_clock::now() >= deadline) {
          w.EndChunked();
          return;
        }
        if (bookmarks && !bookmark(false)) return;
        break;
      case WatchWait::kExpired:
        send("ERROR", StatusBody(410, "Expired",
                                 "too old resource version: " + std::to_string(before) + " (" +
                                     std::to_string(store_.CurrentRv()) + ")"));
        w.EndChunked();
        return;
      case WatchWait::kDropped:
        if (drop_abrupt_) {
          w.Abort();
        } else {
          w.EndChunked();
        }
        return;
      case WatchWait::kClosed:
        w.Abort();
        return;
    }
  }
}

}  // namespace od::testkube
