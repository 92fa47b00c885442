// Retention as the CLI applies it (dbsnap prune, and dbsnap run after its
// backups): the decisions printed restic-style, the deletions done.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/prune.h"
#include "tools/dbsnap/config.h"

namespace dbsnap::cli {

// The UtcOffset of a job's schedule's time zone (UTC without a schedule).
UtcOffset job_utc_offset(const JobEntry& job);

// Prints plan on stdout, per (server, database) group:
//   127.0.0.1-5432/app: keep 2, remove 1
//     keep    20261204T023000Z-3f9a1c  completed  last, daily
//     remove  20261203T023000Z-77ab01  completed  no rule keeps it
// verb "would remove" for a dry run.
void print_prune(const std::vector<PruneItem>& plan, bool dry_run);

// One JSON object per snapshot: snapshot, server, database, status,
// started_at, keep, reasons.
nlohmann::ordered_json prune_json(const std::vector<PruneItem>& plan);

// How many of plan are not kept.
std::size_t removed_count(const std::vector<PruneItem>& plan);

}  // namespace dbsnap::cli
