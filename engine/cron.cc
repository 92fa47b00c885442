#include "engine/cron.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

#include "engine/error.h"

namespace dbsnap {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};
constexpr std::array<std::string_view, 12> kMonthWords = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDayWords = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

// How far last_at_or_before() looks back.
constexpr minutes kLookBack = std::chrono::hours(24 * 366 * 30);

struct FieldSpec {
  std::string_view name;
  int low;
  int high;
  std::span<const std::string_view> names;  // names[i] stands for low + i
  std::string_view name_range;              // for messages: "jan-dec"
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, {}, ""},
    {"hour", 0, 23, {}, ""},
    {"day-of-month", 1, 31, {}, ""},
    {"month", 1, 12, kMonthNames, "jan-dec"},
    {"day-of-week", 0, 7, kDayNames, "sun-sat"},
};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool has(std::uint64_t mask, int bit) { return (mask >> bit) & 1U; }

bool is_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Throws the usage error every parse failure is reported with.
class Parser {
 public:
  explicit Parser(std::string_view expression) : expression_(expression) {}

  [[noreturn]] void fail(std::string_view reason) const {
    throw Error(ExitCode::usage, fmt::format("schedule \"{}\": {}", expression_, reason));
  }

  // The blank-separated words of text.
  std::vector<std::string_view> split(std::string_view text) const {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (true) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i == text.size()) return words;
      std::size_t end = text.find_first_of(" \t", i);
      if (end == std::string_view::npos) end = text.size();
      words.push_back(text.substr(i, end - i));
      i = end;
    }
  }

  // The five field texts: the expression's, or those of its macro.
  std::vector<std::string_view> fields() const {
    auto words = split(expression_);
    if (words.size() == 1 && words[0].starts_with('@')) {
      for (const auto& macro : kMacros) {
        if (iequals(words[0], macro.name)) return split(macro.fields);
      }
      fail(
          fmt::format("\"{}\" is not one of @yearly, @annually, @monthly, @weekly, @daily, "
                      "@midnight, @hourly",
                      words[0]));
    }
    if (words.size() != 5) {
      fail(fmt::format("expected 5 fields (minute hour day-of-month month day-of-week), got {}",
                       words.size()));
    }
    return words;
  }

  // The set of values a field's text selects, as a bit mask.
  std::uint64_t field(std::string_view text, const FieldSpec& spec) const {
    std::uint64_t mask = 0;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = text.find(',', start);
      std::string_view item =
          text.substr(start, comma == std::string_view::npos ? comma : comma - start);
      if (item.empty()) fail(fmt::format("{} list \"{}\" has an empty item", spec.name, text));
      mask |= this->item(item, spec);
      if (comma == std::string_view::npos) return mask;
      start = comma + 1;
    }
  }

 private:
  std::uint64_t item(std::string_view item, const FieldSpec& spec) const {
    std::string_view range = item.substr(0, item.find('/'));
    int step = 1;
    if (range.size() < item.size()) {
      std::string_view step_text = item.substr(range.size() + 1);
      step = number(step_text, spec, "step");
      if (step < 1 || step > spec.high) {
        fail(fmt::format("{} step {} is out of 1-{}", spec.name, step_text, spec.high));
      }
    }
    int first = spec.low;
    int last = spec.high;
    if (range != "*") {
      std::size_t dash = range.find('-');
      first = value(range.substr(0, dash), spec);
      last = dash == std::string_view::npos ? first : value(range.substr(dash + 1), spec);
      if (dash == std::string_view::npos && range.size() < item.size()) {
        fail(fmt::format("{} \"{}\" needs a range or * before the step (such as {}-{}/{})",
                         spec.name, item, first, spec.high, step));
      }
      if (first > last) {
        fail(fmt::format("{} range {} runs backwards (split it: {}-{},{}-{})", spec.name, range,
                         first, spec.high, spec.low, last));
      }
    }
    std::uint64_t mask = 0;
    for (int v = first; v <= last; v += step) mask |= std::uint64_t{1} << v;
    return mask;
  }

  // A number or, where the field has names, a name; checked against the range.
  int value(std::string_view text, const FieldSpec& spec) const {
    for (std::size_t i = 0; i < spec.names.size(); ++i) {
      if (iequals(text, spec.names[i])) return spec.low + static_cast<int>(i);
    }
    int v = number(text, spec, "");
    if (v < spec.low || v > spec.high) {
      fail(fmt::format("{} {} is out of {}-{}", spec.name, text, spec.low, spec.high));
    }
    return v;
  }

  // Digits as an int; too many digits give INT_MAX, which every range refuses.
  int number(std::string_view text, const FieldSpec& spec, std::string_view what) const {
    if (!is_number(text)) {
      bool named = !spec.names.empty() && what.empty();
      std::string_view kind = named ? "is not a number or a name" : "is not a number";
      std::string names = named ? fmt::format(" ({})", spec.name_range) : "";
      std::string label =
          what.empty() ? std::string(spec.name) : fmt::format("{} {}", spec.name, what);
      fail(fmt::format("{} \"{}\" {}{}", label, text, kind, names));
    }
    int v = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), v);
    return result.ec == std::errc::result_out_of_range ? std::numeric_limits<int>::max() : v;
  }

  std::string_view expression_;
};

