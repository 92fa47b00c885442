#include "tools/dbsnap/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <thread>

#include "compress/gzip.h"
#include "engine/backup.h"
#include "engine/error.h"
#include "engine/manifest.h"
#include "protocols/mysql/driver.h"
#include "protocols/postgres/driver.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/restore_commands.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

std::unique_ptr<Driver> driver_for(const ServerUrl& url) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_driver();
  return mysql::make_mysql_driver();
}

// "64MiB", "4M", "1048576" -> bytes.
std::size_t parse_size(const std::string& text) {
  std::size_t pos = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &pos);
  } catch (...) {
    throw Error(ExitCode::usage, fmt::format("size '{}' is not a number like 64MiB", text));
  }
  std::string unit = text.substr(pos);
  static const std::map<std::string, unsigned long long> units = {
      {"", 1},           {"B", 1},
      {"K", 1ull << 10}, {"KiB", 1ull << 10},
      {"M", 1ull << 20}, {"MiB", 1ull << 20},
      {"G", 1ull << 30}, {"GiB", 1ull << 30}};
  auto it = units.find(unit);
  if (it == units.end())
    throw Error(ExitCode::usage,
                fmt::format("size '{}' has unknown unit; use B, KiB, MiB or GiB", text));
  return static_cast<std::size_t>(n * it->second);
}

int parse_level(const std::string& text) {
  if (text == "fast") return 1;
  if (text == "default") return kDefaultCompressLevel;
  if (text == "best") return kMaxCompressLevel;
  std::size_t pos = 0;
  int level = -1;
  try {
    level = std::stoi(text, &pos);
  } catch (...) {
  }
  if (pos != text.size() || level < kMinCompressLevel || level > kMaxCompressLevel)
    throw Error(ExitCode::usage,
                fmt::format("--compress '{}' is not 0..12, fast, default or best", text));
  return level;
}

// ---- ping ----------------------------------------------------------------

struct PingArgs {
  std::string server;
  VolumeOptions volume;
};

// What went wrong in the first request to a volume: the credentials (or the
// key's rights), the bucket, or reaching the endpoint at all.
std::string_view first_request_step(const Error& e) {
  if (e.code() == ExitCode::access_denied) return "credentials";
  if (e.code() == ExitCode::io_error) return "bucket";
  return "connection";
}

// Checks an s3:// volume the way a backup uses it: a listing (credentials and
// bucket), a small probe object written under the prefix and read back, then
// removed. Prints one line per step; the first failure prints "<step>: FAILED"
// and rethrows its classified error, whose message says what to fix.
int ping_volume(const std::string& spec, const VolumeOptions& options) {
  auto volume = open_volume(spec, options);  // resolves credentials, sends nothing
  fmt::print("{}\n", volume->describe());
  std::random_device random;
  const std::string probe = fmt::format(".dbsnap-ping-{:08x}{:08x}", random(), random());
  const std::string content = fmt::format("dbsnap ping probe {}\n", probe);
  auto failed = [](std::string_view step) {
    fmt::print("  {}: FAILED\n", step);
    std::fflush(stdout);
  };
  try {
    volume->list(probe);  // a prefix that matches at most the probe: one short page
  } catch (const Error& e) {
    std::string_view step = first_request_step(e);
    if (step == "bucket") fmt::print("  credentials: ok\n");
    failed(step);
    throw;
  }
  fmt::print("  credentials: ok\n  bucket: ok\n");
  try {
    volume->put(probe, content);
  } catch (const Error& e) {
    failed("write");
    throw Error(e.code(), fmt::format("cannot write to {}: {}", volume->describe(), e.what()));
  }
  fmt::print("  write: ok\n");
  std::string back;
  try {
    back = volume->get(probe);
  } catch (const Error& e) {
    failed("read");
    try {
      volume->remove(probe);
    } catch (const Error&) {
    }
    throw Error(e.code(),
                fmt::format("cannot read back from {}: {}", volume->describe(), e.what()));
  }
  if (back != content) {
    failed("read");
    try {
      volume->remove(probe);
    } catch (const Error&) {
    }
    throw Error(ExitCode::io_error,
                fmt::format("{} returned {} bytes for the probe object {} instead of the {} "
                            "written: check the endpoint (a proxy or gateway alters objects)",
                            volume->describe(), back.size(), probe, content.size()));
  }
  fmt::print("  read: ok\n");
  try {
    volume->remove(probe);
  } catch (const Error& e) {
    failed("remove");
    throw Error(e.code(), fmt::format("cannot remove the probe object {} from {}: {} (grant "
                                      "s3:DeleteObject, or remove it yourself)",
                                      probe, volume->describe(), e.what()));
  }
  fmt::print("  remove: ok\n");
  return 0;
}

