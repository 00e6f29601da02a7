#pragma once
// WatchStream: one Kubernetes watch request (`watch=true&resourceVersion=N&
// allowWatchBookmarks=true&timeoutSeconds=T`) read as newline-delimited JSON events.
//
// DESIGN
// - The body of the 200 response is split into lines in a bounded buffer; a line longer
//   than `max_line` ends the watch with LineTooLong (the caller relists and counts it).
// - ADDED/MODIFIED/DELETED/BOOKMARK events go to on_event with the object's JSON and its
//   resourceVersion (kept as the resume point in last_resource_version).
// - An ERROR event with code 410 inside the stream, or a 410 answer, ends the watch with
//   Expired (relist). Another ERROR event or a non-200 answer ends it with Failed.
// - A clean end of the stream (server timeout, endWatches) is Closed; a broken connection
//   is Dropped. Both resume from last_resource_version.
// - on_end runs exactly once unless the handle is destroyed first; on_event/on_end may
//   destroy the handle.
//
// Thread affinity: loop thread only. *client must outlive the returned handle's transfer
// (destroy watches before the client).

#include <functional>
#include <string>

#include "adapters/kube/kube_client.h"
#include "core/cancelable.h"

namespace od::adapters::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark };
std::string_view watchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  std::string object;            // the object's JSON (BOOKMARK: its small stub)
  std::string resource_version;  // metadata.resourceVersion of the object
};

enum class WatchEndReason { Closed, Dropped, Expired, LineTooLong, Failed };
std::string_view watchEndReasonName(WatchEndReason reason);

struct WatchEnd {
  WatchEndReason reason = WatchEndReason::Closed;
  std::string last_resource_version;  // where to resume (the request's when no event came)
  std::string message;                // for logs
  std::optional<core::Error> error;   // Failed: the mapped HTTP error (Permission, ...)
};

struct WatchRequest {
  std::string kind;             // "Module", ...
  std::string name_space;       // "" = all namespaces
  std::string resource_version; // from the list (or the last event)
  std::string label_selector;
  int timeout_seconds = 300;    // server-side timeout, jitter is the caller's
  size_t max_line = 4u << 20;   // bytes of one event line
};

core::CancelablePtr startWatch(KubeClient& client, WatchRequest request,
                               std::function<void(WatchEvent)> on_event,
                               std::function<void(WatchEnd)> on_end);

}  // namespace od::adapters::kube
