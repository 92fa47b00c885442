#include "engine/prune.h"

#include <map>
#include <string>
#include <utility>

namespace dbsnap {
namespace {

RetentionState retention_state(SnapshotStatus status) {
  switch (status) {
    case SnapshotStatus::completed:
      return RetentionState::completed;
    case SnapshotStatus::running:
      return RetentionState::running;
    default:
      return RetentionState::unfinished;
  }
}

}  // namespace

std::vector<PruneItem> plan_prune(std::span<const SnapshotEntry> snapshots,
                                  const RetentionPolicy& policy, std::int64_t now,
                                  const UtcOffset& utc_offset) {
  // Indexes into snapshots, per (server, database).
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < snapshots.size(); ++i)
    groups[{snapshots[i].manifest.server_name, snapshots[i].manifest.database}].push_back(i);
  std::vector<PruneItem> out(snapshots.size());
  for (const auto& [group, indexes] : groups) {
    std::vector<RetentionItem> items;
    for (std::size_t i : indexes)
      items.push_back({snapshots[i].started_unix, retention_state(snapshots[i].status)});
    std::vector<RetentionDecision> decisions = decide_retention(items, policy, now, utc_offset);
    for (std::size_t k = 0; k < indexes.size(); ++k)
      out[indexes[k]] = {&snapshots[indexes[k]], std::move(decisions[k])};
  }
  return out;
}

std::vector<PruneItem> prune(Volume& volume, const SnapshotListing& listing,
                             const SnapshotFilter& filter, const RetentionPolicy& policy,
                             std::int64_t now, bool dry_run, const UtcOffset& utc_offset) {
  std::vector<SnapshotEntry> chosen;
  std::vector<const SnapshotEntry*> origin;
  for (const auto& e : listing.snapshots)
    if (filter.matches(e.manifest)) {
      chosen.push_back(e);
      origin.push_back(&e);
    }
  std::vector<PruneItem> plan = plan_prune(chosen, policy, now, utc_offset);
  std::vector<SnapshotEntry> doomed;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i].decision.keep) doomed.push_back(chosen[i]);
    plan[i].snapshot = origin[i];
  }
  if (!dry_run && !doomed.empty()) delete_snapshots(volume, doomed);
  return plan;
}

}  // namespace dbsnap
