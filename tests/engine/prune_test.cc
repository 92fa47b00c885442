// plan_prune(): the retention policy applied per (server, database) group of
// a volume's snapshots, with the states list_snapshots() gives them.
#include "engine/prune.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/manifest.h"

namespace dbsnap {
namespace {

SnapshotEntry snap(const char* server, const char* database, const char* started,
                   SnapshotStatus status = SnapshotStatus::completed) {
  SnapshotEntry e;
  e.manifest.server_name = server;
  e.manifest.database = database;
  e.manifest.started_at = started;
  e.name = std::string(server) + "/" + database + "/" + started;
  e.status = status;
  e.started_unix = parse_utc_iso(started);
  return e;
}

std::vector<bool> kept(const std::vector<PruneItem>& plan) {
  std::vector<bool> out;
  for (const auto& item : plan) out.push_back(item.decision.keep);
  return out;
}

const std::int64_t kNow = parse_utc_iso("2026-12-05T12:00:00Z");

TEST(PlanPrune, EachServerDatabaseGroupKeepsItsOwnLastN) {
  std::vector<SnapshotEntry> s = {
      snap("a-5432", "app", "2026-12-05T03:00:00Z"), snap("a-5432", "crm", "2026-12-05T02:00:00Z"),
      snap("a-5432", "app", "2026-12-04T03:00:00Z"), snap("b-5432", "app", "2026-12-04T02:00:00Z"),
      snap("a-5432", "app", "2026-12-03T03:00:00Z")};
  RetentionPolicy keep;
  keep.last = 2;
  auto plan = plan_prune(s, keep, kNow);
  ASSERT_EQ(plan.size(), s.size());
  EXPECT_EQ(kept(plan), (std::vector<bool>{true, true, true, true, false}));
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(plan[i].snapshot, &s[i]);
  EXPECT_EQ(plan[4].decision.reasons, std::vector<std::string>{"no rule keeps it"});
}

TEST(PlanPrune, NewestCompletedIsKeptWhenOnlyUnfinishedOnesAreNewer) {
  std::vector<SnapshotEntry> s = {
      snap("a-5432", "app", "2026-12-05T03:00:00Z", SnapshotStatus::failed),
      snap("a-5432", "app", "2026-12-04T03:00:00Z", SnapshotStatus::interrupted),
      snap("a-5432", "app", "2026-11-01T03:00:00Z"), snap("a-5432", "app", "2026-10-01T03:00:00Z")};
  RetentionPolicy keep;
  keep.daily = 1;
  keep.within.days = 1;
  auto plan = plan_prune(s, keep, kNow);
  // The failed one is younger than a day, the interrupted one older; the
  // newest completed one stays although it is a month old.
  EXPECT_EQ(kept(plan), (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(plan[1].decision.reasons, std::vector<std::string>{"unfinished, older than 1 day"});
}

TEST(PlanPrune, RunningSnapshotsAreKeptAndHalfDeletedOnesRemovedWhenOld) {
  std::vector<SnapshotEntry> s = {
      snap("a-5432", "app", "2026-12-05T11:00:00Z", SnapshotStatus::running),
      snap("a-5432", "app", "2026-12-05T03:00:00Z"),
      snap("a-5432", "app", "2026-12-01T03:00:00Z", SnapshotStatus::data_missing)};
  RetentionPolicy keep;
  keep.last = 1;
  EXPECT_EQ(kept(plan_prune(s, keep, kNow)), (std::vector<bool>{true, true, false}));
}

}  // namespace
}  // namespace dbsnap
