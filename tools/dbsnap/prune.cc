// dbsnap prune VOLUME: a job's keep policy (or --keep-* options) applied to
// the completed snapshots of each (server, database) of a volume.
#include "tools/dbsnap/prune.h"

#include <fmt/format.h>

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/snapshots.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {

UtcOffset job_utc_offset(const JobEntry& job) {
  if (!job.schedule) return {};
  return [schedule = *job.schedule](std::int64_t t) { return schedule.utc_offset(t); };
}

std::size_t removed_count(const std::vector<PruneItem>& plan) {
  std::size_t n = 0;
  for (const auto& item : plan) n += !item.decision.keep;
  return n;
}

void print_prune(const std::vector<PruneItem>& plan, bool dry_run) {
  std::map<std::string, std::vector<const PruneItem*>> groups;
  for (const auto& item : plan)
    groups[item.snapshot->manifest.server_name + "/" + item.snapshot->manifest.database].push_back(
        &item);
  const char* remove = dry_run ? "would remove" : "remove";
  for (const auto& [group, items] : groups) {
    std::size_t removed = 0;
    for (const auto* item : items) removed += !item->decision.keep;
    fmt::print("{}: keep {}, {} {}\n", group, items.size() - removed, remove, removed);
    for (const auto* item : items) {
      const SnapshotEntry& s = *item->snapshot;
      std::string stem = s.name.substr(s.name.rfind('/') + 1);
      fmt::print("  {:<12} {}  {:<12} {}\n", item->decision.keep ? "keep" : remove, stem,
                 status_name(s.status), fmt::join(item->decision.reasons, ", "));
    }
  }
}

nlohmann::ordered_json prune_json(const std::vector<PruneItem>& plan) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& item : plan) {
    const SnapshotEntry& s = *item.snapshot;
    out.push_back({{"snapshot", s.name},
                   {"server", s.manifest.server_name},
                   {"database", s.manifest.database},
                   {"status", status_name(s.status)},
                   {"started_at", s.manifest.started_at},
                   {"keep", item.decision.keep},
                   {"reasons", item.decision.reasons}});
  }
  return out;
}

namespace {

struct PruneArgs {
  std::string volume, job, server, database, keep_within;
  RetentionPolicy keep;
  bool dry_run = false;
  Output output;
  VolumeOptions volume_options;
};

// The policy and filter of the command line: --job's keep, or the --keep-* options.
std::pair<RetentionPolicy, UtcOffset> policy_of(const PruneArgs& a) {
  RetentionPolicy keep = a.keep;
  if (!a.keep_within.empty()) keep.within = parse_calendar_duration(a.keep_within);
  if (a.job.empty()) {
    if (keep.empty())
      throw Error(ExitCode::usage,
                  "prune needs a policy: give --job JOB or --keep-last/--keep-daily/... N");
    return {keep, {}};
  }
  if (!keep.empty())
    throw Error(ExitCode::usage, "--job and --keep-* exclude each other: the job's keep applies");
  const JobEntry& job = find_job(a.job);
  if (job.keep.empty())
    throw Error(
        ExitCode::usage,
        fmt::format("job {} has no keep policy: add keep = {{ last = N, ... }} to it", a.job));
  return {job.keep, job_utc_offset(job)};
}

int run_prune(const PruneArgs& a) {
  auto [policy, offset] = policy_of(a);
  VolumeOptions options = a.volume_options;
  if (a.volume.empty() && a.job.empty())
    throw Error(ExitCode::usage, "prune needs a VOLUME (or --job JOB: the job's volume)");
  std::string spec = a.volume.empty() ? job_volume_spec(find_job(a.job), options)
                                      : resolve_volume(a.volume, options);
  auto volume = open_volume(spec, options);
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  SnapshotListing listing = list_snapshots(*volume, now);
  for (const auto& s : listing.skipped) fmt::print(stderr, "dbsnap: skipping {}\n", s);
  SnapshotFilter filter{a.job, resolve_server_name(a.server), a.database};
  std::vector<PruneItem> plan = prune(*volume, listing, filter, policy, now, a.dry_run, offset);
  if (a.output.json) {
    print_json({{"dry_run", a.dry_run},
                {"removed", removed_count(plan)},
                {"snapshots", prune_json(plan)}});
    return 0;
  }
  print_prune(plan, a.dry_run);
  fmt::print("{} {} of {} snapshots\n", a.dry_run ? "would remove" : "removed", removed_count(plan),
             plan.size());
  return 0;
}

}  // namespace

void add_prune_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand(
      "prune", "delete the snapshots a retention policy does not keep (restic's forget --prune)");
  cmd->add_option("volume", a->volume,
                  "volume: a local directory, s3://bucket/prefix or a config name (default with "
                  "--job: the job's)");
  cmd->add_option("--job", a->job, "only this job's snapshots, with its keep policy");
  cmd->add_option("--server", a->server, "only this server (host-port or a config name)");
  cmd->add_option("--database", a->database, "only this database");
  std::pair<const char*, int*> counts[] = {
      {"--keep-last", &a->keep.last},       {"--keep-hourly", &a->keep.hourly},
      {"--keep-daily", &a->keep.daily},     {"--keep-weekly", &a->keep.weekly},
      {"--keep-monthly", &a->keep.monthly}, {"--keep-yearly", &a->keep.yearly}};
  for (auto [flag, field] : counts)
    cmd->add_option(flag, *field, "keep N snapshots of this kind (-1: unlimited)")
        ->check(CLI::Range(-1, 1 << 20));
  cmd->add_option("--keep-within", a->keep_within,
                  "keep every snapshot within this of the newest, e.g. 30d, 1y6m");
  cmd->add_flag("--dry-run,-n", a->dry_run, "print the decisions, delete nothing");
  add_output_options(cmd, a->output);
  add_volume_options(cmd, a->volume_options);
  commands.emplace_back(cmd, [a] { return run_prune(*a); });
}

}  // namespace dbsnap::cli
