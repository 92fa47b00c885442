// Cron schedules: when a job runs, as crontab(5) of cronie / Vixie cron says.
//
// Syntax (crontab(5) of cronie 1.6, which keeps Vixie cron 4.1's rules):
//   five fields separated by blanks: minute (0-59), hour (0-23),
//   day-of-month (1-31), month (1-12 or jan-dec), day-of-week (0-7 or
//   sun-sat; 0 and 7 are Sunday). Names are three letters, any case.
//   A field is a comma-separated list of items; an item is a number or name,
//   a range `a-b` (a <= b), `*` (the whole range), and a range or `*` may take
//   a step: `*/15`, `1-5/2` (every second value from a). A step after a single
//   number (`5/10`) is refused, as Vixie cron does.
//   Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *",
//   @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
//   @hourly = "0 * * * *". @reboot is refused (it names no time).
//
// The day rule (Vixie cron's entry.c / cron.c, kept by cronie): a field is
// "restricted" unless its text starts with '*'. When both day-of-month and
// day-of-week are restricted, a day matches if EITHER matches ("0 0 13 * 5"
// runs on every 13th and every Friday); otherwise a day must match both
// ("0 0 */2 * 1" runs on odd days that are Mondays).
//
// Time zone: fields are read as wall-clock time in an IANA zone (default UTC),
// from the system tz database (/usr/share/zoneinfo through Howard Hinnant's
// date/tz library). Daylight-saving changes follow cronie's cron(8), "Special
// considerations exist when the clock is changed by less than 3 hours":
//   - a "fixed-time" job is one whose minute and hour fields both do not start
//     with '*' (cronie's MIN_STAR / HR_STAR flags; @hourly is not fixed-time);
//   - a wall-clock time skipped by a jump forward: a fixed-time job due then
//     runs once, at the instant of the jump (e.g. "30 2 * * *" in
//     Europe/Paris on 2026-03-29 runs at 03:00 CEST = 01:00 UTC);
//   - a wall-clock time repeated by a jump back: a fixed-time job runs only at
//     its first occurrence ("30 2 * * *" on 2026-10-25 runs at 02:30 CEST);
//   - other jobs follow the wall clock: none in a skipped hour, both passes
//     of a repeated hour.
//   cronie applies the fixed-time rule only to changes under 3 hours; here it
//   applies to every change (the longer ones are date-line moves, such as
//   Pacific/Apia skipping 2011-12-30).
//
// Runs fall on whole minutes of the zone's local time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace dbsnap {

// A parsed, validated schedule. Immutable once parsed: every method is const
// and safe to call from several threads at once; copies are cheap.
class Schedule {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // Parses a five-field expression or macro, read in time_zone (an IANA name
  // such as "Europe/Paris"; "" means "UTC").
  // Throws dbsnap::Error(ExitCode::usage), one line naming the field and the
  // reason, e.g.
  //   schedule "61 2 * * *": minute 61 is out of 0-59
  //   schedule "0 0 30 2 *": day-of-month "30" never occurs in month "2"
  //   time zone "Europe/Pari" is not known (see /usr/share/zoneinfo)
  // A schedule that parses runs at least once every 8 years (Feb 29).
  static Schedule parse(std::string_view expression, std::string_view time_zone = "UTC");

  // The first run strictly after t. Times are UTC instants (system_clock);
  // runs are whole minutes of the zone's wall clock, so a result is always
  // after t by at least its sub-minute part (next_after(02:30:00) is never
  // 02:30:00). Defined for t and results within system_clock's range
  // (until year 2262).
  time_point next_after(time_point t) const;

  // The last run at or before t, for catching up a missed run; nullopt when
  // there is none in the 30 years before t.
  std::optional<time_point> last_at_or_before(time_point t) const;

  // Seconds east of UTC of the schedule's zone at a UTC instant (seconds
  // since the epoch): the UtcOffset retention reads days and weeks in.
  std::int64_t utc_offset(std::int64_t unix_seconds) const;

  // Short English for `dbsnap jobs`: "at 02:30 every day (Europe/Paris)",
  // "every 15 minutes", "at 04:00 on Monday", "every hour at :05",
  // "at 00:00 on day 1 of January". The zone is named unless it is UTC. Forms
  // without a simple phrase (steps in days, "1-5/2 3 * * *") fall back to the
  // expression: "1-5/2 3 * * * (Europe/Paris)".
  std::string describe() const;

  // The text given to parse(), and the time zone's name as given ("UTC" for "").
  const std::string& expression() const { return expression_; }
  const std::string& time_zone() const { return zone_name_; }

 private:
  // Local times below are counted from 1970-01-01 00:00 of the zone's wall clock.
  bool day_matches(std::chrono::days days_since_epoch) const;
  std::optional<int> first_minute_of_day(int from_minute) const;
  std::optional<std::chrono::minutes> first_local(std::chrono::minutes from,
                                                  std::chrono::seconds before) const;
  std::optional<std::string> describe_time() const;
  std::optional<std::string> describe_days() const;

  std::string expression_;
  std::string zone_name_;
  const date::time_zone* zone_ = nullptr;  // owned by the tz database, lives forever
  std::string fields_[5];                  // the five field texts, after macro expansion
  // Bit v is set when value v matches. Day-of-week folds 7 into 0.
  std::uint64_t minutes_ = 0, hours_ = 0, days_ = 0, months_ = 0, weekdays_ = 0;
  bool days_star_ = false, weekdays_star_ = false;  // field text starts with '*'
  bool fixed_time_ = false;                         // minute and hour both restricted
};

}  // namespace dbsnap
