// Schedule: cron syntax and its refusals, the day-of-month / day-of-week
// rule, time zones and DST, descriptions, and next runs checked against
// Schedule::Cron::Events (Perl, cron_oracle.pl) on generated expressions.
#include "engine/cron.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "engine/error.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

using namespace std::chrono;
using Time = Schedule::time_point;

// "2026-03-29T01:00" or "2026-03-29T01:00:30" in UTC.
Time utc(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  EXPECT_GE(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s), 5) << text;
  return sys_days{year{y} / mo / d} + hours(h) + minutes(mi) + seconds(s);
}

std::string utc_text(Time t) { return fmt::format("{:%Y-%m-%dT%H:%M}", floor<seconds>(t)); }

// The first n runs after start, as UTC text.
std::vector<std::string> runs(const std::string& expression, const std::string& zone,
                              const std::string& start, int n) {
  auto schedule = Schedule::parse(expression, zone);
  std::vector<std::string> out;
  for (Time t = utc(start); n-- > 0;) {
    t = schedule.next_after(t);
    out.push_back(utc_text(t));
  }
  return out;
}

using Runs = std::vector<std::string>;

// The message of the usage error parse() throws; a test failure if none.
std::string refusal(const std::string& expression, const std::string& zone = "UTC") {
  try {
    Schedule::parse(expression, zone);
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(ExitCode::usage)) << expression;
    return e.what();
  }
  ADD_FAILURE() << "\"" << expression << "\" parsed, expected a usage error";
  return {};
}

TEST(Schedule, StepsRangesAndLists) {
  EXPECT_EQ(runs("*/15 * * * *", "UTC", "2026-06-01T10:07", 4),
            (Runs{"2026-06-01T10:15", "2026-06-01T10:30", "2026-06-01T10:45", "2026-06-01T11:00"}));
  EXPECT_EQ(runs("1-5/2 3 * * *", "UTC", "2026-06-01T00:00", 4),
            (Runs{"2026-06-01T03:01", "2026-06-01T03:03", "2026-06-01T03:05", "2026-06-02T03:01"}));
  EXPECT_EQ(runs("5,10-12 1 * * *", "UTC", "2026-06-01T00:00", 5),
            (Runs{"2026-06-01T01:05", "2026-06-01T01:10", "2026-06-01T01:11", "2026-06-01T01:12",
                  "2026-06-02T01:05"}));
  EXPECT_EQ(runs("0 0 1 */5 *", "UTC", "2026-01-01T00:00", 3),
            (Runs{"2026-06-01T00:00", "2026-11-01T00:00", "2027-01-01T00:00"}));
}

TEST(Schedule, NextRunIsStrictlyAfterAndOnWholeMinutes) {
  auto daily = Schedule::parse("30 2 * * *");
  EXPECT_EQ(daily.next_after(utc("2026-06-01T02:29:59")), utc("2026-06-01T02:30"));
  EXPECT_EQ(daily.next_after(utc("2026-06-01T02:30")), utc("2026-06-02T02:30"));
  EXPECT_EQ(daily.next_after(utc("2026-06-01T02:30") + milliseconds(1)), utc("2026-06-02T02:30"));
  EXPECT_EQ(daily.next_after(utc("2026-12-31T03:00")), utc("2027-01-01T02:30"));
}

// The same runs for two spellings: names, 7 for Sunday, macros.
void expect_same_runs(const std::string& a, const std::string& b) {
  for (const char* start : {"2026-01-01T00:00", "2027-07-15T12:34", "2028-02-28T23:59"}) {
    EXPECT_EQ(runs(a, "UTC", start, 12), runs(b, "UTC", start, 12)) << a << " vs " << b;
  }
}

TEST(Schedule, NamesAreNumbersInAnyCase) {
  expect_same_runs("0 4 * jan,JUL Mon", "0 4 * 1,7 1");
  expect_same_runs("0 0 * * mon-fri", "0 0 * * 1-5");
  expect_same_runs("0 0 * Mar-Dec/3 SAT", "0 0 * 3-12/3 6");
}

TEST(Schedule, SundayIsZeroAndSeven) {
  expect_same_runs("0 0 * * 7", "0 0 * * 0");
  expect_same_runs("0 0 * * 5-7", "0 0 * * 0,5,6");
  expect_same_runs("0 0 * * sun", "0 0 * * 7");
}

