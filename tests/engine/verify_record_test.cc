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

TEST(VerifyRecordJson, RoundTripsAndRejectsOtherDocuments) {
  VerifyRecord r{"2026-12-05T12:00:00Z", true, "", "127.0.0.1:5432", 3, 123};
  VerifyRecord back = parse_verify_record(to_json(r));
  EXPECT_TRUE(back.ok);
  EXPECT_EQ(back.into, "127.0.0.1:5432");
  EXPECT_EQ(back.tables, 3u);
  EXPECT_EQ(back.rows, 123u);
  r.ok = false;
  r.error = "row counts differ";
  EXPECT_FALSE(parse_verify_record(to_json(r)).ok);
  EXPECT_THROW(parse_verify_record("{\"format\": \"dbsnap-manifest\"}"), Error);
  EXPECT_THROW(parse_verify_record("not json"), Error);
}

}  // namespace
}  // namespace dbsnap
