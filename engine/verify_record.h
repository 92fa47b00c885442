// What a job's scheduled verification (`verify`, `verify_server`) records
// beside a snapshot, and when the next one is due. Pure.
//
//   <server>/<database>/<stem>.verify.json
//   { "format": "dbsnap-verification", "verified_at": "2026-12-04T02:35:00Z",
//     "status": "ok" | "failed", "error": "" | "row counts differ ...",
//     "into": "scratch.example.com:5432", "tables": 12, "rows": 34567,
//     "checksums": 12 }    (tables whose content checksum was compared; 0 for
//                           a snapshot made before checksums were recorded)
//
// The record is deleted with its snapshot (delete_snapshots).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/retention.h"

namespace dbsnap {

inline constexpr std::string_view kVerifySuffix = ".verify.json";

struct VerifyRecord {
  std::string verified_at;  // ISO 8601 UTC
  bool ok = false;
  std::string error;  // why it failed; no URL or secret
  std::string into;   // host:port of the server restored into
  std::size_t tables = 0;
  std::uint64_t rows = 0;
  std::size_t checksums = 0;  // tables whose content checksum was compared
};

std::string to_json(const VerifyRecord& r);
// Throws dbsnap::Error(ExitCode::verify_failed) for text that is not a record.
VerifyRecord parse_verify_record(std::string_view json);

// Whether a verification is due at now (seconds since the epoch): every is
// zero (each run verifies), or no time in verified_ok (successful
// verifications, seconds since the epoch) is after now minus every.
// A job's `verify` setting: "always" (zero: each run), "daily" (1d),
// "weekly" (7d), "monthly" (1m) or "<N>d" with N >= 1. Throws
// dbsnap::Error(ExitCode::usage) naming the accepted forms.
CalendarDuration parse_verify_cadence(std::string_view text);

bool verify_due(std::span<const std::int64_t> verified_ok, const CalendarDuration& every,
                std::int64_t now);

}  // namespace dbsnap
