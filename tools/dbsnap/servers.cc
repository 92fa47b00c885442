// dbsnap servers [VOLUME...]: each server of the config file and of the
// snapshots in the volumes (the given ones, else the config file's volumes
// and jobs' volumes), with its last backup, last restore check, snapshot
// count and size.
#include <fmt/format.h>

#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/snapshots.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct ServersArgs {
  std::vector<std::string> volumes;
  Output output;
  VolumeOptions volume_options;
};

// One server, keyed by Manifest::server_name ("host-port").
struct ServerRow {
  std::vector<std::string> names;  // [servers] names that point at it
  std::string kind, address;       // address: "host:port"
  std::string last_at, last_status, last_database;
  std::string verified_at, verify_status;  // the newest restore check: "ok" | "failed"
  std::size_t snapshots = 0;               // completed ones
  std::uint64_t size = 0;                  // their stored bytes
};

// The volume specs to scan, each once, with their options.
std::map<std::string, VolumeOptions> volume_specs(const ServersArgs& a) {
  std::map<std::string, VolumeOptions> specs;
  auto add = [&](std::string spec, VolumeOptions options) {
    specs.emplace(std::move(spec), std::move(options));
  };
  for (const auto& arg : a.volumes) {
    VolumeOptions o = a.volume_options;
    std::string spec = resolve_volume(arg, o);
    add(spec, o);
  }
  if (!a.volumes.empty()) return specs;
  for (const auto& [name, v] : config().volumes) {
    VolumeOptions o = a.volume_options;
    std::string spec = resolve_volume(name, o);
    add(spec, o);
  }
  for (const auto& [name, job] : config().jobs) {
    VolumeOptions o = a.volume_options;
    std::string spec = job_volume_spec(job, o);
    add(spec, o);
  }
  return specs;
}

// "host:port" of a masked URL; "" when it does not parse.
std::string address_of(const std::string& url) {
  try {
    ServerUrl u = ServerUrl::parse(url);
    return fmt::format("{}:{}", u.host, u.port);
  } catch (const Error&) {
    return "";
  }
}

void add_snapshot(std::map<std::string, ServerRow>& rows, const SnapshotEntry& e,
                  std::set<std::string>& seen) {
  // A volume and a job's prefix inside it list the same snapshot twice.
  std::string id =
      e.manifest.server_name + "/" + e.manifest.database + "/" + e.manifest.data_object;
  if (!seen.insert(id).second) return;
  ServerRow& row = rows[e.manifest.server_name];
  if (row.kind.empty()) row.kind = kind_name(e.manifest.server_kind);
  if (row.address.empty()) row.address = address_of(e.manifest.server_url);
  if (e.manifest.started_at > row.last_at) {
    row.last_at = e.manifest.started_at;
    row.last_status = status_name(e.status);
    row.last_database = e.manifest.database;
  }
  if (e.verification && e.verification->verified_at > row.verified_at) {
    row.verified_at = e.verification->verified_at;
    row.verify_status = e.verification->ok ? "ok" : "failed";
  }
  if (e.status != SnapshotStatus::completed) return;
  ++row.snapshots;
  row.size += e.manifest.size;
}

std::map<std::string, ServerRow> collect(const ServersArgs& a) {
  std::map<std::string, ServerRow> rows;
  for (const auto& [name, entry] : config().servers) {
    ServerUrl url = resolve_server(name);
    ServerRow& row = rows[url.volume_name()];
    row.names.push_back(name);
    row.kind = url.kind_name();
    row.address = fmt::format("{}:{}", url.host, url.port);
  }
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::set<std::string> seen;
  for (const auto& [spec, options] : volume_specs(a)) {
    auto volume = open_volume(spec, options);
    SnapshotListing listing = list_snapshots(*volume, now);
    for (const auto& s : listing.skipped) fmt::print(stderr, "dbsnap: skipping {}\n", s);
    for (const auto& e : listing.snapshots) add_snapshot(rows, e, seen);
  }
  return rows;
}

int run_servers(const ServersArgs& a) {
  std::map<std::string, ServerRow> rows = collect(a);
  if (a.output.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& [server, r] : rows)
      out.push_back(
          {{"server", server},
           {"names", r.names},
           {"kind", r.kind},
           {"address", r.address},
           {"last_backup_at", r.last_at.empty() ? nullptr : nlohmann::ordered_json(r.last_at)},
           {"last_status", r.last_status.empty() ? nullptr : nlohmann::ordered_json(r.last_status)},
           {"last_database", r.last_database},
           {"last_verified_at",
            r.verified_at.empty() ? nullptr : nlohmann::ordered_json(r.verified_at)},
           {"last_verify_status",
            r.verify_status.empty() ? nullptr : nlohmann::ordered_json(r.verify_status)},
           {"snapshots", r.snapshots},
           {"size", r.size}});
    print_json(out);
    return 0;
  }
  fmt::print("{:<24} {:<12} {:<8} {:<22} {:<22} {:<12} {:<22} {:<8} {:>9} {:>10}\n", "SERVER",
             "NAME", "KIND", "ADDRESS", "LAST BACKUP", "STATUS", "LAST VERIFY", "VERIFIED",
             "SNAPSHOTS", "SIZE");
  for (const auto& [server, r] : rows)
    fmt::print("{:<24} {:<12} {:<8} {:<22} {:<22} {:<12} {:<22} {:<8} {:>9} {:>10}\n", server,
               r.names.empty() ? "-" : fmt::format("{}", fmt::join(r.names, ",")), r.kind,
               r.address, r.last_at.empty() ? "never" : r.last_at,
               r.last_status.empty() ? "-" : r.last_status,
               r.verified_at.empty() ? "never" : r.verified_at,
               r.verify_status.empty() ? "-" : r.verify_status, r.snapshots,
               human_bytes(static_cast<double>(r.size)));
  return 0;
}

}  // namespace

void add_servers_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<ServersArgs>();
  auto* cmd = app.add_subcommand(
      "servers", "each server: kind, address, last backup and status, snapshots, total size");
  cmd->add_option("volume", a->volumes,
                  "volumes to scan (default: the config file's volumes and jobs' volumes)");
  add_output_options(cmd, a->output);
  add_volume_options(cmd, a->volume_options);
  commands.emplace_back(cmd, [a] { return run_servers(*a); });
}

}  // namespace dbsnap::cli
