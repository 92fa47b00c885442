// dbsnap daemon: runs every job of the config on its schedule, takes
// on-demand runs over HTTP, keeps each run's status (tools/daemon/state.h)
// and shows it on a status page and as Prometheus metrics (README "Daemon").
//
// Each run is a child process `dbsnap run JOB --json` (tools/daemon/child.h);
// its stdout (the run's report, engine/notify.h) and stderr are kept as
// <state_dir>/runs/<id>.json and <id>.log for the newest kKeptRunLogs runs.
// Scheduling follows engine/scheduler.h. On stop (SIGTERM, SIGINT): no new
// run starts, waiting runs become interrupted, running ones get grace to
// finish and are then sent SIGTERM, which dbsnap turns into a clean stop
// (failed manifest, no partial object); the daemon waits for them. On
// SIGHUP: the config is read again; an invalid one is refused with one log
// line and the old one kept; listen/token/TLS changes wait for a restart.
// A failure inside the loop (the state's disk full) is logged and the loop
// goes on. The page and /metrics read the state store outside the lock the
// loop takes, so they never hold up scheduling.
//
// HTTP (tools/daemon/http_server.h):
//   GET  /                              the status page (tools/daemon/render.h)
//   GET  /healthz                       {"status":"ok"}, no token needed
//   GET  /metrics                       Prometheus text format
//   GET  /api/v1/jobs                   the jobs with next and last run
//   GET  /api/v1/runs?job=&status=&limit=   runs, newest first (limit <= 1000)
//   GET  /api/v1/runs/ID                one run;  GET /api/v1/runs/ID/log: its stderr
//   GET  /api/v1/snapshots?job=&server=&database=   snapshots found in the jobs' volumes
//   POST /api/v1/jobs/NAME/run          202 {"id":N,"status":"pending"}; a run
//                                       already waiting for the job is returned instead;
//                                       503 once the daemon is stopping
//   POST /api/v1/servers/NAME/test      `dbsnap ping NAME --json`: 200 when it passed, 502 if not
// Errors: {"error": "..."} with 400, 404 or 405.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cron.h"
#include "tools/daemon/http_server.h"

namespace dbsnap::daemon {

// Run logs kept in <state_dir>/runs (older ones are deleted).
inline constexpr std::int64_t kKeptRunLogs = 1000;

struct DaemonJob {
  std::string name;
  std::string server;                // the config's server spec as shown (a name, or "(a URL)")
  std::optional<Schedule> schedule;  // none: on demand only
  bool catch_up = false;
};

// What the config says, as the daemon needs it.
struct DaemonSettings {
  std::vector<DaemonJob> jobs;
  std::vector<std::string> servers;  // [servers] names POST .../test accepts
  std::string config_text;           // handed to every child (secret)
  std::size_t max_concurrent = 1;
  std::chrono::seconds grace{300};
  HttpServerOptions http;
};

struct DaemonOptions {
  std::filesystem::path state_dir;  // created if missing (mode 0700)
  std::string binary;               // the dbsnap executable the children run
  bool json_log = false;            // JSON lines instead of text lines on stderr
  // Reads and checks the config again (SIGHUP); throws dbsnap::Error when invalid.
  std::function<DaemonSettings()> reload;
};

class Daemon {
 public:
  // Locks the state directory (flock of <state_dir>/lock: one daemon or
  // --once per directory) and opens the state store. Throws dbsnap::Error:
  // job_locked when another daemon holds the directory, io_error for the
  // state directory or database. run() throws usage for the HTTP settings.
  Daemon(DaemonSettings settings, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves HTTP and runs jobs until a stop is requested (engine/cancel.h's
  // cancel_requested(): SIGINT/SIGTERM); then shuts down as above. Returns 0.
  int run();
  // `--once`: runs every job whose scheduled time is due (engine/scheduler.h
  // due_once()), at most max_concurrent at once, and returns when all are
  // done: 0 when all completed, 130 when a stop interrupted one, else 50
  // (ExitCode::databases_failed; each failure is logged and in the state).
  int run_once();

  // Async-signal-safe: asks the running daemon to reload its config.
  static void request_reload() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsnap::daemon