TEST(Schedule, MacrosAreTheirExpansions) {
  expect_same_runs("@yearly", "0 0 1 1 *");
  expect_same_runs("@annually", "0 0 1 1 *");
  expect_same_runs("@monthly", "0 0 1 * *");
  expect_same_runs("@weekly", "0 0 * * 0");
  expect_same_runs("@daily", "0 0 * * *");
  expect_same_runs("@midnight", "0 0 * * *");
  expect_same_runs("@hourly", "0 * * * *");
}

TEST(Schedule, RestrictedDayOfMonthOrDayOfWeekMatches) {
  // Both restricted: every 13th and every Friday (2026-04-13 is a Monday).
  EXPECT_EQ(runs("0 0 13 * 5", "UTC", "2026-04-01T00:00", 6),
            (Runs{"2026-04-03T00:00", "2026-04-10T00:00", "2026-04-13T00:00", "2026-04-17T00:00",
                  "2026-04-24T00:00", "2026-05-01T00:00"}));
  // 1-31 does not start with '*': with a day-of-week, every day matches.
  EXPECT_EQ(runs("0 0 1-31 * 1", "UTC", "2026-04-01T00:00", 2),
            (Runs{"2026-04-02T00:00", "2026-04-03T00:00"}));
}

TEST(Schedule, StarDayFieldMakesBothMatch) {
  // "*/2" starts with '*': odd days that are also Mondays.
  EXPECT_EQ(runs("0 0 */2 * 1", "UTC", "2026-01-01T00:00", 5),
            (Runs{"2026-01-05T00:00", "2026-01-19T00:00", "2026-02-09T00:00", "2026-02-23T00:00",
                  "2026-03-09T00:00"}));
  // "*/1" is every day, so only the Mondays remain.
  expect_same_runs("0 0 */1 * 1", "0 0 * * 1");
  expect_same_runs("0 0 1 * */1", "0 0 1 * *");
}

TEST(Schedule, February29RunsInLeapYearsOnly) {
  EXPECT_EQ(runs("0 0 29 2 *", "UTC", "2025-01-01T00:00", 3),
            (Runs{"2028-02-29T00:00", "2032-02-29T00:00", "2036-02-29T00:00"}));
  // 2100 is not a leap year: eight years from 2096 to 2104.
  EXPECT_EQ(runs("0 0 29 2 *", "UTC", "2096-03-01T00:00", 1), (Runs{"2104-02-29T00:00"}));
  // 2000 is one.
  EXPECT_EQ(runs("0 12 29 feb *", "UTC", "1999-01-01T00:00", 1), (Runs{"2000-02-29T12:00"}));
  // Day 31 only in months that have it.
  EXPECT_EQ(runs("0 0 31 * *", "UTC", "2026-01-31T12:00", 3),
            (Runs{"2026-03-31T00:00", "2026-05-31T00:00", "2026-07-31T00:00"}));
}

TEST(Schedule, RefusesEachKindOfMistakeNamingFieldAndReason) {
  struct Case {
    const char* expression;
    const char* reason;
  };
  const Case cases[] = {
      {"61 2 * * *", "minute 61 is out of 0-59"},
      {"0 24 * * *", "hour 24 is out of 0-23"},
      {"0 0 0 * *", "day-of-month 0 is out of 1-31"},
      {"0 0 * 13 *", "month 13 is out of 1-12"},
      {"0 0 * * 8", "day-of-week 8 is out of 0-7"},
      {"99999999999 * * * *", "minute 99999999999 is out of 0-59"},
      {"0 0 * * moon", "day-of-week \"moon\" is not a number or a name (sun-sat)"},
      {"0 0 * janu *", "month \"janu\" is not a number or a name (jan-dec)"},
      {"x * * * *", "minute \"x\" is not a number"},
      {"-5 * * * *", "minute \"\" is not a number"},
      {"*/0 * * * *", "minute step 0 is out of 1-59"},
      {"0 */25 * * *", "hour step 25 is out of 1-23"},
      {"*/x * * * *", "minute step \"x\" is not a number"},
      {"0 0 * * 1-5/mon", "day-of-week step \"mon\" is not a number"},
      {"5/10 * * * *", "minute \"5/10\" needs a range or * before the step (such as 5-59/10)"},
      {"0 20-4 * * *", "hour range 20-4 runs backwards (split it: 20-23,0-4)"},
      {"1,,2 * * * *", "minute list \"1,,2\" has an empty item"},
      {"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"0 0 * * * /bin/true",
       "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
      {"@fortnightly",
       "\"@fortnightly\" is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
       "@hourly"},
      {"@reboot",
       "\"@reboot\" is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
       "@hourly"},
      {"0 0 30 2 *", "day-of-month \"30\" never occurs in month \"2\""},
      {"0 0 31 apr,jun,sep,nov *", "day-of-month \"31\" never occurs in month \"apr,jun,sep,nov\""},
      {"0 0 30,31 feb */2", "day-of-month \"30,31\" never occurs in month \"feb\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(refusal(c.expression), fmt::format("schedule \"{}\": {}", c.expression, c.reason));
  }
  // With a restricted day-of-week, February 30 is just never chosen.
  EXPECT_EQ(runs("0 0 30 2 1", "UTC", "2026-01-01T00:00", 1), (Runs{"2026-02-02T00:00"}));
}

