// dbsnap restore SNAPSHOT --to SERVER: a snapshot (or any .sql/.sql.gz/.sql.zst
// script) into a database, then its row counts against the manifest.
#include "engine/restore.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/snapshots.h"
#include "engine/verify.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/encryption.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/progress.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct RestoreArgs {
  std::string snapshot, to, database, identity;
  std::vector<std::string> tables;
  bool drop = false, clean = false, quiet = false, no_binlog = false;
  int jobs = 4;
  VolumeOptions volume;
  Output output;
};

// The --json document of a restore; tables only for a snapshot with a manifest.
nlohmann::ordered_json restore_json(const RestoreArgs& a, const std::string& target,
                                    std::uint64_t raw_bytes, double seconds) {
  return {{"snapshot", a.snapshot},
          {"target", target},
          {"raw_bytes", raw_bytes},
          {"seconds", seconds},
          {"jobs", a.jobs}};
}

int run_restore_cmd(const RestoreArgs& a) {
  if (a.drop && a.clean) throw Error(ExitCode::usage, "--drop and --clean exclude each other");
  ServerUrl url = resolve_server(a.to);
  if (a.no_binlog && url.kind == ServerKind::postgres)
    throw Error(ExitCode::usage,
                "--no-binlog is for MySQL and MariaDB targets: PostgreSQL has no binary log");
  LocatedSnapshot l = locate_snapshot(a.snapshot, a.volume);
  const bool quiet = a.quiet || a.output.json;
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
    std::string head = l.volume->read(l.script, 0, 4);
    auto decompressor =
        script_decompressor(a.snapshot, std::as_bytes(std::span(head.data(), head.size())));
    auto target = make_target(url, a.database, !a.no_binlog);
    if (!quiet)
      fmt::print(stderr,
                 "dbsnap: '{}' has no manifest: running it as one script, without row "
                 "counts to compare\n",
                 a.snapshot);
    std::uint64_t raw =
        restore_script(*target, *l.volume, l.script, std::move(decompressor), req.mode, nullptr);
    if (a.output.json) print_json(restore_json(a, target->describe(), raw, seconds_since(start)));
    if (!quiet)
      fmt::print("restored {} into {}: {} bytes of SQL in {:.1f}s\n", a.snapshot,
                 target->describe(), raw, seconds_since(start));
    return 0;
  }

  SnapshotKeys keys;
  Manifest m = load_manifest(*l.volume, l.manifest, keys);
  check_kind(m, url);
  std::unique_ptr<Volume> decrypting;
  Volume& reader = chunk_reader(*l.volume, m, a.snapshot,
                                a.identity.empty() ? l.identity : a.identity, decrypting);
  reader.read(keys.data, 0, 0);  // a wrong identity fails before the target is touched
  bool globals = is_globals(m);
  auto target = globals ? make_globals_target(url, a.database)
                        : make_target(url,
                                      !a.database.empty()     ? a.database
                                      : !url.database.empty() ? url.database
                                                              : m.database,
                                      !a.no_binlog);
  RestoreProgress progress;
  RestoreReport r;
  {
    std::unique_ptr<ProgressLine> line;
    if (!quiet)
      line = std::make_unique<ProgressLine>([&progress](double s) {
        auto raw = static_cast<double>(progress.raw_bytes.load());
        return fmt::format("restore: {} SQL, {} rows, {}/s, {}/{} chunks{}", human_bytes(raw),
                           progress.rows.load(), human_bytes(s > 0 ? raw / s : 0),
                           progress.chunks_done.load(), progress.chunks_total.load(),
                           eta(s, progress.chunks_done, progress.chunks_total));
      });
    r = restore_snapshot(*target, reader, keys, m, chunk_decompressors(m.codec), req, &progress);
  }
  if (a.output.json) {
    report_counts(r, true);  // a mismatch: exit 40, no document
    auto j = restore_json(a, target->describe(), r.raw_bytes, seconds_since(start));
    if (globals)
      j["globals"] = true;
    else
      j["tables"] = counts_json(r);
    print_json(j);
    return 0;
  }
  if (globals) {
    if (!a.quiet)
      fmt::print("restored the roles and tablespaces of {} into {}: {} bytes of SQL in {:.1f}s\n",
                 a.snapshot, target->describe(), r.raw_bytes, seconds_since(start));
    return 0;
  }
  report_restored("restored " + a.snapshot, target->describe(), r, seconds_since(start), a.jobs,
                  a.quiet);
  return 0;
}

}  // namespace

void add_restore_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<RestoreArgs>();
  auto& r = *a;
  auto* restore = app.add_subcommand(
      "restore",
      "restore a snapshot (or any .sql/.sql.gz/.sql.zst script) into a database, then compare row "
      "counts; a globals snapshot (backup --globals) restores into the server: roles that "
      "exist are kept and get the snapshot's attributes, password, settings and memberships");
  restore
      ->add_option(
          "snapshot", r.snapshot,
          "<stem>.manifest.json, <stem>.sql.gz, the stem, or a foreign .sql/.sql.gz/.sql.zst")
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
  restore->add_flag("--no-binlog", r.no_binlog,
                    "MySQL/MariaDB: do not write the restore to the binary log (SET sql_log_bin "
                    "= 0, as myloader does by default; needs SUPER or BINLOG ADMIN; replicas "
                    "will not get it)");
  restore->add_option("--jobs,-j", r.jobs, "parallel connections for the data and index builds")
      ->check(CLI::Range(1, 256));
  add_identity_option(restore, r.identity);
  restore->add_flag("--quiet,-q", r.quiet, "print nothing but errors");
  add_output_options(restore, r.output);
  add_volume_options(restore, r.volume);
  commands.emplace_back(restore, [a] { return run_restore_cmd(*a); });
}

}  // namespace dbsnap::cli
