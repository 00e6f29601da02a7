#include "events/worker/depot_poll.h"

#include <memory>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "core/reconcile/depot_plan.h"
#include "core/resources/depot.h"
#include "events/codec.h"
#include "events/worker/sync_job.h"

namespace od::events {
namespace {

// "Depot/<ns>/<name>" -> (ns, name); nullopt for any other shape.
std::optional<std::pair<std::string, std::string>> depotKey(const std::string& key) {
  const std::string prefix = "Depot/";
  if (key.rfind(prefix, 0) != 0) {
    return std::nullopt;
  }
  const size_t slash = key.find('/', prefix.size());
  if (slash == std::string::npos || slash == prefix.size() || slash + 1 >= key.size() ||
      key.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  return std::make_pair(key.substr(prefix.size(), slash - prefix.size()), key.substr(slash + 1));
}

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += (out.empty() ? "" : "; ") + p;
  }
  return out;
}

// One entry to list.
struct Target {
  std::string kind;
  std::string name;
  std::string constraints;
  std::optional<int64_t> limit;
  std::string owner;           // modules: repoOwner; providers: upstream namespace
  bool use_app = false;        // modules: GitHub App auth
};

}  // namespace

class DepotPollHandler::Job final : public SyncJob {
 public:
  Job(DepotPollHandler& owner, const Envelope& event, Done done)
      : SyncJob(std::move(done)), h_(owner), event_(event) {}
  ~Job() override { drop(); }
  void cancel() override { drop(); }

  void start();

 private:
  void addTargets(const core::DepotEntries& entries);
  void next();
  void onListed(core::Result<std::vector<std::string>> upstream);
  void conclude();
  void keepWithinLimit();

  DepotPollHandler& h_;
  Envelope event_;
  DepotPollRequested data_;
  std::string name_space_;
  std::vector<Target> targets_;
  size_t current_ = 0;
  ReleasesDiscovered fact_;
};

void DepotPollHandler::Job::start() {
  auto data = decodeAs<DepotPollRequested>(event_);
  auto key = depotKey(event_.key);
  if (!data.ok() || !key) {
    finish(core::makeError(core::Errc::Corrupt,
                           "undecodable DepotPollRequested " + event_.id + ": " +
                               (data.ok() ? "key " + event_.key + " names no Depot"
                                          : data.error().message)));
    return;
  }
  data_ = std::move(*data);
  name_space_ = key->first;
  core::JsonWriter w;
  w.beginObject().key("metadata").beginObject().member("name", key->second);
  w.member("namespace", key->first).endObject().key("spec").raw(data_.spec).endObject();
  auto decoded = core::decodeDepot(w.take());
  fact_.generation = data_.generation;
  fact_.attempt = data_.attempt;
  if (!decoded.ok()) {
    finish(core::makeError(core::Errc::Corrupt, "DepotPollRequested " + event_.id +
                                                    " carries no Depot spec: " +
                                                    decoded.error().message));
    return;
  }
  addTargets(core::depotEntries(decoded->resource));
  h_.rt_.logger.debug("event=DepotPollStarted id={} key={} generation={} attempt={} entries={}",
                      event_.id, event_.key, data_.generation, data_.attempt, targets_.size());
  next();
}

// The entries to list; those with problems are answered at once with why they are not.
void DepotPollHandler::Job::addTargets(const core::DepotEntries& entries) {
  if (entries.problems.empty()) {
    for (const auto& e : entries.modules) {
      targets_.push_back(Target{"Module", e.config.name.value_or(""), e.config.version_constraints,
                                e.config.version_history_limit, e.config.repo_owner,
                                e.config.github_client_config &&
                                    e.config.github_client_config->use_authenticated_client});
      if (!e.problems.empty()) {
        fact_.entries.push_back({"Module", targets_.back().name, 0, {},
                                 "not polled: " + joined(e.problems), false});
        targets_.pop_back();
      }
    }
    for (const auto& e : entries.providers) {
      targets_.push_back(Target{"Provider", e.config.name.value_or(""),
                                e.config.version_constraints, e.config.version_history_limit,
                                e.upstream_namespace, false});
      if (!e.problems.empty()) {
        fact_.entries.push_back({"Provider", targets_.back().name, 0, {},
                                 "not polled: " + joined(e.problems), false});
        targets_.pop_back();
      }
    }
  }
}

void DepotPollHandler::Job::next() {
  if (current_ >= targets_.size()) {
    conclude();
    return;
  }
  const Target& t = targets_[current_];
  if (t.kind == "Module") {
    step([&] {
      return h_.modules_.listReleases(
          t.owner, t.name, core::GithubAuth{t.use_app, name_space_},
          [this](core::Result<std::vector<core::Release>> r) {
            if (!r.ok()) {
              onListed(r.error());
              return;
            }
            std::vector<std::string> tags;
            for (const auto& release : *r) {
              if (!release.draft) {
                tags.push_back(release.tag);
              }
            }
            onListed(std::move(tags));
          });
    });
    return;
  }
  step([&] {
    return h_.providers_.listVersions(
        core::ProviderAddress{t.owner, t.name},
        [this](core::Result<std::vector<std::string>> r) { onListed(std::move(r)); });
  });
}

