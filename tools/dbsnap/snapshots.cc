// dbsnap snapshots [VOLUME]: the snapshots in a volume, newest first;
// dbsnap snapshots --job JOB: those of a job, in its volume.
#include "engine/snapshots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/manifest.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct SnapshotsArgs {
  std::string volume = ".";
  std::string server;
  std::string job;
  Output output;
  VolumeOptions volume_options;
};

// The volume to list: the job's when --job names one, else the argument.
std::unique_ptr<Volume> volume_of(const SnapshotsArgs& a) {
  if (a.job.empty()) return open_volume_arg(a.volume, a.volume_options);
  VolumeOptions options = a.volume_options;
  std::string spec = job_volume_spec(find_job(a.job), options);
  return open_volume(spec, options);
}

int run_snapshots(const SnapshotsArgs& a) {
  auto volume = volume_of(a);
  SnapshotFilter filter;
  filter.server = resolve_server_name(a.server);
  filter.job = a.job;
  SnapshotListing listing = list_snapshots(*volume, static_cast<std::int64_t>(std::time(nullptr)));
  for (const auto& s : listing.skipped) fmt::print(stderr, "dbsnap: skipping {}\n", s);
  std::vector<const SnapshotEntry*> rows;
  for (const auto& e : listing.snapshots)
    if (filter.matches(e.manifest)) rows.push_back(&e);
  auto verified = [](const SnapshotEntry& e) -> std::string {
    if (!e.verification) return "-";
    return e.verification->ok ? "ok" : "failed";
  };
  auto total_rows = [](const Manifest& m) {
    std::uint64_t n = 0;
    for (const auto& [t, r] : m.tables) n += r;
    return n;
  };
  if (a.output.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto* r : rows)
      out.push_back({{"snapshot", r->name},
                     {"server", r->manifest.server_name},
                     {"kind", kind_name(r->manifest.server_kind)},
                     {"database", r->manifest.database},
                     {"globals", is_globals(r->manifest)},
                     {"job", r->manifest.job},
                     {"status", status_name(r->status)},
                     {"failure", r->manifest.failure},
                     {"started_at", r->manifest.started_at},
                     {"finished_at", r->manifest.finished_at},
                     {"size", r->manifest.size},
                     {"rows", total_rows(r->manifest)},
                     {"tables", r->manifest.tables.size()},
                     {"verified", verified(*r)},
                     {"verified_at", r->verification ? r->verification->verified_at : ""},
                     {"verify_error", r->verification ? r->verification->error : ""}});
    print_json(out);
    return 0;
  }
  fmt::print("{:<22} {:<22} {:<16} {:<12} {:<8} {:>10} {:>12}  {}\n", "STARTED", "SERVER",
             "DATABASE", "STATUS", "VERIFIED", "SIZE", "ROWS", "SNAPSHOT");
  for (const auto* r : rows) {
    const Manifest& m = r->manifest;
    fmt::print("{:<22} {:<22} {:<16} {:<12} {:<8} {:>10} {:>12}  {}\n", m.started_at, m.server_name,
               is_globals(m) ? "(globals)" : m.database, status_name(r->status), verified(*r),
               human_bytes(static_cast<double>(m.size)), total_rows(m), r->name);
    if (!m.failure.empty()) fmt::print("    failed: {}\n", m.failure);
    if (r->verification && !r->verification->ok)
      fmt::print("    verify failed: {}\n", r->verification->error);
  }
  return 0;
}

}  // namespace

void add_snapshots_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<SnapshotsArgs>();
  auto* snaps = app.add_subcommand("snapshots", "list the snapshots in a volume, newest first");
  snaps->add_option("volume", a->volume,
                    "volume: a local directory, s3://bucket/prefix or a config name");
  snaps->add_option("--server", a->server, "only this server (host-port or a config name)");
  snaps->add_option("--job", a->job, "only this job's, in its volume (a [jobs] name)")
      ->excludes(snaps->get_option("volume"));
  add_output_options(snaps, a->output);
  add_volume_options(snaps, a->volume_options);
  commands.emplace_back(snaps, [a] { return run_snapshots(*a); });
}

}  // namespace dbsnap::cli
