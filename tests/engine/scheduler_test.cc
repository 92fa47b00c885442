// The daemon's queue rules (engine/scheduler.h): no job overlaps itself, one
// waiting run per job, max_concurrent in total and one per server, oldest
// first; and which scheduled times a catch-up and `daemon --once` run.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <vector>

namespace dbsnap {
namespace {

std::vector<std::int64_t> ids(const std::vector<QueuedRun>& runs) {
  std::vector<std::int64_t> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

TEST(RunQueue, AJobNeverOverlapsItselfAndWaitsAtMostOnce) {
  RunQueue q(4);
  EXPECT_EQ(q.enqueue({1, "nightly", "prod"}), 1);
  EXPECT_EQ(ids(q.start_ready()), std::vector<std::int64_t>{1});
  EXPECT_EQ(q.enqueue({2, "nightly", "prod"}), 2);  // waits behind the running one
  EXPECT_EQ(q.enqueue({3, "nightly", "prod"}), 2);  // coalesced into the waiting one
  EXPECT_TRUE(q.start_ready().empty());
  EXPECT_TRUE(q.job_busy("nightly"));
  q.finished(1);
  EXPECT_EQ(ids(q.start_ready()), std::vector<std::int64_t>{2});
  q.finished(2);
  EXPECT_FALSE(q.job_busy("nightly"));
  EXPECT_EQ(q.running(), 0u);
}

TEST(RunQueue, AtMostMaxConcurrentAndOnePerServerOldestFirst) {
  RunQueue q(2);
  q.enqueue({1, "a", "prod"});
  q.enqueue({2, "b", "prod"});  // same server as a: waits
  q.enqueue({3, "c", "stage"});
  q.enqueue({4, "d", "dev"});  // limit 2 reached
  EXPECT_EQ(ids(q.start_ready()), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(q.waiting(), 2u);
  q.finished(3);
  EXPECT_EQ(ids(q.start_ready()), std::vector<std::int64_t>{4});  // b still waits for prod
  q.finished(1);
  EXPECT_EQ(ids(q.start_ready()), std::vector<std::int64_t>{2});  // prod is free again
  EXPECT_EQ(q.running(), 2u);
}

TEST(RunQueue, ALowerLimitStopsNothingAndDrainEmptiesTheQueue) {
  RunQueue q(3);
  for (std::int64_t i = 1; i <= 3; ++i)
    q.enqueue({i, "job" + std::to_string(i), "s" + std::to_string(i)});
  EXPECT_EQ(q.start_ready().size(), 3u);
  q.set_max_concurrent(1);
  q.enqueue({4, "job4", "s4"});
  q.finished(1);
  EXPECT_TRUE(q.start_ready().empty());  // 2 still run: over the new limit of 1
  EXPECT_EQ(ids(q.drain_waiting()), std::vector<std::int64_t>{4});
  EXPECT_EQ(q.waiting(), 0u);
  q.finished(99);  // unknown: ignored
  EXPECT_EQ(q.running(), 2u);
}

constexpr UnixSeconds kDay = 86400;
// 2026-12-05T00:00:00Z
constexpr UnixSeconds kMidnight = 1796428800;

TEST(CatchUp, MissedRunOnlyForAJobHandledBeforeAndOnlyWhenATimePassedSince) {
  Schedule daily = Schedule::parse("30 2 * * *");
  const UnixSeconds due = kMidnight + 2 * 3600 + 1800;  // 02:30 today
  const UnixSeconds now = kMidnight + 12 * 3600;
  EXPECT_EQ(missed_run(daily, due - kDay, now), due);      // yesterday's was the last handled
  EXPECT_EQ(missed_run(daily, due - 3 * kDay, now), due);  // several missed: one run
  EXPECT_EQ(missed_run(daily, due, now), std::nullopt);    // today's was handled
  EXPECT_EQ(missed_run(daily, std::nullopt, now), std::nullopt);  // a new job missed nothing
}

TEST(CatchUp, OnceRunsANewJobAndAJobWhoseTimePassedSinceItsLastRun) {
  Schedule daily = Schedule::parse("30 2 * * *");
  const UnixSeconds due = kMidnight + 2 * 3600 + 1800;
  EXPECT_EQ(due_once(daily, std::nullopt, due), due);  // at the minute itself
  EXPECT_EQ(due_once(daily, std::nullopt, due - 1), due - kDay);
  EXPECT_EQ(due_once(daily, due, due + 3600), std::nullopt);  // already ran
  EXPECT_EQ(next_run(daily, due), due + kDay);
  EXPECT_EQ(next_run(daily, due - 1), due);
}

}  // namespace
}  // namespace dbsnap
