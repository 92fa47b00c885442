// End-to-end tests of `dbsnap copy SOURCE TARGET` (engine/copy.h), run as a
// user runs it, against the PostgreSQL and MariaDB servers tools/test.sh
// started, for each dialect's stress fixture:
//  - a copy with several jobs gives a database equal to the source (schema
//    and content) and reports each table's rows;
//  - --tables copies those tables only;
//  - a non-empty target is refused unless --drop; copying a database onto
//    itself, across kinds, or to a server that is down fails with its code
//    before anything is written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cli.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"

namespace dbsnap::test {
namespace {

using json = nlohmann::json;

// One dialect's stress fixture in a source database, shared by the suite.
template <class Dialect>
class CopyCli : public StressSourceSuite<Dialect, CopyCli<Dialect>> {
 public:
  static constexpr const char* kTag = "copy_src";
};
TYPED_TEST_SUITE(CopyCli, Dialects, DialectName);

TYPED_TEST(CopyCli, CopyWithThreeJobsEqualsTheSource) {
  const auto& source = *TestFixture::source_;
  typename TypeParam::Database target("copy_dst");
  auto r = run_dbsnap({"copy", source.url(), target.url(), "--jobs", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json j = json::parse(r.out);
  auto fingerprints = TypeParam::fingerprints(source.name());
  ASSERT_EQ(j.at("tables").size(), fingerprints.size()) << r.out;
  for (const auto& t : j.at("tables")) EXPECT_EQ(t.at("rows"), t.at("manifest_rows")) << t.dump();
  TypeParam::expect_same(source.name(), target.name());
}

TYPED_TEST(CopyCli, TablesCopiesOnlyThoseTables) {
  const auto& source = *TestFixture::source_;
  typename TypeParam::Database target("copy_one");
  auto r = run_dbsnap(
      {"copy", source.url(), target.url(), "--tables", TypeParam::kKeylessTable, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto got = TypeParam::fingerprints(target.name());
  ASSERT_EQ(got.size(), 1u) << "other tables were copied";
  EXPECT_EQ(got.at(TypeParam::kKeylessTableFingerprint),
            TypeParam::fingerprints(source.name()).at(TypeParam::kKeylessTableFingerprint));
}

TYPED_TEST(CopyCli, NonEmptyTargetIsRefusedUnlessDrop) {
  const auto& source = *TestFixture::source_;
  typename TypeParam::Database target("copy_again");
  ASSERT_EQ(run_dbsnap({"copy", source.url(), target.url(), "-q"}).exit_code, 0);
  auto again = run_dbsnap({"copy", source.url(), target.url(), "-q"});
  EXPECT_EQ(again.exit_code, kExitUsage) << again.describe();
  EXPECT_TRUE(contains(again.err, "is not empty")) << again.err;
  auto dropped = run_dbsnap({"copy", source.url(), target.url(), "--drop", "-q"});
  ASSERT_EQ(dropped.exit_code, 0) << dropped.describe();
  TypeParam::expect_same(source.name(), target.name());
}

TYPED_TEST(CopyCli, CopyOntoItselfIsAUsageError) {
  const auto& source = *TestFixture::source_;
  auto r = run_dbsnap({"copy", source.url(), source.url(), "--drop"});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "same database")) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_FALSE(TypeParam::fingerprints(source.name()).empty()) << "the source was dropped";
}

TEST(CopyCliFailure, AcrossKindsIsAUsageError) {
  auto r = run_dbsnap({"copy", pg_url_for("postgres"), my_url_for("nope")});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "both must be PostgreSQL")) << r.err;
}

TEST(CopyCliFailure, TargetThatIsDownExits10AndLeavesTheSource) {
  ScratchPgDatabase source("copy_down");
  pg_exec(source.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");
  std::string down = "postgres://u:secret-pw@127.0.0.1:" + std::to_string(closed_loopback_port()) +
                     "/copy_down_target";
  auto r = run_dbsnap({"copy", source.url(), down, "-q"});
  EXPECT_EQ(r.exit_code, kExitRefused) << r.describe();
  EXPECT_FALSE(contains(r.err, "secret-pw")) << r.err;
  EXPECT_EQ(pg_query(source.name(), "SELECT count(*) FROM t")[0][0], "2");
}

}  // namespace
}  // namespace dbsnap::test
