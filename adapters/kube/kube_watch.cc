#include "adapters/kube/kube_watch.h"

#include <memory>
#include <utility>

#include "adapters/kube/kube_paths.h"
#include "core/json.h"

namespace od::adapters::kube {
namespace {

class WatchCall final : public core::Cancelable {
 public:
  WatchCall(WatchRequest request, std::function<void(WatchEvent)> on_event,
            std::function<void(WatchEnd)> on_end)
      : request_(std::move(request)), on_event_(std::move(on_event)), on_end_(std::move(on_end)) {
    last_rv_ = request_.resource_version;
  }
  ~WatchCall() override { cancel(); }
  void cancel() override {
    on_event_ = nullptr;
    on_end_ = nullptr;
    transfer_.reset();
  }

  void start(KubeClient& client, const HttpCall& call);

 private:
  bool onData(std::string_view chunk);
  // false: stop reading (the end reason is set) or this object died.
  bool onLine(std::string_view line);
  void onDone(const HttpCall& call, TransferResult r);
  void end(WatchEndReason reason, std::string message, std::optional<core::Error> error = {});

  WatchRequest request_;
  std::function<void(WatchEvent)> on_event_;
  std::function<void(WatchEnd)> on_end_;
  core::CancelablePtr transfer_;
  std::string buffer_;
  std::string last_rv_;
  std::optional<WatchEndReason> stop_reason_;
  std::string stop_message_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

void WatchCall::start(KubeClient& client, const HttpCall& call) {
  auto spec = client.prepare(call, std::chrono::seconds(request_.timeout_seconds + 30));
  if (!spec) {
    end(WatchEndReason::Failed, spec.error().message, spec.error());
    return;
  }
  spec->max_body = client.options().max_object_bytes;
  spec->sink = [this](std::string_view chunk) { return onData(chunk); };
  transfer_ = client.multi().start(std::move(*spec), [this, call](TransferResult r) {
    onDone(call, std::move(r));
  });
}

bool WatchCall::onData(std::string_view chunk) {
  std::weak_ptr<bool> guard = alive_;
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    std::string_view part = chunk.substr(0, nl);
    if (buffer_.size() + part.size() > request_.max_line) {
      stop_reason_ = WatchEndReason::LineTooLong;
      stop_message_ = "watch event line over " + std::to_string(request_.max_line) + " bytes";
      return false;
    }
    buffer_.append(part);
    if (nl == std::string_view::npos) {
      return true;
    }
    chunk.remove_prefix(nl + 1);
    std::string line = std::move(buffer_);
    buffer_.clear();
    if (!line.empty() && !onLine(line)) {
      return false;
    }
    if (guard.expired() || !on_end_) {
      return false;
    }
  }
  return true;
}

bool WatchCall::onLine(std::string_view line) {
  auto doc = core::JsonDocument::parse(line, core::JsonLimits{request_.max_line + 1, 64});
  std::string_view type;
  simdjson::dom::element object;
  if (!doc || doc->root()["type"].get(type) != simdjson::SUCCESS ||
      doc->root()["object"].get(object) != simdjson::SUCCESS) {
    stop_reason_ = WatchEndReason::Failed;
    stop_message_ = "malformed watch event";
    return false;
  }
  if (type == "ERROR") {
    int64_t code = 0;
    std::string_view message;
    if (object["code"].get(code) != simdjson::SUCCESS) {
      code = 0;
    }
    if (object["message"].get(message) != simdjson::SUCCESS) {
      message = "";
    }
    stop_reason_ = code == 410 ? WatchEndReason::Expired : WatchEndReason::Failed;
    stop_message_ = "ERROR event " + std::to_string(code) + ": " + std::string(message);
    return false;
  }
  WatchEvent e;
  if (type == "ADDED") {
    e.type = WatchEventType::Added;
  } else if (type == "MODIFIED") {
    e.type = WatchEventType::Modified;
  } else if (type == "DELETED") {
    e.type = WatchEventType::Deleted;
  } else if (type == "BOOKMARK") {
    e.type = WatchEventType::Bookmark;
  } else {
    return true;  // unknown event types are skipped
  }
  std::string_view rv;
  if (object["metadata"]["resourceVersion"].get(rv) == simdjson::SUCCESS && !rv.empty()) {
    last_rv_ = std::string(rv);
  }
  e.resource_version = std::string(rv);
  e.object = core::toJson(object);
  if (on_event_) {
    on_event_(std::move(e));
  }
  return true;
}

void WatchCall::onDone(const HttpCall& call, TransferResult r) {
  transfer_.reset();
  if (stop_reason_) {
    end(*stop_reason_, stop_message_);
  } else if (r.code != CURLE_OK) {
    end(WatchEndReason::Dropped, r.error);
  } else if (r.status == 200) {
    end(WatchEndReason::Closed, "stream ended");
  } else if (r.status == 410) {
    end(WatchEndReason::Expired, "410 Gone");
  } else {
    core::Error error = errorFromResponse(call, r.status, r.body);
    end(WatchEndReason::Failed, error.message, error);
  }
}

void WatchCall::end(WatchEndReason reason, std::string message, std::optional<core::Error> error) {
  auto done = std::move(on_end_);
  on_end_ = nullptr;
  on_event_ = nullptr;
  if (done) {
    done(WatchEnd{reason, last_rv_, std::move(message), std::move(error)});
  }
}

}  // namespace

std::string_view watchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added: return "ADDED";
    case WatchEventType::Modified: return "MODIFIED";
    case WatchEventType::Deleted: return "DELETED";
    case WatchEventType::Bookmark: return "BOOKMARK";
  }
  return "?";
}

std::string_view watchEndReasonName(WatchEndReason reason) {
  switch (reason) {
    case WatchEndReason::Closed: return "closed";
    case WatchEndReason::Dropped: return "dropped";
    case WatchEndReason::Expired: return "expired";
    case WatchEndReason::LineTooLong: return "line-too-long";
    case WatchEndReason::Failed: return "failed";
  }
  return "?";
}

core::CancelablePtr startWatch(KubeClient& client, WatchRequest request,
                               std::function<void(WatchEvent)> on_event,
                               std::function<void(WatchEnd)> on_end) {
  auto info = kindInfo(request.kind);
  if (!info) {
    on_end(WatchEnd{WatchEndReason::Failed, request.resource_version, info.error().message,
                    info.error()});
    return core::completedHandle();
  }
  std::string path = collectionPath(*info, request.name_space) +
                     "?watch=true&allowWatchBookmarks=true&timeoutSeconds=" +
                     std::to_string(request.timeout_seconds) +
                     "&resourceVersion=" + urlEncode(request.resource_version);
  if (!request.label_selector.empty()) {
    path += "&labelSelector=" + urlEncode(request.label_selector);
  }
  HttpCall call{"GET", path, "", "", client.options().max_object_bytes, "watch",
                std::string(info->plural), request.name_space, ""};
  auto w = std::make_unique<WatchCall>(std::move(request), std::move(on_event), std::move(on_end));
  w->start(client, call);
  return w;
}

}  // namespace od::adapters::kube
