// decide_retention(): restic's forget --keep-* rules on a table of cases, and
// parse_calendar_duration().
#include "engine/retention.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/manifest.h"

namespace dbsnap {
namespace {

std::int64_t at(const char* iso) {
  std::int64_t t = parse_utc_iso(iso);
  EXPECT_GE(t, 0) << iso;
  return t;
}

struct Snap {
  const char* time;
  RetentionState state = RetentionState::completed;
  std::vector<std::string> expect;  // reasons; keep unless it is a deletion reason
  bool keep = true;
};

struct Case {
  const char* name;
  RetentionPolicy policy;
  std::vector<Snap> snaps;
  const char* now = "2027-06-01T00:00:00Z";
  std::int64_t offset = 0;  // seconds east of UTC; 0: UTC
};

const std::vector<std::string> kNone = {"no rule keeps it"};

RetentionPolicy keep(int last, int hourly, int daily, int weekly, int monthly, int yearly,
                     const char* within = "") {
  RetentionPolicy p{last, hourly, daily, weekly, monthly, yearly, {}};
  if (*within != 0) p.within = parse_calendar_duration(within);
  return p;
}

std::vector<Case> cases() {
  using S = RetentionState;
  return {
      {"LastKeepsTheNNewest",
       keep(2, 0, 0, 0, 0, 0),
       {{"2026-12-04T10:00:00Z", S::completed, {"last"}},
        {"2026-12-01T10:00:00Z", S::completed, kNone, false},
        {"2026-12-03T10:00:00Z", S::completed, {"last"}},
        {"2026-12-02T10:00:00Z", S::completed, kNone, false}}},
      {"DailyKeepsTheNewestOfEachOfTheNMostRecentDays",
       keep(0, 0, 2, 0, 0, 0),
       {{"2026-12-04T22:00:00Z", S::completed, {"daily"}},
        {"2026-12-04T08:00:00Z", S::completed, kNone, false},
        {"2026-12-03T23:59:59Z", S::completed, {"daily"}},
        {"2026-12-03T00:00:00Z", S::completed, kNone, false},
        {"2026-12-01T12:00:00Z", S::completed, kNone, false}}},
      {"DaysWithoutSnapshotsDoNotCount",
       keep(0, 0, 3, 0, 0, 0),
       {{"2026-12-10T01:00:00Z", S::completed, {"daily"}},
        {"2026-12-05T01:00:00Z", S::completed, {"daily"}},
        {"2026-11-20T01:00:00Z", S::completed, {"daily"}},
        {"2026-11-19T01:00:00Z", S::completed, kNone, false}}},
      {"HourlyBuckets",
       keep(0, 2, 0, 0, 0, 0),
       {{"2026-12-04T10:59:59Z", S::completed, {"hourly"}},
        {"2026-12-04T10:00:00Z", S::completed, kNone, false},
        {"2026-12-04T09:30:00Z", S::completed, {"hourly"}},
        {"2026-12-04T08:30:00Z", S::completed, kNone, false}}},
      {"WeeklyUsesIsoWeeksAcrossTheYearEnd",  // 2027-01-03 (Sunday) is in 2026-W53
       keep(0, 0, 0, 2, 0, 0),
       {{"2027-01-04T01:00:00Z", S::completed, {"weekly"}},
        {"2027-01-03T01:00:00Z", S::completed, {"weekly"}},
        {"2026-12-28T01:00:00Z", S::completed, kNone, false}}},
      {"WeeklyMondayStartsANewWeek",
       keep(0, 0, 0, 3, 0, 0),
       {{"2026-12-07T00:00:00Z", S::completed, {"weekly"}},    // Monday, W50
        {"2026-12-06T23:59:59Z", S::completed, {"weekly"}},    // Sunday, W49
        {"2026-11-30T00:00:00Z", S::completed, kNone, false},  // Monday, W49
        {"2026-11-29T12:00:00Z", S::completed, {"weekly"}}}},  // Sunday, W48
      {"MonthlyAndYearly",
       keep(0, 0, 0, 0, 2, 2),
       {{"2026-12-20T00:00:00Z", S::completed, {"monthly", "yearly"}},
        {"2026-12-01T00:00:00Z", S::completed, kNone, false},
        {"2026-11-15T00:00:00Z", S::completed, {"monthly"}},
        {"2025-12-31T00:00:00Z", S::completed, {"yearly"}},
        {"2025-06-01T00:00:00Z", S::completed, kNone, false}}},
      {"FewerBucketsThanAskedKeepsTheOldest",
       keep(0, 0, 0, 0, 5, 0),
       {{"2026-12-01T00:00:00Z", S::completed, {"monthly"}},
        {"2026-11-05T00:00:00Z", S::completed, {"monthly"}},
        {"2026-10-20T00:00:00Z", S::completed, {"monthly"}},
        {"2026-10-01T00:00:00Z", S::completed, {"oldest monthly"}}}},
      {"SeveralRulesListEveryReason",
       keep(1, 0, 1, 1, 0, 0, "1d"),
       {{"2026-12-04T10:00:00Z", S::completed, {"within 1d", "last", "daily", "weekly"}},
        {"2026-12-04T09:00:00Z", S::completed, {"within 1d"}},
        {"2026-12-02T10:00:00Z", S::completed, kNone, false}}},
      {"WithinIsRelativeToTheNewestSnapshotAndStrict",
       keep(0, 0, 0, 0, 0, 0, "2d"),
       {{"2026-12-10T00:00:00Z", S::completed, {"within 2d"}},
        {"2026-12-08T00:00:01Z", S::completed, {"within 2d"}},
        {"2026-12-08T00:00:00Z", S::completed, kNone, false},
        {"2026-12-01T00:00:00Z", S::completed, kNone, false}}},
      {"WithinMonthsAreCalendarMonths",  // 2026-03-31 minus 1m is 2026-03-03 (Feb 31)
       keep(0, 0, 0, 0, 0, 0, "1m"),
       {{"2026-03-31T00:00:00Z", S::completed, {"within 1m"}},
        {"2026-03-03T00:00:01Z", S::completed, {"within 1m"}},
        {"2026-03-02T23:59:59Z", S::completed, kNone, false}}},
      {"UnlimitedKeepsEveryBucket",
       keep(0, 0, -1, 0, 0, 0),
       {{"2026-12-04T10:00:00Z", S::completed, {"daily"}},
        {"2026-12-04T09:00:00Z", S::completed, kNone, false},
        {"2020-01-01T10:00:00Z", S::completed, {"daily"}}}},
      {"OnlyCompletedSnapshotsCount",
       keep(1, 0, 0, 0, 0, 0),
       {{"2026-12-04T12:00:00Z", S::running, {"running"}},
        {"2026-12-04T11:00:00Z", S::unfinished, {"unfinished, younger than 1 day"}},
        {"2026-12-02T11:00:00Z", S::unfinished, {"unfinished, older than 1 day"}, false},
        {"2026-12-01T10:00:00Z", S::completed, {"last"}},
        {"2026-11-30T10:00:00Z", S::completed, kNone, false}},
       "2026-12-04T12:30:00Z"},
      {"EmptyPolicyStillKeepsTheNewestCompleted",
       keep(0, 0, 0, 0, 0, 0),
       {{"2026-12-04T12:00:00Z", S::unfinished, {"unfinished, younger than 1 day"}},
        {"2026-12-01T10:00:00Z", S::completed, {"newest"}},
        {"2026-11-30T10:00:00Z", S::completed, kNone, false}},
       "2026-12-04T13:00:00Z"},
      {"DaysInUtcByDefault",
       keep(0, 0, 2, 0, 0, 0),
       {{"2026-12-05T00:30:00Z", S::completed, {"daily"}},
        {"2026-12-04T23:30:00Z", S::completed, {"daily"}},
        {"2026-12-04T12:00:00Z", S::completed, kNone, false}}},
      {"DaysInTheGivenTimeZone",  // UTC-1: all three fall on 2026-12-04
       keep(0, 0, 2, 0, 0, 0),
       {{"2026-12-05T00:30:00Z", S::completed, {"daily"}},
        {"2026-12-04T23:30:00Z", S::completed, kNone, false},
        {"2026-12-04T12:00:00Z", S::completed, {"oldest daily"}}},
       "2027-06-01T00:00:00Z",
       -3600},
  };
}

TEST(Retention, TableOfCases) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    std::vector<RetentionItem> items;
    for (const Snap& s : c.snaps) items.push_back({at(s.time), s.state});
    UtcOffset offset;
    if (c.offset != 0) offset = [o = c.offset](std::int64_t) { return o; };
    auto decisions = decide_retention(items, c.policy, at(c.now), offset);
    ASSERT_EQ(decisions.size(), c.snaps.size());
    for (std::size_t i = 0; i < c.snaps.size(); ++i) {
      SCOPED_TRACE(c.snaps[i].time);
      EXPECT_EQ(decisions[i].keep, c.snaps[i].keep);
      EXPECT_EQ(decisions[i].reasons, c.snaps[i].expect);
    }
  }
}

