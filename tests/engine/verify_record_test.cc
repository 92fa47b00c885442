// A job's verification record round-trips, and verify_due() follows the
// cadence: each run without one, else only when no successful verification
// is newer than the cadence.
#include "engine/verify_record.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/error.h"
#include "engine/manifest.h"

namespace dbsnap {
namespace {

const std::int64_t kNow = parse_utc_iso("2026-12-05T12:00:00Z");

TEST(VerifyDue, WithoutCadenceEveryRunVerifies) {
  std::vector<std::int64_t> verified = {kNow - 60};
  EXPECT_TRUE(verify_due(verified, {}, kNow));
}

TEST(VerifyDue, DueOnlyWhenTheLastSuccessIsOlderThanTheCadence) {
  CalendarDuration week = parse_calendar_duration("7d");
  std::vector<std::int64_t> none;
  EXPECT_TRUE(verify_due(none, week, kNow));
  std::vector<std::int64_t> recent = {parse_utc_iso("2026-11-20T00:00:00Z"),
                                      parse_utc_iso("2026-11-29T12:00:01Z")};
  EXPECT_FALSE(verify_due(recent, week, kNow));
  std::vector<std::int64_t> old = {parse_utc_iso("2026-11-28T12:00:00Z")};
  EXPECT_TRUE(verify_due(old, week, kNow));
}

TEST(VerifyCadence, NamesAndDaysParseOtherTextIsAUsageError) {
  EXPECT_TRUE(parse_verify_cadence("always").zero());
  EXPECT_EQ(parse_verify_cadence("daily").days, 1);
  EXPECT_EQ(parse_verify_cadence("weekly").days, 7);
  EXPECT_EQ(parse_verify_cadence("monthly").months, 1);
  EXPECT_EQ(parse_verify_cadence("10d").days, 10);
  for (const char* bad : {"", "d", "0d", "-3d", "7", "7w", "1m", "Weekly", "7d "}) {
    try {
      parse_verify_cadence(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
    }
  }
}

TEST(VerifyRecordJson, OlderRecordsWithoutChecksumsParse) {
  VerifyRecord back = parse_verify_record(
      R"({"format": "dbsnap-verification", "verified_at": "2026-12-05T12:00:00Z",
          "status": "ok", "error": "", "into": "h:1", "tables": 1, "rows": 2})");
  EXPECT_TRUE(back.ok);
  EXPECT_EQ(back.checksums, 0u);
}

TEST(VerifyRecordJson, RoundTripsAndRejectsOtherDocuments) {
  VerifyRecord r{"2026-12-05T12:00:00Z", true, "", "127.0.0.1:5432", 3, 123, 2};
  VerifyRecord back = parse_verify_record(to_json(r));
  EXPECT_TRUE(back.ok);
  EXPECT_EQ(back.into, "127.0.0.1:5432");
  EXPECT_EQ(back.tables, 3u);
  EXPECT_EQ(back.rows, 123u);
  EXPECT_EQ(back.checksums, 2u);
  r.ok = false;
  r.error = "row counts differ";
  EXPECT_FALSE(parse_verify_record(to_json(r)).ok);
  EXPECT_THROW(parse_verify_record("{\"format\": \"dbsnap-manifest\"}"), Error);
  EXPECT_THROW(parse_verify_record("not json"), Error);
}

}  // namespace
}  // namespace dbsnap
