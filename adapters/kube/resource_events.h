#pragma once
// The records the watch adapter appends to od:{ctl}:resources: ResourceObserved (the whole
// object: uid, resourceVersion, generation, labels, annotations, ownerReferences,
// deletionTimestamp, spec, status) and ResourceDeleted, with their deterministic ids (see
// watch_adapter.h for the id scheme).
// Thread affinity: pure functions, any thread.

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/kube/reflector.h"
#include "core/ports/event_log.h"
#include "core/result.h"

namespace od::adapters::kube {

// Errors: Corrupt when the object is not JSON with metadata.uid/name; Invalid when the
// event data would exceed events::kMaxDataBytes.
core::Result<core::AppendRecord> observedRecord(const std::string& kind, const std::string& object,
                                                std::optional<int64_t> resync_epoch,
                                                int64_t ts_ms);
core::AppendRecord deletedRecord(const std::string& kind, const ObjectIdentity& id, int64_t ts_ms);

}  // namespace od::adapters::kube