TEST(Retention, TheNewestCompletedIsKeptByEveryNonEmptyPolicy) {
  std::vector<RetentionItem> items = {{at("2026-12-04T10:00:00Z")}, {at("2020-12-04T10:00:00Z")}};
  for (const RetentionPolicy& p : {keep(0, 1, 0, 0, 0, 0), keep(0, 0, 0, 0, 0, 1),
                                   keep(0, 0, 0, 0, 0, 0, "1h"), keep(1, 0, 0, 0, 0, 0)})
    EXPECT_TRUE(decide_retention(items, p, at("2027-01-01T00:00:00Z"))[0].keep);
}

TEST(Retention, NoSnapshotsNoDecisions) {
  EXPECT_TRUE(decide_retention({}, keep(1, 0, 0, 0, 0, 0), 0).empty());
}

TEST(CalendarDuration, ParsesUnits) {
  auto d = parse_calendar_duration("30d");
  EXPECT_EQ(d.days, 30);
  EXPECT_EQ(parse_calendar_duration("2w").days, 14);
  EXPECT_EQ(parse_calendar_duration("12h").hours, 12);
  EXPECT_EQ(parse_calendar_duration("1y").years, 1);
  d = parse_calendar_duration("1y6m2w3d4h");
  EXPECT_EQ(d.years, 1);
  EXPECT_EQ(d.months, 6);
  EXPECT_EQ(d.days, 17);
  EXPECT_EQ(d.hours, 4);
  EXPECT_EQ(to_string(d), "1y6m17d4h");
  EXPECT_EQ(to_string(CalendarDuration{}), "0h");
}

TEST(CalendarDuration, RefusesMalformedTextNamingIt) {
  for (const char* bad : {"", "30", "30x", "d", "1d1d", "-1d", "1.5d", "30 d"}) {
    try {
      parse_calendar_duration(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_NE(std::string(e.what()).find(std::string("duration \"") + bad + "\""),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace dbsnap