int run_ping(const PingArgs& a) {
  if (a.server.starts_with("s3://")) return ping_volume(a.server, a.volume);
  if (is_volume_name(a.server)) {
    VolumeOptions options = a.volume;
    std::string spec = resolve_volume(a.server, options);
    if (spec.starts_with("s3://")) return ping_volume(spec, options);
    throw Error(ExitCode::usage,
                fmt::format("'{}' is a local volume ({}): ping checks servers and s3:// volumes",
                            a.server, spec));
  }
  if (!a.volume.endpoint.empty() || !a.volume.region.empty())
    throw Error(ExitCode::usage, "--endpoint and --region apply to s3:// volumes only");
  ServerUrl url = resolve_server(a.server);
  PingReport r = driver_for(url)->ping(url);
  fmt::print("{}: {} {}, user {}\n", url.masked(), r.server.kind, r.server.version, r.user);
  fmt::print("  backup:  {}\n", r.can_backup ? "yes" : "no");
  fmt::print("  restore: {}\n", r.can_restore ? "yes" : "no");
  for (const auto& n : r.notes) fmt::print("  note: {}\n", n);
  return 0;
}

// ---- backup --------------------------------------------------------------

struct BackupArgs {
  std::string server, database, to, compress = "default", chunk_size = "4MiB";
  int jobs = 4;
  bool no_owner = false, no_privileges = false, no_sandbox = false, no_large_objects = false,
       quiet = false;
  int lock_wait_timeout = 60;
  std::string net_buffer_length = "1MiB";
  VolumeOptions volume;
};

