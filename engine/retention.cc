#include "engine/retention.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <numeric>

#include "engine/error.h"

namespace dbsnap {
namespace {

constexpr std::int64_t kDay = 86400;

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && a < 0); }

// The bucket of a local time for each calendar rule, as restic numbers them.
struct Buckets {
  std::int64_t hour, day, week, month, year;
};

Buckets buckets_of(std::int64_t local) {
  const std::int64_t days = floor_div(local, kDay);
  const Civil c = civil_from_days(days);
  const std::int64_t ymd = c.year * 10000 + std::int64_t{c.month} * 100 + c.day;
  // ISO 8601 week: the week (Monday first) belongs to the year of its Thursday.
  const std::int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 0 = Monday; 1970-01-01 was a Thursday
  const std::int64_t thursday = days - weekday + 3;
  const std::int64_t iso_year = civil_from_days(thursday).year;
  const std::int64_t week = (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
  return {ymd * 100 + (local - days * kDay) / 3600, ymd, iso_year * 100 + week,
          c.year * 100 + c.month, c.year};
}

}  // namespace

std::int64_t calendar_minus(std::int64_t reference, const CalendarDuration& d) {
  const std::int64_t days = floor_div(reference, kDay);
  const std::int64_t second_of_day = reference - days * kDay;
  const Civil c = civil_from_days(days);
  std::int64_t months = c.year * 12 + (c.month - 1) - std::int64_t{d.years} * 12 - d.months;
  const std::int64_t year = floor_div(months, 12);
  const auto month = static_cast<unsigned>(months - year * 12 + 1);
  const std::int64_t day = days_from_civil(year, month, 1) + (c.day - 1) - d.days;
  return day * kDay + second_of_day - std::int64_t{d.hours} * 3600;
}

CalendarDuration parse_calendar_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(ExitCode::usage,
                 fmt::format("duration \"{}\" {}: use numbers with units y, m (months), w, d or h, "
                             "e.g. 30d, 12h, 2w, 1y or 1y6m",
                             text, why));
  };
  if (text.empty()) throw bad("is empty");
  CalendarDuration d;
  std::string seen;
  std::size_t at = 0;
  while (at < text.size()) {
    int n = 0;
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0)
      throw bad(fmt::format("has no number at '{}'", text.substr(at)));
    at = static_cast<std::size_t>(end - text.data());
    if (at == text.size()) throw bad(fmt::format("lacks a unit after {}", n));
    const char unit = text[at++];
    if (seen.find(unit) != std::string::npos) throw bad(fmt::format("gives unit '{}' twice", unit));
    seen += unit;
    switch (unit) {
      case 'y':
        d.years = n;
        break;
      case 'm':
        d.months = n;
        break;
      case 'w':
        d.days += 7 * n;
        break;
      case 'd':
        d.days += n;
        break;
      case 'h':
        d.hours = n;
        break;
      default:
        throw bad(fmt::format("has unknown unit '{}'", unit));
    }
  }
  return d;
}

std::string to_string(const CalendarDuration& d) {
  std::string s;
  if (d.years != 0) s += fmt::format("{}y", d.years);
  if (d.months != 0) s += fmt::format("{}m", d.months);
  if (d.days != 0) s += fmt::format("{}d", d.days);
  if (d.hours != 0 || s.empty()) s += fmt::format("{}h", d.hours);
  return s;
}

bool RetentionPolicy::empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.zero();
}

std::vector<RetentionDecision> decide_retention(std::span<const RetentionItem> items,
                                                const RetentionPolicy& policy, std::int64_t now,
                                                const UtcOffset& utc_offset) {
  std::vector<RetentionDecision> out(items.size());
  std::vector<std::size_t> completed;  // indices, newest first
  for (std::size_t i = 0; i < items.size(); ++i) {
    switch (items[i].state) {
      case RetentionState::completed:
        completed.push_back(i);
        break;
      case RetentionState::running:
        out[i] = {true, {"running"}};
        break;
      case RetentionState::unfinished:
        out[i] = now - items[i].time < kUnfinishedGraceSeconds
                     ? RetentionDecision{true, {"unfinished, younger than 1 day"}}
                     : RetentionDecision{false, {"unfinished, older than 1 day"}};
        break;
    }
  }
  if (completed.empty()) return out;
  std::stable_sort(completed.begin(), completed.end(),
                   [&](std::size_t a, std::size_t b) { return items[a].time > items[b].time; });

  struct Rule {
    const char* name;
    int count;                      // left to keep; < 0 unlimited
    std::int64_t Buckets::*bucket;  // null: every snapshot is its own bucket (last)
    std::int64_t last_bucket = 0;
    bool any = false;
  };
  std::array<Rule, 6> rules{{{"last", policy.last, nullptr},
                             {"hourly", policy.hourly, &Buckets::hour},
                             {"daily", policy.daily, &Buckets::day},
                             {"weekly", policy.weekly, &Buckets::week},
                             {"monthly", policy.monthly, &Buckets::month},
                             {"yearly", policy.yearly, &Buckets::year}}};
  const std::int64_t newest = items[completed.front()].time;
  const std::int64_t within_after =
      policy.within.zero() ? 0 : calendar_minus(newest, policy.within);
  const std::string within_reason = fmt::format("within {}", to_string(policy.within));

  for (std::size_t nr = 0; nr < completed.size(); ++nr) {
    const std::int64_t t = items[completed[nr]].time;
    RetentionDecision& d = out[completed[nr]];
    const Buckets b = buckets_of(t + (utc_offset ? utc_offset(t) : 0));
    if (!policy.within.zero() && t > within_after) d.reasons.push_back(within_reason);
    for (Rule& r : rules) {
      if (r.count == 0) continue;
      const std::int64_t value = r.bucket == nullptr ? static_cast<std::int64_t>(nr) : b.*r.bucket;
      if (r.any && value == r.last_bucket) continue;
      r.any = true;
      r.last_bucket = value;
      if (r.count > 0) --r.count;
      d.reasons.push_back(r.name);
    }
  }
  // Fewer buckets than asked for: the oldest snapshot stands for the rest (restic 0.17).
  RetentionDecision& oldest = out[completed.back()];
  for (const Rule& r : rules)
    if (r.bucket != nullptr && r.count > 0 &&
        std::find(oldest.reasons.begin(), oldest.reasons.end(), r.name) == oldest.reasons.end())
      oldest.reasons.push_back(fmt::format("oldest {}", r.name));
  RetentionDecision& first = out[completed.front()];
  if (first.reasons.empty()) first.reasons.push_back("newest");
  for (std::size_t i : completed) {
    out[i].keep = !out[i].reasons.empty();
    if (!out[i].keep) out[i].reasons.push_back("no rule keeps it");
  }
  return out;
}

}  // namespace dbsnap
