#pragma once
// renderGet(): `opendepot get modules|versions|providers|depots|groupbindings` over the dev
// store — a kubectl-like table (columns follow the CRDs' printer columns), or `-o json`
// (a v1 List of the objects, as `kubectl get -o json` prints).
//
//   NAMESPACE  NAME            PROVIDER  LATEST  VERSIONS  SYNCED  READY  AGE
//   default    terraform-aws   aws       v2.0.0  2         true    True   5m
//
//   versions:  NAMESPACE NAME TYPE PARENT VERSION PLATFORM SYNCED STATUS CHECKSUM AGE
//   providers: NAMESPACE NAME TYPE LATEST VERSIONS SYNCED READY AGE
//   depots:    NAMESPACE NAME MODULES PROVIDERS INTERVAL READY AGE
//   groupbindings: NAMESPACE NAME EXPRESSION AGE
//
// An empty result prints "No resources found." (and "No resources found in <ns>
// namespace."), as kubectl does; JSON prints an empty List.
// Thread affinity: pure functions (readStateFile does blocking file I/O), any thread.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/devstore/state_file.h"
#include "core/result.h"

namespace od::adapters::devstore {

struct GetOptions {
  std::string output;       // "" or "table", "wide" (same table), or "json"
  std::string name_space;   // "" : every namespace
  std::string name;         // "" : every object of the kind
  // "now" for AGE; nullopt: the system clock.
  std::optional<std::chrono::system_clock::time_point> now;
};

// `what`: modules, versions, providers, depots, groupbindings (also singular, and the
// kind names in any case: module, Module, version, mod...).
// Errors: Invalid for an unknown `what` or output format; NotFound for a `name` that is
// not there.
core::Result<std::string> renderGet(std::string_view what, const std::vector<StoredObject>& objects,
                                    const GetOptions& options);
// Reads the state file first. Errors: those of readStateFile() (NotFound: "is `opendepot
// dev` running? no state file at ...") and of renderGet() above.
core::Result<std::string> renderGet(std::string_view what, const std::string& state_file,
                                    const GetOptions& options);

// "5s", "3m", "2h", "4d" (kubectl's short age form). Negative ages print "0s".
std::string shortAge(std::chrono::seconds age);

}  // namespace od::adapters::devstore
