#include "engine/run_lock.h"

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "engine/error.h"
#include "engine/heartbeat.h"
#include "engine/manifest.h"
#include "engine/notify.h"

namespace dbsnap {

std::string to_json(const RunLock& lock) {
  nlohmann::ordered_json j = {{"job", lock.job},
                              {"host", lock.host},
                              {"pid", lock.pid},
                              {"token", lock.token},
                              {"started_at", lock.started_at},
                              {"heartbeat_at", lock.heartbeat_at}};
  return j.dump(1) + "\n";
}

RunLock parse_run_lock(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    return {j.at("job").get<std::string>(),          j.at("host").get<std::string>(),
            j.at("token").get<std::string>(),        j.at("started_at").get<std::string>(),
            j.at("heartbeat_at").get<std::string>(), j.at("pid").get<std::uint64_t>()};
  } catch (const nlohmann::json::exception& e) {
    throw Error(ExitCode::io_error, fmt::format("job lock is malformed: {}", e.what()));
  }
}

bool run_lock_stale(const RunLock& lock, std::string_view this_host, bool holder_alive,
                    std::int64_t now) {
  if (!lock.host.empty() && lock.host == this_host && !holder_alive) return true;
  std::int64_t beat =
      parse_utc_iso(lock.heartbeat_at.empty() ? lock.started_at : lock.heartbeat_at);
  return beat < 0 || now - beat > kRunLockStaleSeconds;
}

std::string describe_holder(const RunLock& lock) {
  return fmt::format("host {} pid {} since {}", lock.host, lock.pid, lock.started_at);
}

std::string run_lock_key(std::string_view job) { return fmt::format(".locks/{}.lock", job); }

namespace {

// The lock at key, nullopt when there is none (a malformed one counts as stale).
std::optional<RunLock> read_lock(Volume& volume, const std::string& key) {
  for (const auto& k : volume.list(key))
    if (k == key) {
      try {
        return parse_run_lock(volume.get(key));
      } catch (const Error&) {  // malformed, or removed since the listing
        return std::nullopt;
      }
    }
  return std::nullopt;
}

}  // namespace

JobLockGuard::JobLockGuard(Volume& volume, std::string job, std::chrono::seconds interval)
    : volume_(volume), key_(run_lock_key(job)) {
  std::string now = utc_now_iso8601();
  lock_ = {std::move(job),
           this_host_name(),
           random_uuid(),
           now,
           now,
           static_cast<std::uint64_t>(getpid())};
  const std::string text = to_json(lock_);
  if (!volume_.put_if_absent(key_, text)) {
    // Held, or our own write whose answer was lost and retried; a stale or
    // malformed lock is removed and created anew, still only if absent.
    auto held = read_lock(volume_, key_);
    if (held && held->token != lock_.token &&
        !run_lock_stale(*held, lock_.host, process_alive(held->pid),
                        static_cast<std::int64_t>(std::time(nullptr))))
      throw Error(ExitCode::job_locked,
                  fmt::format("job {} is already running ({}); a lock without heartbeat for {} "
                              "minutes is taken over",
                              lock_.job, describe_holder(*held), kRunLockStaleSeconds / 60));
    if (!held || held->token != lock_.token) {
      volume_.remove(key_);
      volume_.put_if_absent(key_, text);
    }
  }
  if (auto held = read_lock(volume_, key_); !held || held->token != lock_.token)
    throw Error(ExitCode::job_locked,
                fmt::format("job {} was started by another run at the same moment ({})", lock_.job,
                            held ? describe_holder(*held) : "its lock vanished"));
  beat_ = std::make_unique<PeriodicPut>(volume_, key_, interval, [this] {
    lock_.heartbeat_at = utc_now_iso8601();
    return to_json(lock_);
  });
}

bool JobLockGuard::still_ours() {
  auto held = read_lock(volume_, key_);
  return held && held->token == lock_.token;
}

JobLockGuard::~JobLockGuard() {
  beat_->stop();
  try {
    if (still_ours()) volume_.remove(key_);
  } catch (const std::exception& e) {
    fmt::print(stderr, "dbsnap: warning: the lock of job {} stays until it is stale: {}\n",
               lock_.job, e.what());
  }
}

}  // namespace dbsnap