TEST(Schedule, RefusesUnknownTimeZone) {
  EXPECT_EQ(refusal("0 0 * * *", "Europe/Pari"),
            "time zone \"Europe/Pari\" is not known (see /usr/share/zoneinfo)");
  EXPECT_EQ(refusal("0 0 * * *", "../../etc/passwd"),
            "time zone \"../../etc/passwd\" is not known (see /usr/share/zoneinfo)");
  EXPECT_EQ(Schedule::parse("0 0 * * *", "").time_zone(), "UTC");
}

TEST(Schedule, FieldsAreWallClockTimeInTheZone) {
  // Paris is UTC+1 in winter, UTC+2 in summer.
  EXPECT_EQ(runs("30 2 * * *", "Europe/Paris", "2026-01-10T00:00", 1), (Runs{"2026-01-10T01:30"}));
  EXPECT_EQ(runs("30 2 * * *", "Europe/Paris", "2026-07-10T00:00", 1), (Runs{"2026-07-10T00:30"}));
  // Kolkata is UTC+05:30.
  EXPECT_EQ(runs("0 0 * * *", "Asia/Kolkata", "2026-07-10T00:00", 1), (Runs{"2026-07-10T18:30"}));
}

// Europe/Paris 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
TEST(Schedule, SkippedHourRunsFixedTimeJobOnceAtTheJumpInParis) {
  EXPECT_EQ(runs("30 2 * * *", "Europe/Paris", "2026-03-28T12:00", 2),
            (Runs{"2026-03-29T01:00", "2026-03-30T00:30"}));
  // Two skipped times, one run.
  EXPECT_EQ(runs("0,30 2 * * *", "Europe/Paris", "2026-03-28T12:00", 3),
            (Runs{"2026-03-29T01:00", "2026-03-30T00:00", "2026-03-30T00:30"}));
  // 03:00 exists; 01:59 CET is just before the jump.
  EXPECT_EQ(runs("0 3 * * *", "Europe/Paris", "2026-03-28T12:00", 1), (Runs{"2026-03-29T01:00"}));
  EXPECT_EQ(runs("59 1 * * *", "Europe/Paris", "2026-03-28T12:00", 1), (Runs{"2026-03-29T00:59"}));
}

TEST(Schedule, SkippedHourHasNoWildcardRunsInParis) {
  // Wildcard hour: 01:30 CET, then 03:30 CEST; no 02:30.
  EXPECT_EQ(runs("30 * * * *", "Europe/Paris", "2026-03-29T00:00", 2),
            (Runs{"2026-03-29T00:30", "2026-03-29T01:30"}));
  // Wildcard minute in hour 2: nothing on the day hour 2 does not exist.
  EXPECT_EQ(runs("*/30 2 * * *", "Europe/Paris", "2026-03-28T23:00", 1),
            (Runs{"2026-03-30T00:00"}));
  // Every 15 minutes keeps its pace in UTC across the jump.
  EXPECT_EQ(runs("*/15 * * * *", "Europe/Paris", "2026-03-29T00:40", 3),
            (Runs{"2026-03-29T00:45", "2026-03-29T01:00", "2026-03-29T01:15"}));
}

