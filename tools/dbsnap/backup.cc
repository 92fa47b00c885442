// dbsnap backup SERVER --to VOLUME: one database, or every user database.
#include "tools/dbsnap/backup.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/name_pattern.h"
#include "engine/snapshots.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/encryption.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {

BackupResult backup_database(Driver& driver, Volume& volume, const BackupRequest& req, bool quiet) {
  CompressorFactory compressors = compressors_for({req.codec, req.compress_level});
  const std::string db = req.dump.globals ? std::string(kGlobalsDirectory) : req.url.database;
  BackupProgress progress;
  auto start = std::chrono::steady_clock::now();
  BackupResult r;
  {
    std::unique_ptr<ProgressLine> line;
    if (!quiet)
      line = std::make_unique<ProgressLine>([&progress, &db](double s) {
        auto raw = static_cast<double>(progress.raw_bytes.load());
        return fmt::format(
            "{}: {} SQL -> {} stored, {} rows, {}/s, {}/{} items{}", db, human_bytes(raw),
            human_bytes(static_cast<double>(progress.stored_bytes.load())), progress.rows.load(),
            human_bytes(s > 0 ? raw / s : 0), progress.items_done.load(),
            progress.items_total.load(), eta(s, progress.items_done, progress.items_total));
      });
    r = run_backup(driver, volume, compressors, req, &progress);
  }
  double s = seconds_since(start);
  std::uint64_t rows = 0, raw = 0;
  for (const auto& [t, n] : r.manifest.tables) rows += n;
  for (const auto& c : r.manifest.chunks) raw += c.raw_bytes;
  if (!quiet)
    fmt::print("{}/{}: {} tables, {} rows, {} SQL -> {} in {:.1f}s ({}/s)\n", volume.describe(),
               r.data_key, r.manifest.tables.size(), rows, human_bytes(static_cast<double>(raw)),
               human_bytes(static_cast<double>(r.manifest.size)), s,
               human_bytes(s > 0 ? raw / s : 0));
  return r;
}

namespace {

// "64MiB", "4M", "1048576" -> bytes.
std::size_t parse_size(const std::string& text) {
  const char* end = text.data() + text.size();
  unsigned long long n = 0;
  auto [unit_start, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || unit_start == text.data())
    throw Error(ExitCode::usage, fmt::format("size '{}' is not a number like 64MiB", text));
  std::string unit(unit_start, end);
  static const std::map<std::string, unsigned long long> units = {
      {"", 1},           {"B", 1},
      {"K", 1ull << 10}, {"KiB", 1ull << 10},
      {"M", 1ull << 20}, {"MiB", 1ull << 20},
      {"G", 1ull << 30}, {"GiB", 1ull << 30}};
  auto it = units.find(unit);
  if (it == units.end())
    throw Error(ExitCode::usage,
                fmt::format("size '{}' has unknown unit; use B, KiB, MiB or GiB", text));
  if (n > std::numeric_limits<std::size_t>::max() / it->second)
    throw Error(ExitCode::usage, fmt::format("size '{}' is too large", text));
  return static_cast<std::size_t>(n * it->second);
}

struct BackupArgs {
  std::string server, database, to, compress = "default", chunk_size = "4MiB";
  int jobs = 4;
  bool no_owner = false, no_privileges = false, no_sandbox = false, no_large_objects = false,
       create = false, globals = false, quiet = false;
  int lock_wait_timeout = 60;
  std::string net_buffer_length = "1MiB";
  std::vector<std::string> exclude_databases, tables, exclude_tables;
  VolumeOptions volume;
  EncryptOptions encrypt;
  Output output;
};

// One snapshot a backup made, for --json.
nlohmann::ordered_json snapshot_json(const BackupResult& r) {
  const Manifest& m = r.manifest;
  std::uint64_t rows = 0, raw = 0;
  for (const auto& [t, n] : m.tables) rows += n;
  for (const auto& c : m.chunks) raw += c.raw_bytes;
  return {{"server", m.server_name}, {"database", m.database},    {"manifest", r.manifest_key},
          {"data", r.data_key},      {"tables", m.tables.size()}, {"rows", rows},
          {"raw_bytes", raw},        {"stored_bytes", m.size}};
}

int run_backup_cmd(const BackupArgs& a) {
  ServerUrl url = resolve_server(a.server);
  if (!a.database.empty()) url.database = a.database;
  BackupRequest req;
  req.jobs = a.jobs;
  try {
    Compression c = parse_compression(a.compress);
    req.codec = c.codec;
    req.compress_level = c.level;
  } catch (const Error& e) {
    throw Error(ExitCode::usage, fmt::format("--compress {}", e.what()));
  }
  req.chunk_bytes = parse_size(a.chunk_size);
  if (req.chunk_bytes < 4096) throw Error(ExitCode::usage, "--chunk-size must be at least 4KiB");
  req.dump.no_owner = a.no_owner;
  req.dump.no_privileges = a.no_privileges;
  req.dump.no_sandbox = a.no_sandbox;
  req.dump.no_large_objects = a.no_large_objects;
  req.dump.create = a.create;
  req.dump.lock_wait_timeout_s = a.lock_wait_timeout;
  req.dump.net_buffer_length = parse_size(a.net_buffer_length);
  req.dump.globals = a.globals;
  req.dump.tables = TableFilter::of(a.tables, a.exclude_tables, pattern_dialect(url.kind));
  if (a.globals && (a.create || !a.exclude_databases.empty() || !req.dump.tables.empty()))
    throw Error(ExitCode::usage,
                "--globals backs up no database: it takes no --create, --exclude-database, "
                "--tables or --exclude-table");
  VolumeOptions volume_options = a.volume;
  std::string volume_spec = resolve_volume(a.to, volume_options);
  EncryptOptions encrypt = a.encrypt;
  if (encrypt.empty()) encrypt = encrypt_options_from(volume_options.encrypt_to);  // [volumes]
  req.encrypt = encrypter_for(encrypt);
  auto driver = driver_for(url);
  auto volume = open_volume(volume_spec, volume_options);
  const bool quiet = a.quiet || a.output.json;
  nlohmann::ordered_json made = nlohmann::ordered_json::array();
  if (a.globals) {
    req.url = url;
    made.push_back(snapshot_json(backup_database(*driver, *volume, req, quiet)));
  } else {
    for (const auto& db : select_databases(*driver, url, a.exclude_databases)) {
      req.url = url;
      req.url.database = db;
      made.push_back(snapshot_json(backup_database(*driver, *volume, req, quiet)));
    }
  }
  if (a.output.json) print_json(made);
  return 0;
}

}  // namespace

