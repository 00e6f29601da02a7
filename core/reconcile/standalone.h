#pragma once
// The decision for one Version on its own: a standalone Version (an inline moduleConfigRef
// or providerConfigRef, no owning Module or Provider), or any Version before it is synced.
// It applies the reference's guards as terminal statuses, fixes the storage fileName once,
// and says whether a sync is due (sync.h).
//
// Guards, in order (each ends the decision with a terminal status and no sync):
// 1. a `.` in metadata.name: kDotNameMessage (the reference's exact text);
// 2. spec.type neither "Module" nor "Provider": "no usable type provided: …";
// 3. both config refs set: kDualConfigMessage;
// 4. the config ref of its type missing: "moduleConfigRef is required…" / "providerConfigRef
//    is required…".
// Then: a Version without spec.fileName gets `<uuidv7>.zip` (moduleConfigRef.fileFormat
// "zip", and every provider) or `<uuidv7>.tar.gz`, as a spec patch; an existing fileName is
// never changed. A sync is requested only once the fileName is in the spec (after the patch
// lands, the Version is observed again). A Version being deleted gets no decision at all.
// Thread affinity: pure function, any thread.

#include <optional>
#include <string>
#include <string_view>

#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/reconcile/sync.h"
#include "core/resources/version.h"

namespace od::core {

// "Version name '<name>' is invalid: name must not contain '.' characters: rename the
// resource and reapply"
std::string dotNameMessage(std::string_view name);

struct VersionDecision {
  // Set when a guard fired: the Version is never synced until its spec or name changes.
  std::optional<std::string> terminal_message;
  std::string spec_patch;  // merge patch for the Version ("" = none), e.g. the fileName
  std::optional<std::string> file_name;  // the fileName the Version has or is given
  std::optional<SyncReason> sync;        // request a sync with this reason now
  VersionStatus status;                  // desired status
  std::string status_patch;              // merge patch for /status ("" = none)
};

// REQUIRES: `random` outlives the call.
VersionDecision planVersion(const Version& version, const SyncHistory& history,
                            Clock::TimePoint now, Random& random);

}  // namespace od::core
