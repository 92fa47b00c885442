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

ManifestHeartbeat::ManifestHeartbeat(Volume& volume, std::string key, Manifest& manifest,
                                     std::chrono::seconds interval)
    : volume_(volume), key_(std::move(key)), interval_(interval) {
  if (const char* env = std::getenv("DBSNAP_HEARTBEAT_SECONDS")) {
    char* end = nullptr;
    long s = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && s > 0 && s < 86400) interval_ = std::chrono::seconds(s);
  }
  manifest.host = this_host_name();
  manifest.pid = static_cast<std::uint64_t>(getpid());
  manifest.heartbeat_at = utc_now_iso8601();
  copy_ = manifest;
  volume_.put(key_, to_json(copy_));
  thread_ = std::thread([this] { run(); });
}

void ManifestHeartbeat::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    copy_.heartbeat_at = utc_now_iso8601();
    // Written under the lock: stop() returns only once no write is in flight.
    try {
      volume_.put(key_, to_json(copy_));
    } catch (const std::exception& e) {
      fmt::print(stderr, "dbsnap: could not renew the heartbeat in {}: {}\n", key_, e.what());
    }
  }
}

void ManifestHeartbeat::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ManifestHeartbeat::~ManifestHeartbeat() { stop(); }

}  // namespace dbsnap
