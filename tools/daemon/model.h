// What the daemon knows about jobs and their runs: the records its state
// store keeps (tools/daemon/state.h), and the one view of them that the API,
// the status page (tools/daemon/page.h) and /metrics (tools/daemon/metrics.h)
// are rendered from. Plain values; no I/O.
//
// A run moves pending -> running -> completed | failed | interrupted:
//   pending      queued (by the schedule, a catch-up or POST /api/v1/jobs/J/run)
//   running      its `dbsnap run JOB` process has started
//   completed    every database backed up (and verified when due)
//   failed       a database, the volume, the lock or retention failed (error says which)
//   interrupted  cancelled by the daemon's shutdown (SIGTERM past the grace period)
// Times are seconds since the Unix epoch (UTC); 0 means "not yet".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap::daemon {

enum class RunStatus { pending, running, completed, failed, interrupted };

// "pending", "running", "completed", "failed", "interrupted".
std::string_view status_name(RunStatus s);
// The inverse of status_name(); nullopt for any other text.
std::optional<RunStatus> parse_status(std::string_view name);

// What started a run.
enum class RunTrigger { schedule, catch_up, api, once };
std::string_view trigger_name(RunTrigger t);  // "schedule", "catch_up", "api", "once"
std::optional<RunTrigger> parse_trigger(std::string_view name);

// One database of a finished run, from the run's report (the JSON that
// `dbsnap run --json` prints: engine/notify.h's webhook body).
struct DatabaseRun {
  std::string database;
  bool completed = false;
  std::string error;        // "" when completed
  std::uint64_t bytes = 0;  // stored (compressed) size of the snapshot
  std::uint64_t rows = 0;   // rows backed up
  std::int64_t duration_ms = 0;
  std::string snapshot;          // the manifest's volume key, "" when none completed
  std::optional<bool> verified;  // the restore check of this run: none = not due
};

struct RunRecord {
  std::int64_t id = 0;  // > 0, increasing, unique for the life of the state store
  std::string job;
  std::string server;  // the job's server as the config names it (never a URL with secrets)
  RunTrigger trigger = RunTrigger::schedule;
  RunStatus status = RunStatus::pending;
  std::int64_t queued_at = 0, started_at = 0, finished_at = 0;
  std::string error;                   // one line, no secret; "" unless failed or interrupted
  std::vector<DatabaseRun> databases;  // filled when finished
};

// A job as the daemon schedules it.
struct JobView {
  std::string name;
  std::string server;
  std::string schedule;               // Schedule::describe(), "" for a job run by hand only
  std::int64_t next_run = 0;          // 0: none scheduled
  std::optional<RunRecord> last_run;  // the newest finished run
  bool running = false;               // a run is pending or running now
};

// A snapshot found in a job's volume (the manifests are the source of truth).
struct SnapshotView {
  std::string job;
  std::string name;  // "<server>/<database>/<stem>" (engine/snapshots.h)
  std::string database;
  std::string status;  // "completed", "failed", "running", ... (SnapshotStatus)
  std::int64_t started_at = 0;
  std::uint64_t bytes = 0, rows = 0, tables = 0;
  std::optional<bool> verified;  // the newest restore check: none = never checked
  std::int64_t verified_at = 0;
  std::string verify_error;  // "" unless the check failed
};

// Per job and database, from the finished runs: what /metrics exports.
struct DatabaseStats {
  std::string job, database;
  std::int64_t last_success_at = 0;   // finished_at of the newest run it completed in
  std::int64_t last_duration_ms = 0;  // of the newest run it took part in
  std::uint64_t last_bytes = 0, last_rows = 0;
  bool last_ok = false;
  std::optional<bool> last_verified;  // the newest run that verified it
};

struct JobCounters {
  std::uint64_t runs = 0;      // finished runs
  std::uint64_t failures = 0;  // finished runs that failed or were interrupted
};

// Everything the page and /metrics show, taken at one instant.
struct StatusView {
  std::int64_t now = 0;
  std::string version;                          // DBSNAP_VERSION
  std::vector<JobView> jobs;                    // by name
  std::vector<RunRecord> recent_runs;           // newest first, at most 50
  std::vector<SnapshotView> snapshots;          // newest first, at most 100
  std::vector<DatabaseStats> databases;         // by job, then database
  std::map<std::string, JobCounters> counters;  // by job name
};

}  // namespace dbsnap::daemon
