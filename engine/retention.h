// Which snapshots a retention policy keeps: restic's `forget --keep-*` rules
// (restic 0.17 documentation of `forget`, "Removing snapshots according to a
// policy"), plus dbsnap's rules for unfinished snapshots. Pure; no I/O.
//
// Rules, over one group of snapshots (one server's database), newest first:
// - last N keeps the N newest completed snapshots;
// - hourly/daily/weekly/monthly/yearly N keep the newest snapshot of each of
//   the N most recent hours/days/ISO weeks/months/years that have one;
//   local time is UTC plus utc_offset (UTC when none is given);
// - within D keeps every completed snapshot newer than the newest one minus D
//   (restic: "relative to the latest snapshot", so a stopped job keeps them);
// - when fewer buckets than N exist, the oldest completed snapshot is kept
//   too ("oldest daily snapshot"), as restic 0.17 does;
// - the newest completed snapshot is always kept;
// - only completed snapshots count for these rules; running ones are kept;
//   failed or interrupted ones are kept for kUnfinishedGraceSeconds after
//   they started, then deleted.
// A count below 0 means unlimited (restic's "unlimited"); 0 turns a rule off.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap {

// A calendar span as restic's --keep-within takes it ("1y6m", "30d", "12h").
struct CalendarDuration {
  int years = 0, months = 0, days = 0, hours = 0;
  bool zero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
};

// "30d", "12h", "2w", "1y", "1y6m2w3d4h": numbers with units y (years),
// m (months), w (weeks, 7 days), d (days), h (hours), each at most once.
// Throws dbsnap::Error(ExitCode::usage) naming text and what is wrong.
CalendarDuration parse_calendar_duration(std::string_view text);

// "1y6m17d4h" (weeks shown as days); "0h" for zero.
std::string to_string(const CalendarDuration& d);

// reference (seconds since the epoch, UTC) minus d in calendar terms (months
// and years as Go's AddDate, so Mar 31 minus 1m is Mar 3 (Feb 31
// normalised), as restic computes it).
std::int64_t calendar_minus(std::int64_t reference, const CalendarDuration& d);

// A job's `keep = { last = 3, daily = 7, ..., within = "30d" }` maps onto
// this field by field (within through parse_calendar_duration).
struct RetentionPolicy {
  int last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;
  CalendarDuration within;
  // True when no rule is set (prune refuses such a policy).
  bool empty() const;
};

// What retention needs to know of one snapshot.
enum class RetentionState {
  completed,   // a finished backup: the rules apply
  running,     // still being written (fresh heartbeat): always kept
  unfinished,  // failed, interrupted, or its data object is missing
};

struct RetentionItem {
  std::int64_t time = 0;  // when the backup started, seconds since the epoch (UTC)
  RetentionState state = RetentionState::completed;
};

struct RetentionDecision {
  bool keep = false;
  // Why it is kept ("last", "daily", "within 30d", "oldest weekly", "newest",
  // "running", "unfinished, younger than 1 day") or deleted ("no rule keeps
  // it", "unfinished, older than 1 day"); every rule that keeps it is listed.
  std::vector<std::string> reasons;
};

// Failed and interrupted snapshots are deleted once this old.
inline constexpr std::int64_t kUnfinishedGraceSeconds = 24 * 3600;

// Seconds east of UTC at a UTC instant (a time zone's offset); empty: UTC.
using UtcOffset = std::function<std::int64_t(std::int64_t unix_seconds)>;

// The decision for each of items (same order; items in any order), all of
// one group. now is the current time (seconds since the epoch), used only
// for the age of unfinished snapshots.
std::vector<RetentionDecision> decide_retention(std::span<const RetentionItem> items,
                                                const RetentionPolicy& policy, std::int64_t now,
                                                const UtcOffset& utc_offset = {});

}  // namespace dbsnap