int run_backup_cmd(const BackupArgs& a) {
  ServerUrl url = resolve_server(a.server);
  if (!a.database.empty()) url.database = a.database;
  BackupRequest req;
  req.jobs = a.jobs;
  req.compress_level = parse_level(a.compress);
  req.chunk_bytes = parse_size(a.chunk_size);
  if (req.chunk_bytes < 4096) throw Error(ExitCode::usage, "--chunk-size must be at least 4KiB");
  req.dump.no_owner = a.no_owner;
  req.dump.no_privileges = a.no_privileges;
  req.dump.no_sandbox = a.no_sandbox;
  req.dump.no_large_objects = a.no_large_objects;
  req.dump.lock_wait_timeout_s = a.lock_wait_timeout;
  req.dump.net_buffer_length = parse_size(a.net_buffer_length);
  auto driver = driver_for(url);
  VolumeOptions volume_options = a.volume;
  std::string to = resolve_volume(a.to, volume_options);
  auto volume = open_volume(to, volume_options);
  CompressorFactory compressors = [level = req.compress_level] {
    return std::make_unique<GzipCompressor>(level);
  };

  std::vector<std::string> databases;
  if (url.database.empty()) {
    databases = driver->databases(url);
    if (databases.empty())
      throw Error(ExitCode::database_missing,
                  fmt::format("{} has no user databases to back up", url.masked()));
  } else {
    databases.push_back(url.database);
  }
  for (const auto& db : databases) {
    req.url = url;
    req.url.database = db;
    BackupProgress progress;
    auto start = std::chrono::steady_clock::now();
    BackupResult r;
    {
      std::unique_ptr<ProgressLine> line;
      if (!a.quiet)
        line = std::make_unique<ProgressLine>([&progress, &db](double s) {
          auto raw = static_cast<double>(progress.raw_bytes.load());
          return fmt::format(
              "{}: {} SQL -> {} stored, {} rows, {}/s, {}/{} items{}", db, human_bytes(raw),
              human_bytes(static_cast<double>(progress.stored_bytes.load())), progress.rows.load(),
              human_bytes(s > 0 ? raw / s : 0), progress.items_done.load(),
              progress.items_total.load(), eta(s, progress.items_done, progress.items_total));
        });
      r = run_backup(*driver, *volume, compressors, req, &progress);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uint64_t rows = 0, raw = 0;
    for (const auto& [t, n] : r.manifest.tables) rows += n;
    for (const auto& c : r.manifest.chunks) raw += c.raw_bytes;
    if (!a.quiet)
      fmt::print("{}/{}: {} tables, {} rows, {} SQL -> {} in {:.1f}s ({}/s)\n", volume->describe(),
                 r.data_key, r.manifest.tables.size(), rows, human_bytes(static_cast<double>(raw)),
                 human_bytes(static_cast<double>(r.manifest.size)), s,
                 human_bytes(s > 0 ? raw / s : 0));
  }
  return 0;
}

// ---- snapshots -----------------------------------------------------------

struct SnapshotsArgs {
  std::string volume = ".";
  std::string server;
  bool json = false;
  VolumeOptions volume_options;
};

int run_snapshots(const SnapshotsArgs& a) {
  VolumeOptions volume_options = a.volume_options;
  std::string spec = resolve_volume(a.volume, volume_options);
  auto volume = open_volume(spec, volume_options);
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
  if (a.json) {
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
    fmt::print("{}\n", out.dump(1));
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

struct Registry {
  PingArgs ping;
  BackupArgs backup;
  SnapshotsArgs snapshots;
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_commands(CLI::App& app) {
  Registry& r = registry();

  auto* ping = app.add_subcommand(
      "ping",
      "test a connection and the user's backup/restore rights, or an s3:// volume's "
      "credentials, bucket, write and read");
  ping->add_option("server", r.ping.server,
                   "server URL, e.g. postgres://user@host:5432/db, a server name from the "
                   "config file, or an s3:// volume (URL or name)")
      ->required();
  add_volume_options(ping, r.ping.volume);
  r.commands.emplace_back(ping, [&r] { return run_ping(r.ping); });

  auto* backup =
      app.add_subcommand("backup", "back up one database (or every database) to a volume");
  auto& b = r.backup;
  backup
      ->add_option("server", b.server,
                   "server URL or config name; without a database, every user database")
      ->required();
  backup->add_option("--database,-d", b.database, "database to back up (overrides the URL's)");
  backup->add_option("--to", b.to, "volume: a local directory, s3://bucket/prefix or a config name")
      ->required();
  backup->add_option("--jobs,-j", b.jobs, "parallel connections")->check(CLI::Range(1, 256));
  backup->add_option("--compress", b.compress, "gzip level 0..12, fast, default (6) or best");
  backup->add_option("--chunk-size", b.chunk_size, "SQL text per data chunk, e.g. 4MiB");
  backup->add_flag("--no-owner", b.no_owner, "do not emit ownership (as pg_dump --no-owner)");
  backup->add_flag("--no-privileges", b.no_privileges, "do not emit GRANT/REVOKE");
  backup->add_flag("--no-large-objects", b.no_large_objects,
                   "PostgreSQL: leave large objects out (as pg_dump --no-blobs)");
  backup->add_flag("--no-sandbox", b.no_sandbox,
                   "MariaDB: omit the sandbox line (for mariadb clients older than 10.5.25)");
  backup->add_option("--lock-wait-timeout", b.lock_wait_timeout,
                     "seconds to wait for table/global locks before failing");
  backup->add_option("--net-buffer-length", b.net_buffer_length,
                     "MySQL: maximum bytes of one extended INSERT (as mysqldump)");
  backup->add_flag("--quiet,-q", b.quiet, "print nothing but errors");
  add_volume_options(backup, b.volume);
  r.commands.emplace_back(backup, [&r] { return run_backup_cmd(r.backup); });

  auto* snaps = app.add_subcommand("snapshots", "list the snapshots in a volume, newest first");
  snaps->add_option("volume", r.snapshots.volume,
                    "volume: a local directory, s3://bucket/prefix or a config name");
  snaps->add_option("--server", r.snapshots.server,
                    "only this server (host-port or a config name)");
  snaps->add_flag("--json", r.snapshots.json, "machine-readable output");
  add_volume_options(snaps, r.snapshots.volume_options);
  r.commands.emplace_back(snaps, [&r] { return run_snapshots(r.snapshots); });
  register_restore_commands(app, r.commands);
  // --config is the app's; let it follow the subcommand too (dbsnap ping prod --config F).
  add_config_option(app);
  for (auto& [cmd, run] : r.commands) cmd->fallthrough();
}

int run_selected(CLI::App&) {
  load_config();
  for (auto& [cmd, run] : registry().commands)
    if (cmd->parsed()) return run();
  throw Error(ExitCode::usage, "no command given; see dbsnap --help");
}

}  // namespace dbsnap::cli