// Europe/Paris 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC.
TEST(Schedule, RepeatedHourRunsFixedTimeJobOnceInParis) {
  EXPECT_EQ(runs("30 2 * * *", "Europe/Paris", "2026-10-24T12:00", 2),
            (Runs{"2026-10-25T00:30", "2026-10-26T01:30"}));
  // Starting inside the second pass does not bring the run back.
  EXPECT_EQ(runs("30 2 * * *", "Europe/Paris", "2026-10-25T01:10", 1), (Runs{"2026-10-26T01:30"}));
}

TEST(Schedule, RepeatedHourRunsWildcardJobsTwiceInParis) {
  EXPECT_EQ(runs("30 * * * *", "Europe/Paris", "2026-10-25T00:00", 3),
            (Runs{"2026-10-25T00:30", "2026-10-25T01:30", "2026-10-25T02:30"}));
  EXPECT_EQ(runs("*/30 2 * * *", "Europe/Paris", "2026-10-24T23:50", 5),
            (Runs{"2026-10-25T00:00", "2026-10-25T00:30", "2026-10-25T01:00", "2026-10-25T01:30",
                  "2026-10-26T01:00"}));
}

// America/New_York 2026: 02:00 EST -> 03:00 EDT on 03-08 at 07:00 UTC;
// 02:00 EDT -> 01:00 EST on 11-01 at 06:00 UTC.
TEST(Schedule, DaylightSavingInNewYork) {
  EXPECT_EQ(runs("30 2 * * *", "America/New_York", "2026-03-07T12:00", 2),
            (Runs{"2026-03-08T07:00", "2026-03-09T06:30"}));
  EXPECT_EQ(runs("30 1 * * *", "America/New_York", "2026-10-31T12:00", 2),
            (Runs{"2026-11-01T05:30", "2026-11-02T06:30"}));
  EXPECT_EQ(runs("@hourly", "America/New_York", "2026-11-01T03:30", 4),
            (Runs{"2026-11-01T04:00", "2026-11-01T05:00", "2026-11-01T06:00", "2026-11-01T07:00"}));
  EXPECT_EQ(runs("@hourly", "America/New_York", "2026-03-08T05:30", 3),
            (Runs{"2026-03-08T06:00", "2026-03-08T07:00", "2026-03-08T08:00"}));
}

TEST(Schedule, LastRunAtOrBefore) {
  auto daily = Schedule::parse("30 2 * * *");
  EXPECT_EQ(daily.last_at_or_before(utc("2026-06-01T02:30")), utc("2026-06-01T02:30"));
  EXPECT_EQ(daily.last_at_or_before(utc("2026-06-01T02:29:59")), utc("2026-05-31T02:30"));
  EXPECT_EQ(Schedule::parse("0 0 29 2 *").last_at_or_before(utc("2027-01-01T00:00")),
            utc("2024-02-29T00:00"));
  auto paris = Schedule::parse("30 2 * * *", "Europe/Paris");
  EXPECT_EQ(paris.last_at_or_before(utc("2026-03-29T01:30")), utc("2026-03-29T01:00"));
  EXPECT_EQ(paris.last_at_or_before(utc("2026-10-25T01:45")), utc("2026-10-25T00:30"));
  EXPECT_EQ(Schedule::parse("* * * * *").last_at_or_before(utc("2026-06-01T10:00:30")),
            utc("2026-06-01T10:00"));
}

