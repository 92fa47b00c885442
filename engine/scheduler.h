// The daemon's queue of job runs: which queued run starts when. Pure and
// clock-free: the daemon (tools/daemon/daemon.h) tells it what was queued,
// asks what may start, and reports what finished.
//
// Rules (issue 12, README "Daemon"):
//   - a job never overlaps itself: a job with a run in progress starts no
//     other until that one finishes;
//   - a job has at most one run waiting: queueing a job that already waits
//     returns the waiting run instead (a schedule that fires while the last
//     run still waits adds nothing);
//   - at most max_concurrent runs at once, and at most one per server;
//   - among the runs that may start, the one queued first starts first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cron.h"

namespace dbsnap {

struct QueuedRun {
  std::int64_t id = 0;  // the caller's run id
  std::string job;
  std::string server;  // runs of one server never overlap
};

// Not thread-safe: the daemon's scheduling thread owns it.
class RunQueue {
 public:
  explicit RunQueue(std::size_t max_concurrent = 1);

  // Queues run unless its job already waits; returns the id of the run that
  // waits for the job now (run.id, or the one queued before).
  std::int64_t enqueue(QueuedRun run);
  // The waiting runs that may start now under the rules, oldest first; they
  // count as running from here on.
  std::vector<QueuedRun> start_ready();
  // A run returned by start_ready() has ended; an unknown id is ignored.
  void finished(std::int64_t id);
  // Removes and returns every waiting run (shutdown).
  std::vector<QueuedRun> drain_waiting();

  void set_max_concurrent(std::size_t n);       // >= 1; a smaller limit stops no running run
  bool job_busy(const std::string& job) const;  // waiting or running
  std::optional<std::int64_t> waiting_for(const std::string& job) const;  // its waiting run's id
  std::size_t running() const { return running_.size(); }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  bool may_start(const QueuedRun& run, const std::vector<QueuedRun>& started) const;

  std::size_t max_concurrent_;
  std::vector<QueuedRun> waiting_;  // in queue order
  std::vector<QueuedRun> running_;
};

// Seconds since the Unix epoch, the unit of the daemon's state.
using UnixSeconds = std::int64_t;

// The run a job missed while the daemon was down, to run once at start-up
// when the job says catch_up = true: the schedule's last time at or before
// now, when it is after last_due (the newest scheduled time the daemon
// handled). None for a job never handled (it has missed nothing yet).
std::optional<UnixSeconds> missed_run(const Schedule& schedule, std::optional<UnixSeconds> last_due,
                                      UnixSeconds now);

// What `dbsnap daemon --once` runs: the schedule's last time at or before
// now, when last_due is older (or none: a job never handled is due once).
std::optional<UnixSeconds> due_once(const Schedule& schedule, std::optional<UnixSeconds> last_due,
                                    UnixSeconds now);

// The schedule's first time strictly after now.
UnixSeconds next_run(const Schedule& schedule, UnixSeconds now);

}  // namespace dbsnap