void DepotPollHandler::Job::onListed(core::Result<std::vector<std::string>> upstream) {
  const Target& t = targets_[current_++];
  DiscoveredReleases entry{t.kind, t.name, 0, {}, std::nullopt, false};
  if (!upstream.ok()) {
    const core::Error& e = upstream.error();
    entry.error = std::string(t.kind == "Module" ? "listing the GitHub releases of " + t.owner +
                                                       "/" + t.name
                                                 : "listing the versions of provider " +
                                                       t.owner + "/" + t.name) +
                  " failed: " + e.message;
    entry.retryable = e.retryable();
    ++h_.metrics_.entry_failures;
    h_.rt_.logger.warn("event=DepotEntryListFailed id={} key={} entry={}/{} error=\"{}\"",
                       event_.id, event_.key, t.kind, t.name, e.describe());
  } else {
    entry.found = static_cast<int64_t>(upstream->size());
    auto selection = core::selectVersions(t.constraints, *upstream, t.limit);
    if (selection.ok()) {
      entry.kept = std::move(selection->kept);
    } else {
      entry.error = selection.error().message;
    }
  }
  fact_.entries.push_back(std::move(entry));
  next();
}

void DepotPollHandler::Job::keepWithinLimit() {
  if (encodeData(fact_).size() <= kMaxDataBytes) {
    return;
  }
  for (auto& e : fact_.entries) {
    if (!e.error) {
      e.error = std::to_string(e.kept.size()) +
                " versions are too many for one event: narrow versionConstraints or set "
                "versionHistoryLimit";
      e.kept.clear();
    }
  }
}

void DepotPollHandler::Job::conclude() {
  keepWithinLimit();
  bool retry = false;
  for (const auto& e : fact_.entries) {
    retry = retry || (e.error && e.retryable);
  }
  retry = retry && data_.attempt < h_.config_.max_attempts;
  const auto now = h_.rt_.clock.now();
  std::optional<core::DueRecord> due;
  if (retry) {
    const auto delay = backoff(static_cast<uint64_t>(data_.attempt), h_.config_.retry,
                               h_.rt_.random.next());
    DepotPollRequested again{data_.generation, data_.attempt + 1, "retry", data_.spec};
    EnvelopeMeta meta{eventId({type::kDepotPollRequested, event_.key,
                               std::to_string(data_.generation),
                               std::to_string(data_.attempt + 1), event_.id}),
                      event_.key, event_.corr, event_.id, core::unixMillis(now + delay)};
    due = core::DueRecord{now + delay,
                          toAppendRecord(h_.config_.work_stream, makeEnvelope(again, meta))};
    fact_.next_attempt_at = core::unixMillis(now + delay);
  }
  EnvelopeMeta meta{eventId({type::kReleasesDiscovered, event_.key, event_.id}), event_.key,
                    event_.corr, event_.id, core::unixMillis(now)};
  std::vector<core::AppendRecord> facts{
      toAppendRecord(h_.config_.facts_stream, makeEnvelope(fact_, std::move(meta)))};
  ++h_.metrics_.polls;
  h_.rt_.logger.debug("event=ReleasesDiscovered id={} key={} entries={} retry={}", event_.id,
                      event_.key, fact_.entries.size(), retry);
  if (!due) {
    finish(std::move(facts));
    return;
  }
  step([&] {
    return h_.rt_.log.schedule(std::move(*due), [this, facts = std::move(facts)](
                                                    core::Status st) mutable {
      if (!st.ok()) {
        finish(st.error());  // the Consumer retries the request
        return;
      }
      ++h_.metrics_.retries;
      finish(std::move(facts));
    });
  });
}

DepotPollHandler::DepotPollHandler(Runtime runtime, core::ModuleSource& modules,
                                   core::ProviderSource& providers, DepotPollConfig config)
    : rt_(runtime), modules_(modules), providers_(providers), config_(std::move(config)) {}

DepotPollHandler::~DepotPollHandler() = default;

core::CancelablePtr DepotPollHandler::handle(const Envelope& event, const core::StreamEntry&,
                                             Done done) {
  auto job = std::make_unique<Job>(*this, event, std::move(done));
  job->start();
  return job;
}

core::CancelablePtr WorkRouter::handle(const Envelope& event, const core::StreamEntry& raw,
                                       Done done) {
  auto it = routes_.find(event.type);
  Handler& h = it == routes_.end() ? fallback_ : *it->second;
  return h.handle(event, raw, std::move(done));
}

}  // namespace od::events
