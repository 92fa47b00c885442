// Pruning a volume: a retention policy (engine/retention.h) applied to every
// (server, database) group of a volume's snapshots, then the deletion of the
// snapshots it does not keep (engine/snapshots.h: data first, manifest last).
//
// Per group, only completed snapshots count for the policy's rules, the
// newest completed one is always kept, running ones are kept, and failed,
// interrupted or half-deleted (data_missing) ones are deleted once older than
// kUnfinishedGraceSeconds.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/retention.h"
#include "engine/snapshots.h"
#include "engine/volume.h"

namespace dbsnap {

// One snapshot and what the policy decided for it.
struct PruneItem {
  const SnapshotEntry* snapshot = nullptr;  // borrowed from the caller's list
  RetentionDecision decision;
};

// The decision for every snapshot, in the order of snapshots (list_snapshots
// gives newest first); groups are (Manifest::server_name, Manifest::database).
// now: seconds since the epoch. Pure; snapshots must outlive the result.
std::vector<PruneItem> plan_prune(std::span<const SnapshotEntry> snapshots,
                                  const RetentionPolicy& policy, std::int64_t now,
                                  const UtcOffset& utc_offset = {});

// plan_prune() over the snapshots of listing that filter matches, then,
// unless dry_run, delete_snapshots() of those not kept. Throws dbsnap::Error
// from delete_snapshots (io_error naming the key); the listing's borrowed
// entries must outlive the result.
std::vector<PruneItem> prune(Volume& volume, const SnapshotListing& listing,
                             const SnapshotFilter& filter, const RetentionPolicy& policy,
                             std::int64_t now, bool dry_run, const UtcOffset& utc_offset = {});

}  // namespace dbsnap
