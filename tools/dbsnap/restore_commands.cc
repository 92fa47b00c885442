#include "tools/dbsnap/restore_commands.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <string>

#include "compress/gunzip.h"
#include "engine/error.h"
#include "engine/restore.h"
#include "engine/verify.h"
#include "protocols/mysql/restore.h"
#include "protocols/postgres/restore.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

constexpr std::string_view kManifestSuffix = ".manifest.json";
constexpr std::string_view kDataSuffix = ".sql.gz";

// Where a SNAPSHOT argument points: a volume on its directory and the keys in it.
struct Located {
  std::unique_ptr<Volume> volume;
  std::string manifest;  // key of the manifest; empty for a script without one
  std::string script;    // key of the script when there is no manifest
  std::string shown;     // the argument, for messages
};

// SNAPSHOT is dir/<stem>.manifest.json, dir/<stem>.sql.gz, dir/<stem>, or any
// .sql / .sql.gz file. A .sql.gz with a manifest beside it is that snapshot.
Located locate(const std::string& arg, const VolumeOptions& options) {
  auto slash = arg.rfind('/');
  bool s3 = arg.rfind("s3://", 0) == 0;
  if (s3 && (slash == std::string::npos || slash < 5))
    throw Error(ExitCode::usage,
                fmt::format("'{}' names no snapshot: use s3://bucket/prefix/<stem>", arg));
  std::string dir = slash == std::string::npos ? "." : arg.substr(0, slash);
  if (dir.empty()) dir = "/";
  std::string name = slash == std::string::npos ? arg : arg.substr(slash + 1);
  Located l{open_volume(dir, options), "", "", arg};
  auto exists = [&](const std::string& file) { return volume_has(*l.volume, file); };
  if (name.ends_with(kManifestSuffix)) {
    l.manifest = name;
    return l;
  }
  std::string stem =
      name.ends_with(kDataSuffix) ? name.substr(0, name.size() - kDataSuffix.size()) : name;
  if (exists(stem + std::string(kManifestSuffix))) {
    l.manifest = stem + std::string(kManifestSuffix);
    return l;
  }
  if (name.ends_with(".sql") || name.ends_with(".gz")) {
    if (!exists(name)) throw Error(ExitCode::io_error, fmt::format("no file at '{}'", arg));
    l.script = name;
    return l;
  }
  if (exists(stem + std::string(kDataSuffix)))
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' has no manifest: '{}{}' is missing; without it the "
                            "snapshot cannot be checked or restored in parallel (give the .sql.gz "
                            "file itself to restore it as a plain script)",
                            arg, arg, kManifestSuffix));
  throw Error(ExitCode::io_error, fmt::format("no snapshot at '{}': expected '{}{}' or a .sql or "
                                              ".sql.gz file",
                                              arg, arg, kManifestSuffix));
}

std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_restore_target(url, database);
  return mysql::make_my_restore_target(url, database);
}

// A snapshot of one server kind restores into the same kind (MySQL and
// MariaDB count as one).
void check_kind(const Manifest& m, const ServerUrl& url) {
  bool source_pg = m.server_kind == "postgres";
  if (source_pg != (url.kind == ServerKind::postgres))
    throw Error(ExitCode::usage, fmt::format("a {} snapshot cannot be restored into {} ({})",
                                             m.server_kind, url.kind_name(), url.masked()));
}

