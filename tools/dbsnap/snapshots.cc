// dbsnap snapshots [VOLUME]: the snapshots in a volume, newest first.
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
  Output output;
  VolumeOptions volume_options;
};

int run_snapshots(const SnapshotsArgs& a) {
  auto volume = open_volume_arg(a.volume, a.volume_options);
  // --server takes the manifests' host-port, or a server name of the config file.
  std::string server = a.server;
  if (config().servers.count(server)) server = resolve_server(server).volume_name();
  struct Row {
    std::string key;
    Manifest m;
  };
  std::vector<Row> rows;
  const std::string suffix = ".manifest.json";
  const std::string this_host = this_host_name();
  for (const auto& key : volume->list("")) {
    if (key.size() < suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix))
      continue;
    Manifest m;
    try {
      m = parse_manifest(volume->get(key));
    } catch (const Error& e) {
      fmt::print(stderr, "dbsnap: skipping {}: {}\n", key, e.what());
      continue;
    }
    if (!server.empty() && m.server_name != server) continue;
    // A running manifest whose process is gone shows as interrupted.
    m.status = effective_status(m, this_host, static_cast<std::int64_t>(std::time(nullptr)));
    rows.push_back({key.substr(0, key.size() - suffix.size()), std::move(m)});
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& x, const Row& y) { return x.m.started_at > y.m.started_at; });
  auto total_rows = [](const Manifest& m) {
    std::uint64_t n = 0;
    for (const auto& [t, r] : m.tables) n += r;
    return n;
  };
  if (a.output.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : rows)
      out.push_back({{"snapshot", r.key},
                     {"server", r.m.server_name},
                     {"kind", r.m.server_kind},
                     {"database", r.m.database},
                     {"status", r.m.status},
                     {"failure", r.m.failure},
                     {"started_at", r.m.started_at},
                     {"finished_at", r.m.finished_at},
                     {"size", r.m.size},
                     {"rows", total_rows(r.m)},
                     {"tables", r.m.tables.size()}});
    print_json(out);
    return 0;
  }
  fmt::print("{:<22} {:<22} {:<16} {:<10} {:>10} {:>12}  {}\n", "STARTED", "SERVER", "DATABASE",
             "STATUS", "SIZE", "ROWS", "SNAPSHOT");
  for (const auto& r : rows) {
    fmt::print("{:<22} {:<22} {:<16} {:<10} {:>10} {:>12}  {}\n", r.m.started_at, r.m.server_name,
               r.m.database, r.m.status, human_bytes(static_cast<double>(r.m.size)),
               total_rows(r.m), r.key);
    if (!r.m.failure.empty()) fmt::print("    failed: {}\n", r.m.failure);
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
  add_output_options(snaps, a->output);
  add_volume_options(snaps, a->volume_options);
  commands.emplace_back(snaps, [a] { return run_snapshots(*a); });
}

}  // namespace dbsnap::cli
