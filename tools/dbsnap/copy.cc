// dbsnap copy SOURCE TARGET: one database copied straight into another
// database or server, inside one snapshot of the source, no file in between.
#include "engine/copy.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/name_pattern.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/progress.h"

namespace dbsnap::cli {
namespace {

struct CopyArgs {
  std::string source, target, database;
  std::vector<std::string> tables, exclude_tables;
  bool drop = false, clean = false, no_owner = false, no_privileges = false, no_binlog = false,
       quiet = false;
  int jobs = 4;
  Output output;
};

// The request for a, checked: the source names a database, the target is of
// the same kind and is not the source itself.
CopyRequest copy_request(const CopyArgs& a, const ServerUrl& source, const ServerUrl& target) {
  if (a.drop && a.clean) throw Error(ExitCode::usage, "--drop and --clean exclude each other");
  if ((source.kind == ServerKind::postgres) != (target.kind == ServerKind::postgres))
    throw Error(ExitCode::usage, fmt::format("cannot copy {} into {}: both must be PostgreSQL, or "
                                             "both MySQL/MariaDB",
                                             source.masked(), target.masked()));
  if (a.no_binlog && target.kind == ServerKind::postgres)
    throw Error(ExitCode::usage,
                "--no-binlog is for MySQL and MariaDB targets: PostgreSQL has no binary log");
  if (source.database.empty())
    throw Error(ExitCode::usage, fmt::format("no source database: give one in the URL ({}/db) or "
                                             "with --database",
                                             source.masked()));
  if (source.host == target.host && source.port == target.port &&
      source.database == target.database)
    throw Error(ExitCode::usage, fmt::format("source and target are the same database ({}): name "
                                             "another target database",
                                             target.masked()));
  CopyRequest req;
  req.source = source;
  req.jobs = a.jobs;
  req.mode = a.drop ? PrepareMode::drop : a.clean ? PrepareMode::clean : PrepareMode::create;
  req.dump.no_owner = a.no_owner;
  req.dump.no_privileges = a.no_privileges;
  req.dump.tables = TableFilter::of(a.tables, a.exclude_tables, pattern_dialect(source.kind));
  return req;
}

int run_copy_cmd(const CopyArgs& a) {
  ServerUrl source = resolve_server(a.source);
  if (!a.database.empty()) source.database = a.database;
  ServerUrl target_url = resolve_server(a.target);
  if (target_url.database.empty()) target_url.database = source.database;
  CopyRequest req = copy_request(a, source, target_url);
  auto driver = driver_for(source);
  auto target = make_target(target_url, target_url.database, !a.no_binlog);
  const bool quiet = a.quiet || a.output.json;
  BackupProgress progress;
  auto start = std::chrono::steady_clock::now();
  RestoreReport r;
  {
    std::unique_ptr<ProgressLine> line;
    if (!quiet)
      line = std::make_unique<ProgressLine>([&progress](double s) {
        auto raw = static_cast<double>(progress.raw_bytes.load());
        return fmt::format("copy: {} SQL, {} rows, {}/s, {}/{} items{}", human_bytes(raw),
                           progress.rows.load(), human_bytes(s > 0 ? raw / s : 0),
                           progress.items_done.load(), progress.items_total.load(),
                           eta(s, progress.items_done, progress.items_total));
      });
    try {
      r = run_copy(*driver, *target, req, &progress);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("copy into {} failed, the target is incomplete: {}",
                                        target->describe(), e.what()));
    }
  }
  double seconds = seconds_since(start);
  if (a.output.json) {
    report_counts(r, true);  // a mismatch: exit 40, no document
    print_json({{"source", source.masked()},
                {"target", target->describe()},
                {"raw_bytes", r.raw_bytes},
                {"seconds", seconds},
                {"jobs", a.jobs},
                {"tables", counts_json(r)}});
    return 0;
  }
  report_restored("copied " + source.masked(), target->describe(), r, seconds, a.jobs, a.quiet);
  return 0;
}

}  // namespace

void add_copy_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<CopyArgs>();
  auto& c = *a;
  auto* copy = app.add_subcommand(
      "copy",
      "copy a database straight into another database or server (one snapshot of the source, "
      "no file in between), then compare row counts");
  copy->add_option("source", c.source, "source server URL with its database, or a config name")
      ->required();
  copy->add_option("target", c.target,
                   "target server URL (database: the URL's, else the source's), or a config name")
      ->required();
  copy->add_option("--database,-d", c.database, "source database (overrides the URL's)");
  copy->add_option("--tables,-t", c.tables,
                   "only tables, views, sequences matching this pattern, with their indexes, "
                   "constraints, triggers... (repeatable; pg_dump -t)");
  copy->add_option("--exclude-table,-T", c.exclude_tables,
                   "leave out tables, views, sequences matching this pattern (repeatable)");
  copy->add_option("--jobs,-j", c.jobs, "connections on each side")->check(CLI::Range(1, 256));
  copy->add_flag("--drop", c.drop, "drop and recreate the target database first");
  copy->add_flag("--clean", c.clean, "drop every object in the target database first");
  copy->add_flag("--no-owner", c.no_owner, "do not copy ownership (as pg_dump --no-owner)");
  copy->add_flag("--no-privileges", c.no_privileges, "do not copy GRANT/REVOKE");
  copy->add_flag("--no-binlog", c.no_binlog,
                 "MySQL/MariaDB: do not write the copy to the target's binary log (as restore "
                 "--no-binlog)");
  copy->add_flag("--quiet,-q", c.quiet, "print nothing but errors");
  add_output_options(copy, c.output);
  commands.emplace_back(copy, [a] { return run_copy_cmd(*a); });
}

}  // namespace dbsnap::cli