void add_backup_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<BackupArgs>();
  auto& b = *a;
  auto* backup =
      app.add_subcommand("backup", "back up one database (or every database) to a volume");
  backup
      ->add_option("server", b.server,
                   "server URL or config name; without a database, every user database")
      ->required();
  backup->add_option("--database,-d", b.database, "database to back up (overrides the URL's)");
  backup->add_option("--exclude-database", b.exclude_databases,
                     "without a database: skip databases matching this pattern (repeatable; "
                     "pg_dump's rules)");
  backup->add_option("--tables,-t", b.tables,
                     "only tables, views, sequences matching this pattern, with their indexes, "
                     "constraints, triggers... (repeatable; pg_dump -t)");
  backup->add_option("--exclude-table,-T", b.exclude_tables,
                     "leave out tables, views, sequences matching this pattern (repeatable; "
                     "pg_dump -T)");
  backup->add_option("--to", b.to, "volume: a local directory, s3://bucket/prefix or a config name")
      ->required();
  backup->add_option("--jobs,-j", b.jobs, "parallel connections")->check(CLI::Range(1, 256));
  backup->add_option("--compress", b.compress,
                     "gzip level 0..12, fast, default (7) or best; or zstd[:LEVEL], 1..19 "
                     "(default 1), written as <stem>.sql.zst");
  backup->add_option("--chunk-size", b.chunk_size, "SQL text per data chunk, e.g. 4MiB");
  backup->add_flag("--no-owner", b.no_owner, "do not emit ownership (as pg_dump --no-owner)");
  backup->add_flag("--no-privileges", b.no_privileges, "do not emit GRANT/REVOKE");
  backup->add_flag("--no-large-objects", b.no_large_objects,
                   "PostgreSQL: leave large objects out (as pg_dump --no-blobs)");
  backup->add_flag("--create", b.create,
                   "PostgreSQL: the script creates the database and connects to it (as pg_dump "
                   "--create)");
  backup->add_flag("--globals", b.globals,
                   "PostgreSQL: the server's roles (attributes, passwords if a superuser runs "
                   "it, settings, memberships) and tablespaces instead of a database, as "
                   "pg_dumpall --globals-only; filed under <server>/globals/");
  backup->add_flag("--no-sandbox", b.no_sandbox,
                   "MariaDB: omit the sandbox line (for mariadb clients older than 10.5.25)");
  backup->add_option("--lock-wait-timeout", b.lock_wait_timeout,
                     "seconds to wait for table/global locks before failing");
  backup->add_option("--net-buffer-length", b.net_buffer_length,
                     "MySQL: maximum bytes of one extended INSERT (as mysqldump)");
  backup->add_flag("--quiet,-q", b.quiet, "print nothing but errors");
  add_output_options(backup, b.output);
  add_volume_options(backup, b.volume);
  add_encrypt_options(backup, b.encrypt);
  commands.emplace_back(backup, [a] { return run_backup_cmd(*a); });
}

}  // namespace dbsnap::cli
