// Keeps a running backup's manifest alive: records this host and process in
// it and rewrites it with a fresh heartbeat_at at a fixed interval, so that
// `dbsnap snapshots` can tell a backup in progress from one whose process
// died (kill -9, power loss): see effective_status() in engine/manifest.h.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/manifest.h"
#include "engine/volume.h"

namespace dbsnap {

// Rewrites one small object of a volume at a fixed interval, on a thread of
// its own, with the text next() returns (called on that thread only), until
// stop(). A failed write is reported on stderr and retried at the next beat.
// volume must outlive this.
class PeriodicPut {
 public:
  PeriodicPut(Volume& volume, std::string key, std::chrono::seconds interval,
              std::function<std::string()> next);
  // Stops the thread and waits for it: no write of this object happens
  // after it returns. Idempotent.
  void stop();
  ~PeriodicPut();

  PeriodicPut(const PeriodicPut&) = delete;
  PeriodicPut& operator=(const PeriodicPut&) = delete;

 private:
  void run();

  Volume& volume_;
  std::string key_;
  std::chrono::seconds interval_;
  std::function<std::string()> next_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

class ManifestHeartbeat {
 public:
  // Sets manifest.host, pid and heartbeat_at (now) and writes it to key on
  // volume; then a thread rewrites a copy of it (the caller's manifest is
  // never read again, so it may change meanwhile) with heartbeat_at renewed
  // every interval until stop(). A failed rewrite is reported on stderr and
  // retried at the next beat. The interval is DBSNAP_HEARTBEAT_SECONDS when
  // that is set to a positive number of seconds (for tests).
  ManifestHeartbeat(Volume& volume, std::string key, Manifest& manifest,
                    std::chrono::seconds interval = std::chrono::seconds(30));
  // Stops the thread and waits for it: no write of this object happens
  // after it returns, so the caller can write the final manifest. Idempotent.
  void stop() { beat_->stop(); }

  ManifestHeartbeat(const ManifestHeartbeat&) = delete;
  ManifestHeartbeat& operator=(const ManifestHeartbeat&) = delete;

 private:
  Manifest copy_;
  std::unique_ptr<PeriodicPut> beat_;
};

// "2026-11-21T22:00:00Z" for now.
std::string utc_now_iso8601();

}  // namespace dbsnap