DecompressorFactory gzip_chunks() {
  return [] { return std::make_unique<GzipChunkDecompressor>(); };
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Prints the row counts; throws verify_failed if any differs from the manifest.
void report_counts(const RestoreReport& r, bool quiet) {
  std::vector<std::string> differ;
  for (const auto& c : r.counts) {
    bool ok = c.expected == c.actual;
    if (!ok)
      differ.push_back(
          fmt::format("{} has {} rows, the manifest says {}", c.table, c.actual, c.expected));
    if (!quiet || !ok)
      fmt::print(ok ? stdout : stderr, "  {:<40} {:>12} rows  {}\n", c.table, c.actual,
                 ok ? "ok" : fmt::format("MISMATCH (manifest: {})", c.expected));
  }
  if (!differ.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("row counts differ from the manifest for {} table{}: {}", differ.size(),
                            differ.size() == 1 ? "" : "s", fmt::join(differ, "; ")));
}

// ---- restore -------------------------------------------------------------

struct RestoreArgs {
  std::string snapshot, to, database;
  std::vector<std::string> tables;
  bool drop = false, clean = false, quiet = false;
  int jobs = 4;
  VolumeOptions volume;
};

int run_restore_cmd(const RestoreArgs& a) {
  if (a.drop && a.clean) throw Error(ExitCode::usage, "--drop and --clean exclude each other");
  ServerUrl url = resolve_server(a.to);
  Located l = locate(a.snapshot, a.volume);
  RestoreRequest req;
  req.mode = a.drop ? PrepareMode::drop : a.clean ? PrepareMode::clean : PrepareMode::create;
  req.jobs = a.jobs;
  req.tables = a.tables;
  auto start = std::chrono::steady_clock::now();

  if (l.manifest.empty()) {
    if (!a.tables.empty())
      throw Error(ExitCode::usage, fmt::format("--tables needs a dbsnap snapshot with its "
                                               "manifest; '{}' is a plain script",
                                               a.snapshot));
    // Checked before the target is touched: a .gz that is not gzip creates nothing.
    std::string head = l.volume->read(l.script, 0, 2);
    bool gzipped = looks_gzipped(std::as_bytes(std::span(head.data(), head.size())));
    if (!gzipped && l.script.ends_with(".gz"))
      throw Error(ExitCode::verify_failed,
                  fmt::format("'{}' is not a gzip file (it does not start with the gzip magic "
                              "bytes 1f 8b); nothing was restored",
                              a.snapshot));
    auto target = make_target(url, a.database);
    std::unique_ptr<StreamDecompressor> gunzip;
    if (gzipped) gunzip = std::make_unique<GunzipStream>();
    if (!a.quiet)
      fmt::print(stderr,
                 "dbsnap: '{}' has no manifest: running it as one script, without row "
                 "counts to compare\n",
                 a.snapshot);
    std::uint64_t raw =
        restore_script(*target, *l.volume, l.script, std::move(gunzip), req.mode, nullptr);
    if (!a.quiet)
      fmt::print("restored {} into {}: {} bytes of SQL in {:.1f}s\n", a.snapshot,
                 target->describe(), raw, seconds_since(start));
    return 0;
  }

  SnapshotKeys keys;
  Manifest m = load_manifest(*l.volume, l.manifest, keys);
  check_kind(m, url);
  auto target = make_target(url, !a.database.empty()     ? a.database
                                 : !url.database.empty() ? url.database
                                                         : m.database);
  RestoreProgress progress;
  RestoreReport r;
  {
    std::unique_ptr<ProgressLine> line;
    if (!a.quiet)
      line = std::make_unique<ProgressLine>([&progress](double s) {
        auto raw = static_cast<double>(progress.raw_bytes.load());
        return fmt::format("restore: {} SQL, {} rows, {}/s, {}/{} chunks{}", human_bytes(raw),
                           progress.rows.load(), human_bytes(s > 0 ? raw / s : 0),
                           progress.chunks_done.load(), progress.chunks_total.load(),
                           eta(s, progress.chunks_done, progress.chunks_total));
      });
    r = restore_snapshot(*target, *l.volume, keys, m, gzip_chunks(), req, &progress);
  }
  std::uint64_t rows = 0;
  for (const auto& c : r.counts) rows += c.actual;
  if (!a.quiet)
    fmt::print("restored {} into {}: {} tables, {} rows, {} bytes of SQL in {:.1f}s ({} jobs)\n",
               a.snapshot, target->describe(), r.counts.size(), rows, r.raw_bytes,
               seconds_since(start), a.jobs);
  report_counts(r, a.quiet);
  return 0;
}

// ---- verify --------------------------------------------------------------

struct VerifyArgs {
  std::string snapshot, restore_into;
  int jobs = 4;
  bool quiet = false;
  VolumeOptions volume;
};

// "dbsnap_verify_3f9a1c0b": a database name nobody else uses.
std::string scratch_database_name() {
  std::random_device rd;
  return fmt::format("dbsnap_verify_{:08x}", rd());
}

int run_verify_cmd(const VerifyArgs& a) {
  Located l = locate(a.snapshot, a.volume);
  if (l.manifest.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("'{}' has no manifest beside it: verify checks dbsnap snapshots "
                            "(<stem>.manifest.json + <stem>.sql.gz); for a plain gzip file use "
                            "gzip -t",
                            a.snapshot));
  GzipChunkDecompressor decompressor;
  VerifyReport v = verify_snapshot(*l.volume, l.manifest, decompressor);
  for (const auto& p : v.problems) fmt::print(stderr, "dbsnap: {}\n", p);
  if (!v.problems.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' is damaged: {} problem{} found", a.snapshot,
                            v.problems.size(), v.problems.size() == 1 ? "" : "s"));
  if (!a.quiet)
    fmt::print(
        "{}: ok: {} chunks, {} bytes stored, {} bytes of SQL, {} rows; sha256 and every "
        "chunk's crc32 match\n",
        a.snapshot, v.chunks, v.stored_bytes, v.raw_bytes, v.rows);
  if (a.restore_into.empty()) return 0;

  ServerUrl url = resolve_server(a.restore_into);
  SnapshotKeys keys;
  Manifest m = load_manifest(*l.volume, l.manifest, keys);
  check_kind(m, url);
  auto target = make_target(url, scratch_database_name());
  RestoreRequest req;
  req.jobs = a.jobs;
  auto start = std::chrono::steady_clock::now();
  RestoreReport r;
  try {
    r = restore_snapshot(*target, *l.volume, keys, m, gzip_chunks(), req, nullptr);
  } catch (...) {
    target->drop_database();
    throw;
  }
  target->drop_database();
  if (!a.quiet)
    fmt::print("{}: restored into scratch database {} and dropped it: {} tables in {:.1f}s\n",
               a.snapshot, target->describe(), r.counts.size(), seconds_since(start));
  report_counts(r, a.quiet);
  return 0;
}

}  // namespace

