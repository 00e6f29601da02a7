#pragma once
// The Depot reconciler's decisions (inventory §1.2, §2.1; issue 7), with the reference's
// faults fixed where ARCHITECTURE or the issue asks:
// - selectVersions(): the upstream versions an entry keeps — go-version parsing (a leading
//   `v`, short forms padded, non-versions skipped), every constraint term must hold
//   (core::Constraints: pre-releases, `!=`, `~>` as go-version), de-duplicated on the
//   canonical text (no `v`, build metadata kept), highest first, then the
//   versionHistoryLimit highest when it is > 0.
// - depotEntries(): each moduleConfigs/providerConfigs entry merged with spec.global, with its
//   own problems. Modules inherit storageConfig and githubClientConfig from global, fileFormat,
//   immutable and versionHistoryLimit from global.moduleConfig (the reference does not pass
//   the limit on; its docs say it does), and default repoUrl to
//   https://github.com/<repoOwner>/<name>. Providers inherit storageConfig only.
//   A problem in one entry (no name, a name that is no resource name, a constraint that does
//   not parse, a duplicate name, no fileFormat) excludes that entry only; the reference
//   aborted the whole Depot.
// - planDepot(): the Modules and Providers to create or patch. A child is named after its
//   entry, lives in the Depot's namespace, and gets no labels and no owner reference (the
//   reference's choice: deleting a Depot leaves its Modules and Providers in place). Its
//   spec.moduleConfig / spec.providerConfig and spec.versions (`{version}` items, highest
//   first) are overwritten as the reference does; forceSync, metadata and status are kept;
//   patches are minimal merge patches. An entry whose poll failed, or that kept no version,
//   leaves its child exactly as it is (an upstream answering garbage never deletes anything).
//   A child being deleted is left alone.
// - status: modules/providers list the names of the children that exist or are created now
//   (bare names, as the reference); observedGeneration; Ready and Synced conditions, False
//   with every entry problem in the message, Unknown while the first poll is outstanding.
// Thread affinity: pure functions, any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/clock.h"
#include "core/resources/depot.h"
#include "core/resources/module.h"
#include "core/resources/provider.h"
#include "core/result.h"

namespace od::core {

struct VersionSelection {
  size_t found = 0;               // upstream texts given
  std::vector<std::string> kept;  // canonical, highest first
};

// Errc::Invalid (message names the constraint) when `constraints` does not parse.
Result<VersionSelection> selectVersions(std::string_view constraints,
                                        const std::vector<std::string>& upstream,
                                        std::optional<int64_t> history_limit);

struct DepotModuleEntry {
  ModuleConfig config;                // merged with spec.global
  std::vector<std::string> problems;  // empty: the entry can be polled and applied
};
struct DepotProviderEntry {
  ProviderConfig config;               // merged with spec.global; namespace as written
  std::string upstream_namespace;      // trimmed spec namespace, or "hashicorp"
  std::vector<std::string> problems;
};
struct DepotEntries {
  std::vector<std::string> problems;  // the Depot as a whole (metadata, global): nothing runs
  std::vector<DepotModuleEntry> modules;
  std::vector<DepotProviderEntry> providers;
};
DepotEntries depotEntries(const Depot& depot);

// What one poll found for one entry ("Module" or "Provider" named like the entry).
struct DiscoveredEntry {
  std::string kind;
  std::string name;
  std::vector<std::string> kept;  // selectVersions(...).kept
  std::optional<std::string> error;
};

// The Depot's namespace's Modules and Providers, by name (only those named like entries
// matter).
struct DepotChildren {
  std::map<std::string, Module> modules;
  std::map<std::string, Provider> providers;
  // Entry names that another Depot of the namespace manages (the one whose name sorts first
  // wins), name -> that Depot: two Depots would otherwise overwrite each other's child on
  // every change. Such an entry is reported and left alone.
  std::map<std::string, std::string> claimed_modules;
  std::map<std::string, std::string> claimed_providers;
};

struct ChildCreate {
  std::string kind;  // "Module" or "Provider"
  std::string name;
  std::string body;  // the whole object
};
struct ChildPatch {
  std::string kind;
  std::string name;
  std::string patch;  // JSON merge patch of the object (spec only)
};

struct DepotPlan {
  std::vector<ChildCreate> creates;
  std::vector<ChildPatch> patches;
  std::vector<std::string> problems;  // whole-Depot and per-entry, as in the status
  DepotStatus status;                 // desired
  std::string status_patch;           // merge patch for /status, "" when nothing changes
};

// `discovered`: the entries of the newest poll of the Depot's current generation; nullopt
// while none has answered (nothing is written then but the status).
DepotPlan planDepot(const Depot& depot,
                    const std::optional<std::vector<DiscoveredEntry>>& discovered,
                    const DepotChildren& existing, Clock::TimePoint now);

// `{"status":{...}}` with only what differs ("" when nothing does); conditions keep their
// lastTransitionTime when their status is unchanged.
std::string depotStatusPatch(const Depot& current, DepotStatus desired, std::string_view now);

}  // namespace od::core
