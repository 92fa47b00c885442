// The daemon's run history, kept in an embedded SQLite database
// (<state_dir>/state.sqlite3, Debian's libsqlite3) so it survives a restart.
// The snapshots themselves are not kept here: the manifests in the volumes
// are the source of truth for what exists.
//
// Schema (version 1, PRAGMA user_version; PRAGMA application_id 0x6462736e,
// "dbsn", marks the file as ours): runs (one row per run), run_databases
// (one row per database of a finished run) and jobs (per job, the last
// scheduled time handled, for catch-up). WAL journal; every method is one
// transaction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/daemon/model.h"

struct sqlite3;

namespace dbsnap::daemon {

struct RunFilter {
  std::string job;                  // "" = every job
  std::optional<RunStatus> status;  // none = every status
  std::size_t limit = 100;          // newest first
};

// Thread-safe: one connection behind a mutex.
class StateStore {
 public:
  // Opens or creates the database at path (its directory must exist). Runs
  // a previous daemon left pending or running are marked interrupted with
  // error "the daemon stopped before the run finished", finished at the time
  // of this open. Throws
  // dbsnap::Error(ExitCode::io_error) "daemon state PATH: <sqlite's reason>"
  // when it cannot be opened, or is not a dbsnap state database.
  explicit StateStore(const std::filesystem::path& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // A new pending run; returns it with its id.
  RunRecord add_run(const std::string& job, const std::string& server, RunTrigger trigger,
                    std::int64_t queued_at);
  void mark_running(std::int64_t id, std::int64_t started_at);
  // Sets status (completed, failed or interrupted), error, databases, finished_at.
  void mark_finished(const RunRecord& finished);

  std::optional<RunRecord> run(std::int64_t id);
  std::vector<RunRecord> runs(const RunFilter& filter);  // with their databases

  // The newest scheduled time (seconds) handled for job: none when never.
  std::optional<std::int64_t> last_due(const std::string& job);
  void set_last_due(const std::string& job, std::int64_t due);

  // Per job and database, what /metrics exports (model.h), by job then database.
  std::vector<DatabaseStats> database_stats();
  // Finished runs and failures (failed or interrupted) per job.
  std::map<std::string, JobCounters> counters();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsnap::daemon