// Whether some date has one of the days in one of the months (Feb 29 counts).
bool some_date_exists(std::uint64_t days_mask, std::uint64_t months_mask) {
  constexpr int kLongest[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m) {
    if (has(months_mask, m) && (days_mask & ((std::uint64_t{2} << kLongest[m]) - 2)) != 0)
      return true;
  }
  return false;
}

// "Monday to Friday", "1, 15 and 20": the set bits of mask in [low, high] as
// words, runs of three or more as "a to b" when collapse is set.
std::string list_phrase(std::uint64_t mask, int low, int high,
                        const std::function<std::string(int)>& word, bool collapse = true) {
  std::vector<std::string> parts;
  for (int v = low; v <= high; ++v) {
    if (!has(mask, v)) continue;
    int end = v;
    while (end + 1 <= high && has(mask, end + 1)) ++end;
    if (collapse && end - v >= 2) {
      parts.push_back(fmt::format("{} to {}", word(v), word(end)));
    } else {
      for (int x = v; x <= end; ++x) parts.push_back(word(x));
    }
    v = end;
  }
  std::string out = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    out += (i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return out;
}

// The step N of a "*/N" field text; nullopt for any other text.
std::optional<int> star_step(std::string_view text) {
  if (!text.starts_with("*/") || !is_number(text.substr(2))) return std::nullopt;
  return std::stoi(std::string(text.substr(2)));
}

}  // namespace

Schedule Schedule::parse(std::string_view expression, std::string_view time_zone) {
  Schedule s;
  s.expression_ = expression;
  s.zone_name_ = time_zone.empty() ? "UTC" : time_zone;
  Parser parser(s.expression_);
  auto fields = parser.fields();
  std::uint64_t* masks[5] = {&s.minutes_, &s.hours_, &s.days_, &s.months_, &s.weekdays_};
  for (int i = 0; i < 5; ++i) {
    s.fields_[i] = fields[i];
    *masks[i] = parser.field(fields[i], kFields[i]);
  }
  if (has(s.weekdays_, 7)) s.weekdays_ = (s.weekdays_ & 0x7F) | 1U;
  s.days_star_ = fields[2].starts_with('*');
  s.weekdays_star_ = fields[4].starts_with('*');
  s.fixed_time_ = !fields[0].starts_with('*') && !fields[1].starts_with('*');
  // Only a day-of-month that must match (AND rule) can be impossible: with a
  // day-of-week that restricts alone, some week always has the day, and a
  // day-of-month starting with '*' always holds day 1.
  if (s.weekdays_star_ && !some_date_exists(s.days_, s.months_)) {
    parser.fail(
        fmt::format("day-of-month \"{}\" never occurs in month \"{}\"", fields[2], fields[3]));
  }
  try {
    s.zone_ = date::locate_zone(s.zone_name_);
  } catch (const std::runtime_error&) {
    throw Error(
        ExitCode::usage,
        fmt::format("time zone \"{}\" is not known (see /usr/share/zoneinfo)", s.zone_name_));
  }
  return s;
}

bool Schedule::day_matches(days d) const {
  date::sys_days day{d};
  date::year_month_day ymd{day};
  if (!has(months_, static_cast<int>(static_cast<unsigned>(ymd.month())))) return false;
  bool dom = has(days_, static_cast<int>(static_cast<unsigned>(ymd.day())));
  bool dow = has(weekdays_, static_cast<int>(date::weekday{day}.c_encoding()));
  return days_star_ || weekdays_star_ ? dom && dow : dom || dow;
}

std::optional<int> Schedule::first_minute_of_day(int from_minute) const {
  for (int h = from_minute / 60; h < 24; ++h) {
    if (!has(hours_, h)) continue;
    int first = h == from_minute / 60 ? from_minute % 60 : 0;
    std::uint64_t rest = minutes_ & (~std::uint64_t{0} << first);
    if (rest != 0) return h * 60 + std::countr_zero(rest);
  }
  return std::nullopt;
}

