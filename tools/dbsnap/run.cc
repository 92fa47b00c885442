// dbsnap run JOB: one run of a job now: under the job's lock, a backup of
// each of its databases (each verified by a restore when the job says so),
// then its retention, then its notifications.
#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/heartbeat.h"
#include "engine/manifest.h"
#include "engine/notify.h"
#include "engine/run_lock.h"
#include "engine/snapshots.h"
#include "engine/verify_record.h"
#include "storage/http/notify_transport.h"
#include "tools/dbsnap/backup.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/encryption.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/prune.h"
#include "tools/dbsnap/verify.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

// Sessions a scheduled verification restores with.
constexpr int kVerifyJobs = 2;

struct RunArgs {
  std::string job;
  bool quiet = false;
  Output output;
};

// What a run needs besides its report.
struct JobRun {
  std::string name;
  const JobEntry& job;
  ServerUrl url;
  std::string volume_spec;
  VolumeOptions options;
  std::unique_ptr<Volume> volume;
  bool quiet = false;
};

NotifyConfig notify_config(const JobRun& run) {
  NotifyConfig c;
  c.webhooks = run.job.notify;
  c.healthcheck = run.job.healthcheck;
  c.on = run.job.notify_always ? NotifyOn::always : NotifyOn::failure;
  c.secrets = {run.url.password, run.options.secret_key, run.options.access_key};
  if (!run.job.verify_server.empty())
    c.secrets.push_back(resolve_server(run.job.verify_server).password);
  for (const char* var : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PGPASSWORD", "MYSQL_PWD"})
    if (const char* value = std::getenv(var)) c.secrets.emplace_back(value);
  return c;
}

// text with url.masked() (which names its user) replaced by "host:port":
// notifications carry no URL.
std::string without_url(std::string text, const ServerUrl& url) {
  const std::string masked = url.masked();
  const std::string address = fmt::format("{}:{}", url.host, url.port);
  for (auto at = text.find(masked); at != std::string::npos;
       at = text.find(masked, at + address.size()))
    text.replace(at, masked.size(), address);
  return text;
}

DatabaseOutcome back_up(JobRun& run, Driver& driver, const std::string& database) {
  DatabaseOutcome out;
  out.database = database;
  out.started = NotifyClock::now();
  BackupRequest req;
  req.url = run.url;
  req.url.database = database;
  req.job = run.name;
  req.codec = run.job.compress.codec;
  req.compress_level = run.job.compress.level;
  try {
    req.encrypt = encrypter_for(encrypt_options_from(
        run.job.encrypt_to.empty() ? run.options.encrypt_to : run.job.encrypt_to));
    BackupResult r = backup_database(driver, *run.volume, req, run.quiet);
    out.completed = true;
    out.size_bytes = r.manifest.size;
    for (const auto& [table, rows] : r.manifest.tables) out.rows += rows;
    out.snapshot = r.manifest_key;
  } catch (const Error& e) {
    if (e.code() == ExitCode::interrupted) throw;
    out.error = without_url(e.what(), req.url);
    fmt::print(stderr, "dbsnap: database {} failed: {}\n", database, e.what());
  }
  out.finished = NotifyClock::now();
  return out;
}

// The times of the successful verifications recorded in a snapshot
// directory ("<server>/<database>/"); a malformed record counts as none.
std::vector<std::int64_t> verified_ok(Volume& volume, const std::string& dir) {
  std::vector<std::int64_t> out;
  for (const auto& key : volume.list(dir)) {
    if (!key.ends_with(kVerifySuffix)) continue;
    try {
      VerifyRecord r = parse_verify_record(volume.get(key));
      if (r.ok) out.push_back(parse_utc_iso(r.verified_at));
    } catch (const Error&) {
    }
  }
  return out;
}

// The job's verify check of the snapshot out made, when due: restored into a
// scratch database on verify_server (default: the job's server), row counts
// and content checksums compared, dropped; the result recorded beside the
// snapshot. A failed check marks out failed.
void verify_if_due(JobRun& run, DatabaseOutcome& out) {
  if (!run.job.verify || !out.completed) return;
  const std::string stem = out.snapshot.substr(0, out.snapshot.size() - kManifestSuffix.size());
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  if (!verify_due(verified_ok(*run.volume, stem.substr(0, stem.rfind('/') + 1)), *run.job.verify,
                  now))
    return;
  ServerUrl into = run.job.verify_server.empty() ? run.url : resolve_server(run.job.verify_server);
  VerifyRecord record;
  record.into = fmt::format("{}:{}", into.host, into.port);
  try {
    ScratchCheck c =
        restore_into_scratch(*run.volume, out.snapshot, into, kVerifyJobs,
                             run.job.identity.empty() ? run.options.identity : run.job.identity);
    record.tables = c.restore.counts.size();
    for (const auto& t : c.restore.counts) record.rows += t.actual;
    record.checksums = c.checksums;
    report_scratch(c, /*quiet=*/true);
    record.ok = true;
  } catch (const Error& e) {
    if (e.code() == ExitCode::interrupted) throw;
    record.error = without_url(e.what(), into);
    out.completed = false;
    out.error = "verify: " + record.error;
    fmt::print(stderr, "dbsnap: database {} failed verification: {}\n", out.database, e.what());
  }
  out.verified = record.ok;
  record.verified_at = utc_now_iso8601();
  try {
    run.volume->put(stem + std::string(kVerifySuffix), to_json(record));
  } catch (const Error& e) {
    fmt::print(stderr, "dbsnap: warning: the verification of {} is not recorded: {}\n",
               out.database, e.what());
  }
  if (record.ok && !run.quiet)
    fmt::print(
        "{}: verified: restored into {} ({} tables, {} rows), counts and {} content checksums "
        "match, dropped\n",
        out.database, record.into, record.tables, record.rows, record.checksums);
}

// Backs up every database of the job into report; a failure to list them,
// or an interruption (which ends the run), goes to report.error and returns
// its exit code.
ExitCode back_up_all(JobRun& run, RunReport& report) {
  try {
    auto driver = driver_for(run.url);
    for (const auto& db : run.job.databases.empty()
                              ? select_databases(*driver, run.url, run.job.exclude)
                              : run.job.databases) {
      report.databases.push_back(back_up(run, *driver, db));
      verify_if_due(run, report.databases.back());
    }
  } catch (const Error& e) {
    report.error = without_url(e.what(), run.url);
    return e.code();
  }
  return ExitCode::ok;
}

// The job's keep applied to its snapshots; a failure goes to report.error.
ExitCode apply_retention(JobRun& run, RunReport& report) {
  if (run.job.keep.empty()) return ExitCode::ok;
  try {
    auto now = static_cast<std::int64_t>(std::time(nullptr));
    SnapshotListing listing = list_snapshots(*run.volume, now);
    SnapshotFilter filter{run.name, "", ""};
    auto plan =
        prune(*run.volume, listing, filter, run.job.keep, now, false, job_utc_offset(run.job));
    if (!run.quiet) print_prune(plan, false);
    return ExitCode::ok;
  } catch (const Error& e) {
    report.error = fmt::format("retention: {}", e.what());
    return e.code();
  }
}

// The error of a failed run: interrupted (130), else every failed database
// and the first failure (50), else report.error with code other.
Error run_error(const RunReport& report, ExitCode other) {
  if (other == ExitCode::interrupted)
    return Error(other, fmt::format("job {} interrupted: {}", report.job, report.error));
  std::vector<std::string> failed;
  const DatabaseOutcome* first = nullptr;
  for (const auto& d : report.databases)
    if (!d.completed) {
      failed.push_back(d.database);
      if (!first) first = &d;
    }
  if (!first) return Error(other, fmt::format("job {} failed: {}", report.job, report.error));
  return Error(
      ExitCode::databases_failed,
      fmt::format("job {}: {} of {} databases failed: {}; {}: {}", report.job, failed.size(),
                  report.databases.size(), fmt::join(failed, ", "), first->database, first->error));
}

// Opens the job's volume and takes its lock. A second run (job_locked) or a
// bad setting (usage) throws; any other failure goes to report.error and
// returns its code, so that it is notified.
ExitCode open_and_lock(JobRun& run, std::optional<JobLockGuard>& lock, RunReport& report) {
  try {
    run.volume = open_volume(run.volume_spec, run.options);
    lock.emplace(*run.volume, run.name);
    return ExitCode::ok;
  } catch (const Error& e) {
    if (e.code() == ExitCode::job_locked || e.code() == ExitCode::usage) throw;
    report.error = fmt::format("volume: {}", e.what());
    return e.code();
  }
}

int run_job(const RunArgs& a) {
  JobRun run{a.job, find_job(a.job), {}, {}, {}, nullptr, a.quiet || a.output.json};
  run.url = resolve_server(run.job.server);
  run.volume_spec = job_volume_spec(run.job, run.options);  // fills options' keys (secrets)
  NotifyConfig notify = notify_config(run);
  HttpNotifyTransport transport;
  Notifier notifier(notify, transport);
  RunReport report;
  report.job = a.job;
  report.server = notify_server(run.url, run.job.server.find("://") == std::string::npos
                                             ? run.job.server
                                             : run.url.volume_name());
  report.started = NotifyClock::now();
  std::optional<JobLockGuard> lock;
  ExitCode code = open_and_lock(run, lock, report);
  notifier.run_started(a.job);
  if (code == ExitCode::ok) code = back_up_all(run, report);
  if (lock && code != ExitCode::interrupted) {
    ExitCode retention = apply_retention(run, report);
    if (code == ExitCode::ok) code = retention;
  }
  report.finished = NotifyClock::now();
  notifier.run_finished(report);
  if (a.output.json)
    print_json(nlohmann::ordered_json::parse(webhook_body(report, notify.secrets)));
  if (report.failed()) throw run_error(report, code);
  if (!a.output.json && !a.quiet) fmt::print("{}\n", report.summary());
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run", "run a job of the config file now: back up its databases, prune, notify");
  cmd->add_option("job", a->job, "the job's name ([jobs.<name>] in the config file)")->required();
  cmd->add_flag("--quiet,-q", a->quiet, "print nothing but errors");
  add_output_options(cmd, a->output);
  commands.emplace_back(cmd, [a] { return run_job(*a); });
}

}  // namespace dbsnap::cli