TEST(Schedule, DescribesCommonFormsInWords) {
  struct Case {
    const char* expression;
    const char* zone;
    const char* words;
  };
  const Case cases[] = {
      {"30 2 * * *", "Europe/Paris", "at 02:30 every day (Europe/Paris)"},
      {"*/15 * * * *", "UTC", "every 15 minutes"},
      {"* * * * *", "UTC", "every minute"},
      {"0 4 * * 1", "UTC", "at 04:00 on Monday"},
      {"0 4 * * mon-fri", "UTC", "at 04:00 on Monday to Friday"},
      {"0 4 * * 0,6", "UTC", "at 04:00 on Sunday and Saturday"},
      {"0 6,18 * * *", "UTC", "at 06:00 and 18:00 every day"},
      {"5 * * * *", "UTC", "every hour at :05"},
      {"@hourly", "UTC", "every hour at :00"},
      {"0 */6 * * *", "UTC", "every 6 hours at :00"},
      {"@yearly", "UTC", "at 00:00 on day 1 of January"},
      {"@monthly", "UTC", "at 00:00 on day 1 of the month"},
      {"0 3 1,15 * *", "UTC", "at 03:00 on days 1 and 15 of the month"},
      {"0 3 * 1-3 *", "UTC", "at 03:00 every day in January to March"},
      {"0 3 * jul 5", "UTC", "at 03:00 on Friday in July"},
      {"0 0 13 * 5", "UTC", "at 00:00 on day 13 of the month and every Friday"},
      // No simple phrase: the expression itself.
      {"1-5/2 3 * * *", "Europe/Paris", "1-5/2 3 * * * (Europe/Paris)"},
      {"*/7 * * * *", "UTC", "*/7 * * * *"},
      {"0 0 */2 * 1", "UTC", "0 0 */2 * 1"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Schedule::parse(c.expression, c.zone).describe(), c.words) << c.expression;
  }
}

// ---- Cross-check against Schedule::Cron::Events -------------------------
//
// The generated expressions keep to what crontab(5) and the Perl module agree
// on, avoiding these quirks of Schedule::Cron::Events 1.96 / Set::Crontab 1.03:
// - it expands "*/N" over 0-31 in day-of-month and 0-12 in month, then drops
//   0 ("*/2" gives 2,4,... where cron gives 1,3,...): no "*/N" there;
// - it applies the OR rule unless a day field is exactly "*", where cron asks
//   whether it starts with '*': "*/N" in day-of-week only with day-of-month "*";
// - lists keep duplicate values and then run twice: list items are disjoint;
// - it knows no names: names are written for our side only.
// Day-of-week 7 and the OR rule of two restricted day fields are covered.

struct Generated {
  std::string ours;    // may use names
  std::string theirs;  // numbers only
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  Generated expression() {
    Generated g;
    auto add = [&](const std::pair<std::string, std::string>& field) {
      g.ours += (g.ours.empty() ? "" : " ") + field.first;
      g.theirs += (g.theirs.empty() ? "" : " ") + field.second;
    };
    add(field(0, 59, true, {}));
    add(field(0, 23, true, {}));
    auto dom = field(1, 31, false, {});
    add(dom);
    add(field(1, 12, false, kMonths));
    add(field(0, 7, dom.second == "*", kDays));
    return g;
  }

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  seconds between(seconds a, seconds b) {
    return seconds(std::uniform_int_distribution<std::int64_t>(a.count(), b.count())(random_));
  }

 private:
  static constexpr const char* kMonths[13] = {"",    "jan", "feb", "mar", "apr", "may", "jun",
                                              "jul", "aug", "sep", "oct", "nov", "dec"};
  static constexpr const char* kDays[8] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", ""};

  // A value, named on our side half the time when names are given.
  std::string value(int v, std::span<const char* const> names, bool ours) {
    bool named = ours && !names.empty() && names[v][0] != '\0' && below(2) == 0;
    if (!named) return std::to_string(v);
    std::string name = names[v];
    if (below(2) == 0) name[0] = static_cast<char>(std::toupper(name[0]));
    return name;
  }

  // One field as (ours, theirs).
  std::pair<std::string, std::string> field(int low, int high, bool star_step,
                                            std::span<const char* const> names) {
    int kind = below(10);
    if (kind < 3) return {"*", "*"};
    if (kind < 5 && star_step) {
      auto s = fmt::format("*/{}", 1 + below(std::min(high, 20)));
      return {s, s};
    }
    // A list of one to three disjoint items, in random order.
    int count = kind < 8 ? 1 : 2 + below(2);
    std::vector<std::pair<std::string, std::string>> items;
    std::uint64_t used = 0;
    for (int tries = 0; static_cast<int>(items.size()) < count && tries < 20; ++tries) {
      int a = low + below(high - low + 1);
      int b = below(3) == 0 ? a : a + below(high - a + 1);
      int step = b > a && below(2) == 0 ? 1 + below(b - a) : 1;
      std::uint64_t mask = 0;
      for (int v = a; v <= b; v += step) mask |= std::uint64_t{1} << v;
      if ((mask & used) != 0) continue;
      used |= mask;
      std::string suffix = step > 1 ? fmt::format("/{}", step) : "";
      auto render = [&](bool ours) {
        return (a == b ? value(a, names, ours)
                       : value(a, names, ours) + "-" + value(b, names, ours)) +
               suffix;
      };
      items.emplace_back(render(true), render(false));
    }
    std::pair<std::string, std::string> out;
    for (const auto& [ours, theirs] : items) {
      out.first += (out.first.empty() ? "" : ",") + ours;
      out.second += (out.second.empty() ? "" : ",") + theirs;
    }
    return out;
  }

