// The core::ResourceStore operations of KubeClient: paths, bodies, content types and the
// decoding of list pages. Transport and retries are in kube_client.cc.
#include <utility>

#include "adapters/kube/kube_client.h"
#include "adapters/kube/kube_paths.h"
#include "core/json.h"
#include "core/json_writer.h"

namespace od::adapters::kube {
namespace {

using core::Errc;
using core::makeError;

std::string contentType(core::PatchType type) {
  return type == core::PatchType::Merge ? "application/merge-patch+json"
                                        : "application/json-patch+json";
}

// A list item lacks kind/apiVersion for built-in kinds; add them so items decode alone.
std::string withKind(std::string item, const KindInfo& info) {
  if (item.find("\"kind\"") != std::string::npos || item.size() < 2) {
    return item;
  }
  core::JsonWriter w;
  w.beginObject().member("apiVersion", info.api_version).member("kind", info.kind).endObject();
  std::string head = w.take();
  head.pop_back();  // drop '}'
  return head + (item == "{}" ? "}" : "," + item.substr(1));
}

core::Result<core::ListPage> decodeList(const std::string& body, const KindInfo& info,
                                        size_t max_bytes) {
  auto doc = core::JsonDocument::parse(body, core::JsonLimits{max_bytes, 64});
  if (!doc) {
    return makeError(Errc::Corrupt, "list " + std::string(info.plural) + ": " + doc.error().message);
  }
  core::ListPage page;
  std::string_view s;
  if (doc->root()["metadata"]["resourceVersion"].get(s) == simdjson::SUCCESS) {
    page.resource_version = std::string(s);
  }
  if (doc->root()["metadata"]["continue"].get(s) == simdjson::SUCCESS) {
    page.continue_token = std::string(s);
  }
  simdjson::dom::array items;
  if (doc->root()["items"].get(items) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : items) {
      page.items.push_back(withKind(core::toJson(item), info));
    }
  }
  return page;
}

bool hasResourceVersionPrecondition(const std::string& body) {
  return body.find("\"resourceVersion\"") != std::string::npos;
}

}  // namespace

core::CancelablePtr KubeClient::get(core::ResourceRef ref, Callback<std::string> done) {
  auto info = kindInfo(ref.kind);
  if (!info) {
    done(info.error());
    return core::completedHandle();
  }
  HttpCall call{"GET", objectPath(*info, ref.name_space, ref.name), "", "",
                options_.max_object_bytes, "get", std::string(info->plural), ref.name_space, ""};
  return send(std::move(call), std::move(done));
}

core::CancelablePtr KubeClient::list(std::string kind, std::string name_space,
                                     core::ListOptions options, Callback<core::ListPage> done) {
  auto info = kindInfo(kind);
  if (!info) {
    done(info.error());
    return core::completedHandle();
  }
  std::string path = collectionPath(*info, name_space) + "?limit=" + std::to_string(options.limit);
  if (!options.continue_token.empty()) {
    path += "&continue=" + urlEncode(options.continue_token);
  }
  if (!options.label_selector.empty()) {
    path += "&labelSelector=" + urlEncode(options.label_selector);
  }
  size_t max_bytes = options_.max_list_bytes;
  HttpCall call{"GET", path, "", "", max_bytes, "list", std::string(info->plural), name_space, ""};
  KindInfo k = *info;
  return send(std::move(call), [done = std::move(done), k, max_bytes](core::Result<std::string> r) {
    if (!r) {
      done(r.error());
      return;
    }
    done(decodeList(*r, k, max_bytes));
  });
}

core::CancelablePtr KubeClient::create(std::string kind, std::string name_space,
                                       std::string object_json, Callback<std::string> done) {
  auto info = kindInfo(kind);
  if (!info) {
    done(info.error());
    return core::completedHandle();
  }
  HttpCall call{"POST", collectionPath(*info, name_space), std::move(object_json),
                "application/json", options_.max_object_bytes, "create",
                std::string(info->plural), name_space, ""};
  return send(std::move(call), std::move(done));
}

core::CancelablePtr KubeClient::remove(core::ResourceRef ref,
                                       core::DeletePreconditions preconditions,
                                       std::function<void(core::Status)> done) {
  auto info = kindInfo(ref.kind);
  if (!info) {
    done(info.error());
    return core::completedHandle();
  }
  core::JsonWriter w;
  w.beginObject().member("kind", "DeleteOptions").member("apiVersion", "v1");
  w.key("preconditions").beginObject();
  if (preconditions.uid) {
    w.member("uid", *preconditions.uid);
  }
  if (preconditions.resource_version) {
    w.member("resourceVersion", *preconditions.resource_version);
  }
  w.endObject().endObject();
  HttpCall call{"DELETE", objectPath(*info, ref.name_space, ref.name), w.take(),
                "application/json", options_.max_object_bytes, "delete",
                std::string(info->plural), ref.name_space, ""};
  return send(std::move(call), [done = std::move(done)](core::Result<std::string> r) {
    if (!r) {
      done(r.error());
      return;
    }
    done(core::okStatus());
  });
}

core::CancelablePtr KubeClient::patch(core::ResourceRef ref, core::PatchType type,
                                      std::string body, Callback<std::string> done) {
  return patchAt(std::move(ref), type, std::move(body), false, std::move(done));
}

core::CancelablePtr KubeClient::patchStatus(core::ResourceRef ref, core::PatchType type,
                                            std::string body, Callback<std::string> done) {
  return patchAt(std::move(ref), type, std::move(body), true, std::move(done));
}

core::CancelablePtr KubeClient::patchAt(core::ResourceRef ref, core::PatchType type,
                                        std::string body, bool status,
                                        Callback<std::string> done) {
  auto info = kindInfo(ref.kind);
  if (!info) {
    done(info.error());
    return core::completedHandle();
  }
  std::string object = objectPath(*info, ref.name_space, ref.name);
  // A patch without a resourceVersion precondition applies to the server's current state,
  // so a 409 may be retried after a fresh read; with one, the caller must re-read.
  std::string refresh = hasResourceVersionPrecondition(body) ? "" : object;
  HttpCall call{"PATCH", object + (status ? "/status" : ""), std::move(body), contentType(type),
                options_.max_object_bytes, "patch",
                std::string(info->plural) + (status ? "/status" : ""), ref.name_space, refresh};
  return send(std::move(call), std::move(done));
}

}  // namespace od::adapters::kube