// The first matching local minute at or after from and before `before`.
std::optional<minutes> Schedule::first_local(minutes from, seconds before) const {
  days day = std::chrono::floor<days>(from);
  int minute = static_cast<int>((from - day).count());
  for (; day < before; ++day, minute = 0) {
    if (!day_matches(day)) continue;
    if (auto m = first_minute_of_day(minute)) {
      minutes found = day + minutes(*m);
      if (found < before) return found;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Schedule::time_point Schedule::next_after(time_point t) const {
  seconds s = std::chrono::floor<minutes>(t.time_since_epoch()) + minutes(1);
  while (true) {
    date::sys_info info = zone_->get_info(date::sys_seconds(s));
    seconds offset = info.offset;
    seconds end = info.end.time_since_epoch();
    auto from = std::chrono::ceil<minutes>(s + offset);
    while (auto local = first_local(from, end + offset)) {
      // The second pass of a repeated wall-clock time: a fixed-time job ran at the first.
      auto li = zone_->get_info(date::local_seconds(*local));
      if (!fixed_time_ || li.result != date::local_info::ambiguous || li.first.offset == offset) {
        return time_point(*local - offset);
      }
      from = *local + minutes(1);
    }
    if (fixed_time_) {
      // Wall-clock times skipped by a jump forward run at the jump.
      seconds next_offset = zone_->get_info(info.end).offset;
      if (next_offset > offset &&
          first_local(std::chrono::ceil<minutes>(end + offset), end + next_offset)) {
        return time_point(end);
      }
    }
    s = end;
  }
}

std::optional<Schedule::time_point> Schedule::last_at_or_before(time_point t) const {
  for (minutes window(2); window <= kLookBack * 2; window *= 2) {
    std::optional<time_point> last;
    for (auto run = next_after(t - window); run <= t; run = next_after(run)) last = run;
    if (last) return last;
  }
  return std::nullopt;
}

std::optional<std::string> Schedule::describe_time() const {
  const auto& minute = fields_[0];
  const auto& hour = fields_[1];
  auto every = [](int n, std::string_view unit) {
    return n == 1 ? fmt::format("every {}", unit) : fmt::format("every {} {}s", n, unit);
  };
  auto minute_step = minute == "*" ? std::optional<int>(1) : star_step(minute);
  if (hour == "*" && minute_step && 60 % *minute_step == 0) return every(*minute_step, "minute");
  if (!is_number(minute)) return std::nullopt;
  auto hour_step = hour == "*" ? std::optional<int>(1) : star_step(hour);
  if (hour_step && 24 % *hour_step == 0) {
    return fmt::format("{} at :{:02}", every(*hour_step, "hour"), std::stoi(minute));
  }
  if (std::popcount(hours_) > 4 || hour.find('/') != std::string::npos) return std::nullopt;
  return "at " + list_phrase(
                     hours_, 0, 23,
                     [&](int h) { return fmt::format("{:02}:{:02}", h, std::stoi(minute)); },
                     false);
}

std::optional<std::string> Schedule::describe_days() const {
  bool any_day = fields_[2] == "*";
  bool any_weekday = fields_[4] == "*";
  if ((days_star_ && !any_day) || (weekdays_star_ && !any_weekday)) return std::nullopt;
  std::string months;
  if (fields_[3] != "*") {
    months = list_phrase(months_, 1, 12, [](int m) {
      return std::string(kMonthWords[static_cast<std::size_t>(m - 1)]);
    });
  }
  auto day_numbers = [&] {
    return fmt::format("on day{} {}", std::popcount(days_) > 1 ? "s" : "",
                       list_phrase(days_, 1, 31, [](int d) { return std::to_string(d); }));
  };
  auto weekdays = [&] {
    return "on " + list_phrase(weekdays_, 0, 6, [](int d) {
             return std::string(kDayWords[static_cast<std::size_t>(d)]);
           });
  };
  std::string in_months = months.empty() ? "" : " in " + months;
  if (any_day && any_weekday) return months.empty() ? "every day" : "every day" + in_months;
  if (any_day) return weekdays() + in_months;
  std::string of = months.empty() ? " of the month" : " of " + months;
  if (any_weekday) return day_numbers() + of;
  return fmt::format("{}{} and every {}", day_numbers(), of, weekdays().substr(3)) + in_months;
}

std::string Schedule::describe() const {
  std::string zone = zone_name_ == "UTC" ? "" : fmt::format(" ({})", zone_name_);
  auto time = describe_time();
  auto days = describe_days();
  if (!time || !days) return fmt::format("{}{}", expression_, zone);
  if (*days == "every day" && time->starts_with("every")) return *time + zone;
  return fmt::format("{} {}{}", *time, *days, zone);
}

std::int64_t Schedule::utc_offset(std::int64_t unix_seconds) const {
  return zone_->get_info(date::sys_seconds(std::chrono::seconds(unix_seconds))).offset.count();
}

}  // namespace dbsnap
