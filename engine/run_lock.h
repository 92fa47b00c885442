// The lock that keeps two runs of one job from overlapping: an object in the
// job's volume (".locks/<job>.lock" under its prefix) naming the run that
// holds it, renewed while the run lasts.
//
//   { "job": "nightly", "host": "backup-1", "pid": 4242, "token": "<uuid>",
//     "started_at": "2026-12-04T02:30:00Z", "heartbeat_at": "2026-12-04T02:31:00Z" }
//
// A lock is stale, and the next run takes it over, when its holder is gone:
// on this host no process has its pid, or (any host) its heartbeat is more
// than kRunLockStaleSeconds old. The lock is created with
// Volume::put_if_absent (local: link(2); S3: PUT If-None-Match: *), so of two
// runs starting at once exactly one gets it. A stale lock is removed and then
// created anew the same way; only two runs taking over the same stale lock
// at the same moment can both remove it, and the read-back after the
// creation then shows one of them that the lock is not its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/heartbeat.h"
#include "engine/volume.h"

namespace dbsnap {

// A lock whose heartbeat is older than this is stale (seconds).
inline constexpr std::int64_t kRunLockStaleSeconds = 300;

struct RunLock {
  std::string job, host, token, started_at, heartbeat_at;  // times: ISO 8601 UTC
  std::uint64_t pid = 0;
};

std::string to_json(const RunLock& lock);
// Throws dbsnap::Error(ExitCode::io_error) for text that is not a lock.
RunLock parse_run_lock(std::string_view json);

// The staleness rule above. holder_alive: whether lock.pid exists on this
// host (only consulted when lock.host is this_host); now: seconds since the
// epoch. Pure.
bool run_lock_stale(const RunLock& lock, std::string_view this_host, bool holder_alive,
                    std::int64_t now);

// "host backup-1 pid 4242 since 2026-12-04T02:30:00Z", for messages.
std::string describe_holder(const RunLock& lock);

// The volume key of job's lock: ".locks/<job>.lock".
std::string run_lock_key(std::string_view job);

// Holds job's lock in volume from construction to destruction, rewriting its
// heartbeat every interval (PeriodicPut, engine/heartbeat.h). Not
// thread-safe; volume must outlive this.
class JobLockGuard {
 public:
  // Takes the lock, over a stale one if need be. Throws
  // Error(ExitCode::job_locked) "job J is already running (host H pid P since
  // T); a lock older than 5 minutes without heartbeat is taken over", or the
  // volume's errors.
  JobLockGuard(Volume& volume, std::string job,
               std::chrono::seconds interval = std::chrono::seconds(30));
  // Stops the heartbeat and removes the lock if it is still this run's.
  ~JobLockGuard();
  JobLockGuard(const JobLockGuard&) = delete;
  JobLockGuard& operator=(const JobLockGuard&) = delete;

 private:
  bool still_ours();

  Volume& volume_;
  std::string key_;
  RunLock lock_;
  std::unique_ptr<PeriodicPut> beat_;
};

}  // namespace dbsnap