void register_restore_commands(CLI::App& app,
                               std::vector<std::pair<CLI::App*, std::function<int()>>>& commands) {
  static RestoreArgs restore_args;
  static VerifyArgs verify_args;

  auto* restore = app.add_subcommand("restore",
                                     "restore a snapshot (or any .sql/.sql.gz script) "
                                     "into a database, then compare row counts");
  auto& r = restore_args;
  restore
      ->add_option("snapshot", r.snapshot,
                   "<stem>.manifest.json, <stem>.sql.gz, the stem, or a foreign .sql/.sql.gz")
      ->required();
  restore
      ->add_option("--to", r.to, "server URL, e.g. postgres://user@host:5432/db, or a config name")
      ->required();
  restore->add_option("--database,-d", r.database,
                      "target database (default: the URL's, else the snapshot's)");
  restore->add_option("--tables,-t", r.tables, "restore only these tables' data (film,actor)")
      ->delimiter(',');
  restore->add_flag("--drop", r.drop, "drop and recreate the target database first");
  restore->add_flag("--clean", r.clean, "drop every object in the target database first");
  restore->add_option("--jobs,-j", r.jobs, "parallel connections for the data and index builds")
      ->check(CLI::Range(1, 256));
  restore->add_flag("--quiet,-q", r.quiet, "print nothing but errors");
  add_volume_options(restore, r.volume);
  commands.emplace_back(restore, [] { return run_restore_cmd(restore_args); });

  auto* verify = app.add_subcommand(
      "verify", "check a snapshot's sha256, chunk crc32s and gzip members without a server");
  auto& v = verify_args;
  verify->add_option("snapshot", v.snapshot, "<stem>.manifest.json, <stem>.sql.gz or the stem")
      ->required();
  verify->add_option("--restore-into", v.restore_into,
                     "also restore into a scratch database on this server (URL or config "
                     "name), compare row counts and drop it");
  verify->add_option("--jobs,-j", v.jobs, "parallel connections for --restore-into")
      ->check(CLI::Range(1, 256));
  verify->add_flag("--quiet,-q", v.quiet, "print nothing but errors");
  add_volume_options(verify, v.volume);
  commands.emplace_back(verify, [] { return run_verify_cmd(verify_args); });
}

}  // namespace dbsnap::cli