  std::mt19937_64 random_;
};

TEST(Schedule, NextRunsAgreeWithScheduleCronEvents) {
  constexpr int kExpressions = 3000;
  constexpr int kStartsEach = 2;
  constexpr int kRuns = 5;
  // Start times from 2000 to 2060: the Perl module reads years before 2000
  // through Time::Local's two-digit years (1971 as 2071), gives up on an
  // expression after 5 years without a run, and Feb 29 skips 2100.
  const seconds first = floor<seconds>(utc("2000-01-01T00:00").time_since_epoch());
  const seconds last = floor<seconds>(utc("2060-01-01T00:00").time_since_epoch());

  Generator generator(20261204);
  struct Line {
    std::string expression;  // ours
    std::string theirs;
    seconds start;
  };
  std::vector<Line> lines;
  std::ostringstream input;
  int refused = 0;
  while (static_cast<int>(lines.size()) < kExpressions * kStartsEach) {
    auto g = generator.expression();
    try {
      Schedule::parse(g.ours);
    } catch (const Error& e) {
      // Only day-of-month / month pairs that never meet may be refused.
      ASSERT_NE(std::string(e.what()).find("never occurs in month"), std::string::npos) << e.what();
      ++refused;
      continue;
    }
    for (int i = 0; i < kStartsEach; ++i) {
      seconds start = generator.between(first, last);
      // Half of the starts on a whole hour, often a run itself.
      if (generator.below(2) == 0) start = floor<hours>(start);
      lines.push_back({g.ours, g.theirs, start});
      input << g.theirs << '\t' << start.count() << '\t' << kRuns << '\n';
    }
  }

  test::ScratchDir dir;
  auto in = dir.path() / "oracle.in";
  std::ofstream(in) << input.str();
  auto script = test::source_dir() / "tests/engine/cron_oracle.pl";
  auto result = test::run_shell(fmt::format("perl {} < {}", test::shell_quote(script.string()),
                                            test::shell_quote(in.string())));
  ASSERT_EQ(result.exit_code, 0)
      << "needs perl and libschedule-cron-events-perl (tools/install-deps.sh): "
      << result.describe();

  std::istringstream out(result.out);
  std::string answer;
  int compared = 0;
  int mismatches = 0;
  for (const auto& line : lines) {
    ASSERT_TRUE(std::getline(out, answer)) << "the oracle stopped before " << line.theirs;
    auto schedule = Schedule::parse(line.expression);
    std::string ours;
    Time t{line.start};
    for (int i = 0; i < kRuns; ++i) {
      t = schedule.next_after(t);
      ours += fmt::format("{}{}", i == 0 ? "" : " ", floor<seconds>(t).time_since_epoch().count());
    }
    ++compared;
    if (ours != answer && ++mismatches <= 10) {
      ADD_FAILURE() << "\"" << line.expression << "\" (oracle: \"" << line.theirs << "\") after "
                    << utc_text(Time(line.start)) << ":\n  ours:   " << ours
                    << "\n  oracle: " << answer;
    }
    // The run found is the last at or before itself, and the first is after start.
    auto first_run = schedule.next_after(Time(line.start));
    EXPECT_EQ(schedule.last_at_or_before(first_run), first_run) << line.expression;
    EXPECT_LE(schedule.last_at_or_before(first_run - seconds(1)).value_or(Time{}), Time(line.start))
        << line.expression;
  }
  EXPECT_EQ(mismatches, 0) << "of " << compared << " lines";
  EXPECT_EQ(compared, kExpressions * kStartsEach);
  // Some generated day-of-month / month pairs never meet; far from most.
  EXPECT_LT(refused, kExpressions / 10);
}

}  // namespace
}  // namespace dbsnap
