// The job lock: its staleness rule (pure) and JobLockGuard on a real local
// volume and on the real S3 endpoint: a held lock refuses a second run naming
// the holder, of runs starting at once exactly one gets it, a stale one is
// taken over, and the lock is gone after the run.
#include "engine/run_lock.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "engine/manifest.h"
#include "storage/local/volume.h"
#include "storage/s3/volume.h"
#include "tests/support/common.h"
#include "tests/support/s3_env.h"

namespace dbsnap {
namespace {

const std::int64_t kNow = parse_utc_iso("2026-12-05T12:00:00Z");

RunLock lock_at(const char* host, const char* heartbeat) {
  return {"nightly", host, "token", "2026-12-05T02:30:00Z", heartbeat, 4242};
}

TEST(RunLockStale, SameHostDeadProcessIsStaleAtOnce) {
  RunLock l = lock_at("backup-1", "2026-12-05T11:59:50Z");
  EXPECT_TRUE(run_lock_stale(l, "backup-1", /*holder_alive=*/false, kNow));
  EXPECT_FALSE(run_lock_stale(l, "backup-1", /*holder_alive=*/true, kNow));
}

TEST(RunLockStale, OtherHostIsStaleOnlyWhenItsHeartbeatIsOld) {
  EXPECT_FALSE(
      run_lock_stale(lock_at("backup-2", "2026-12-05T11:56:00Z"), "backup-1", false, kNow));
  EXPECT_TRUE(run_lock_stale(lock_at("backup-2", "2026-12-05T11:54:59Z"), "backup-1", false, kNow));
  EXPECT_TRUE(run_lock_stale(lock_at("backup-2", "garbage"), "backup-1", true, kNow));
}

TEST(RunLockJson, RoundTripsAndRejectsOtherText) {
  RunLock l = lock_at("backup-1", "2026-12-05T11:59:50Z");
  RunLock back = parse_run_lock(to_json(l));
  EXPECT_EQ(back.host, "backup-1");
  EXPECT_EQ(back.pid, 4242u);
  EXPECT_EQ(back.heartbeat_at, l.heartbeat_at);
  EXPECT_THROW(parse_run_lock("{\"job\": 1}"), Error);
}

TEST(JobLockGuard, SecondHolderIsRefusedNamingTheFirstAndTheLockGoesAway) {
  test::ScratchDir dir;
  LocalVolume volume(dir.path());
  {
    JobLockGuard first(volume, "nightly");
    try {
      JobLockGuard second(volume, "nightly");
      FAIL() << "a second lock of one job was granted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::job_locked);
      std::string holder = fmt::format("pid {}", getpid());
      EXPECT_NE(std::string(e.what()).find(holder), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("job nightly is already running"), std::string::npos)
          << e.what();
    }
    JobLockGuard other_job(volume, "weekly");  // another job's lock is its own
  }
  EXPECT_TRUE(volume.list(".locks/").empty());
}

TEST(JobLockGuard, LockOfADeadProcessOnThisHostIsTakenOver) {
  test::ScratchDir dir;
  LocalVolume volume(dir.path());
  // pid 2^22 + 1 is above Linux's pid_max limit: no such process.
  RunLock dead{
      "nightly",     this_host_name(), "old", "2026-12-05T02:30:00Z", "2099-01-01T00:00:00Z",
      (1u << 22) + 1};
  volume.put(run_lock_key("nightly"), to_json(dead));
  {
    JobLockGuard taken(volume, "nightly");
    RunLock now = parse_run_lock(volume.get(run_lock_key("nightly")));
    EXPECT_EQ(now.pid, static_cast<std::uint64_t>(getpid()));
  }
  EXPECT_TRUE(volume.list(".locks/").empty());
}

// kRacers threads take job "race"'s lock at the same moment; each winner holds
// it until every thread has tried. Returns {winners, refused}.
std::pair<int, int> race_for_the_lock(Volume& volume) {
  constexpr int kRacers = 8;
  std::latch start(kRacers), tried(kRacers);
  std::atomic<int> winners{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        JobLockGuard lock(volume, "race");
        ++winners;
        tried.arrive_and_wait();
      } catch (const Error& e) {
        if (e.code() == ExitCode::job_locked)
          ++refused;
        else
          ADD_FAILURE() << e.what();
        tried.count_down();
      }
    });
  for (auto& t : threads) t.join();
  return {winners.load(), refused.load()};
}

TEST(JobLockGuard, OfRunsStartingAtOnceOnALocalVolumeExactlyOneWins) {
  test::ScratchDir dir;
  LocalVolume volume(dir.path());
  for (int round = 0; round < 5; ++round) {
    auto [winners, refused] = race_for_the_lock(volume);
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(refused, 7) << "round " << round;
    EXPECT_TRUE(volume.list(".locks/").empty());
  }
}

TEST(JobLockGuard, OfRunsStartingAtOnceOnS3ExactlyOneWins) {
  S3Url base = test::s3_base_url();
  S3Volume volume(S3Url{base.bucket, test::s3_unique_prefix("run-lock")}, test::s3_options());
  for (int round = 0; round < 3; ++round) {
    auto [winners, refused] = race_for_the_lock(volume);
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(refused, 7) << "round " << round;
    EXPECT_TRUE(volume.list(".locks/").empty());
  }
}

}  // namespace
}  // namespace dbsnap
