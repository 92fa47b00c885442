#include "engine/heartbeat.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <exception>

namespace dbsnap {

std::string utc_now_iso8601() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

PeriodicPut::PeriodicPut(Volume& volume, std::string key, std::chrono::seconds interval,
                         std::function<std::string()> next)
    : volume_(volume), key_(std::move(key)), interval_(interval), next_(std::move(next)) {
  thread_ = std::thread([this] { run(); });
}

void PeriodicPut::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    // Written under the lock: stop() returns only once no write is in flight.
    try {
      volume_.put(key_, next_());
    } catch (const std::exception& e) {
      fmt::print(stderr, "dbsnap: could not renew the heartbeat in {}: {}\n", key_, e.what());
    }
  }
}

void PeriodicPut::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PeriodicPut::~PeriodicPut() { stop(); }

ManifestHeartbeat::ManifestHeartbeat(Volume& volume, std::string key, Manifest& manifest,
                                     std::chrono::seconds interval) {
  if (const char* env = std::getenv("DBSNAP_HEARTBEAT_SECONDS")) {
    char* end = nullptr;
    long s = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && s > 0 && s < 86400) interval = std::chrono::seconds(s);
  }
  manifest.host = this_host_name();
  manifest.pid = static_cast<std::uint64_t>(getpid());
  manifest.heartbeat_at = utc_now_iso8601();
  copy_ = manifest;
  volume.put(key, to_json(copy_));
  beat_ = std::make_unique<PeriodicPut>(volume, std::move(key), interval, [this] {
    copy_.heartbeat_at = utc_now_iso8601();
    return to_json(copy_);
  });
}

}  // namespace dbsnap
