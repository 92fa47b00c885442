// End to end: dbsnap backup of a MySQL/MariaDB database, restored with the
// stock client (gunzip -c | mariadb), gives the same objects (SHOW CREATE of
// every table, view, trigger, routine, event, sequence) and the same rows
// (count and content checksum of every table, history included).
//
// Needs DBSNAP_TEST_MY_URL (tools/test.sh starts the server). Each test loads
// its fixture into a scratch source database and restores into another.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocols/mysql/schema.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_dump.h"
#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

void restore_with_mariadb(const fs::path& sql_gz, const std::string& db) {
  auto r = run_shell("gunzip -c " + shell_quote(sql_gz.string()) + " | " + my_client_command(db));
  ASSERT_EQ(r.exit_code, 0) << "restore of " << sql_gz << " with mariadb failed: " << r.describe();
}

// `mariadb-dump --single-transaction --routines --events --triggers` of
// source (extra: more options) through gzip, loaded into target with mariadb.
void copy_with_mariadb_dump(const std::string& source, const std::string& target,
                            const std::string& extra) {
  ScratchDir dir;
  fs::path out = dir.path() / "dump.sql.gz";
  auto r = run_shell(my_client_command(source, "mariadb-dump") +
                     " --single-transaction --routines --events --triggers" + extra + " | gzip > " +
                     shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(out, target));
}

// The comparison itself is sound: mariadb-dump's own output of sakila,
// restored with mariadb, compares equal. If this fails, the fixture or the
// helpers are wrong, not dbsnap.
TEST(MyRoundTripReference, MariadbDumpOfSakilaComparesEqual) {
  DBSNAP_SKIP_WITHOUT_DATA_SET("sakila");
  ScratchMyDatabase source("ref_src_sakila");
  ScratchMyDatabase target("ref_dst_sakila");
  ASSERT_NO_THROW(load_my_fixture("sakila", source.name()));
  ASSERT_NO_FATAL_FAILURE(copy_with_mariadb_dump(source.name(), target.name(), ""));
  expect_same_my_database(source.name(), target.name());
}

// And it is sharp: mariadb-dump prints FLOAT with 6 significant digits
// (16777216 becomes 16777200), which the content checksum catches; dbsnap's
// own round trip of the same fixture below must not. (--skip-add-locks: with
// LOCK TABLES the mariadb-dump script does not even load, since a table whose
// DEFAULT calls NEXTVAL() needs its sequence locked too.)
TEST(MyRoundTripReference, MariadbDumpOfStressLosesFloatDigits) {
  ScratchMyDatabase source("ref_src_stress");
  ScratchMyDatabase target("ref_dst_stress");
  ASSERT_NO_THROW(load_my_fixture("stress", source.name()));
  ASSERT_NO_FATAL_FAILURE(
      copy_with_mariadb_dump(source.name(), target.name(), " --skip-add-locks"));
  EXPECT_NE(my_compare_databases(source.name(), target.name()).find("rows of table numbers"),
            std::string::npos);
}

class MyRoundTrip : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(MyRoundTrip, BackupRestoredWithMariadbIsIdentical) {
  const auto& [fixture, jobs] = GetParam();
  DBSNAP_SKIP_WITHOUT_DATA_SET(fixture);
  ScratchMyDatabase source("src_" + fixture);
  ScratchMyDatabase target("dst_" + fixture);
  ASSERT_NO_THROW(load_my_fixture(fixture, source.name()));

  ScratchDir volume;
  // Small chunks and statements: many chunks per table, sliced tables.
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--jobs",
                       std::to_string(jobs), "--chunk-size", "64KiB", "--net-buffer-length",
                       "16KiB", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  std::string password = my_url().substr(0, my_url().find('@'));
  password = password.substr(password.rfind(':') + 1);
  EXPECT_EQ(r.out.find(password), std::string::npos) << "stdout shows the password";
  EXPECT_EQ(r.err.find(password), std::string::npos) << "stderr shows the password";

  auto data = find_files(volume.path(), ".sql.gz");
  auto manifests = find_files(volume.path(), ".manifest.json");
  ASSERT_EQ(data.size(), 1u) << "expected one .sql.gz under " << volume.path();
  ASSERT_EQ(manifests.size(), 1u) << "expected one .manifest.json under " << volume.path();
  auto manifest = nlohmann::json::parse(read_file(manifests[0]), nullptr, false);
  ASSERT_FALSE(manifest.is_discarded()) << "manifest is not json";
  EXPECT_EQ(manifest.value("status", ""), "completed");
  EXPECT_EQ(manifest["server"].value("kind", ""), "mariadb");
  EXPECT_FALSE(manifest["position"].value("binlog_file", "").empty()) << manifest["position"];
  EXPECT_EQ(manifest["position"].value("snapshot", ""), "global-lock");
  // Row counts in the manifest are the source's (history rows included).
  for (const auto& [table, fingerprint] : my_table_fingerprints(source.name()))
    EXPECT_EQ(manifest["tables"].value(table, std::uint64_t{0}), fingerprint.rows) << table;

  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(data[0], target.name()));
  expect_same_my_database(source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MyRoundTrip,
                         ::testing::Combine(::testing::Values("sakila", "stress"),
                                            ::testing::Values(1, 4)),
                         fixture_jobs_name);

// Each data chunk restores on a connection of its own, in any order (the
// parallel restore of DESIGN.md section 4): chunks carry their session settings.
TEST(MyRoundTripChunks, DataChunksRestoreAloneInReverseOrder) {
  ScratchMyDatabase source("src_chunks");
  ScratchMyDatabase target("dst_chunks");
  ASSERT_NO_THROW(load_my_fixture("stress", source.name()));
  DumpOptions options;
  options.net_buffer_length = 4096;
  auto chunks = dump_mysql_database(source.url(), options, 3, 32 * 1024);
  ScratchDir dir;
  std::size_t data_chunks = 0;
  auto run_chunk = [&](const std::string& sql, const std::string& what) {
    fs::path file = dir.path() / "chunk.sql";
    std::ofstream(file, std::ios::binary | std::ios::trunc) << sql;
    auto r = run_shell(my_client_command(target.name()) + " < " + shell_quote(file.string()));
    ASSERT_EQ(r.exit_code, 0) << what << " failed alone: " << r.describe() << "\n"
                              << sql.substr(0, 2000);
  };
  ASSERT_GT(chunks.size(), 3u);
  ASSERT_NO_FATAL_FAILURE(run_chunk(chunks.front().sql, "pre-data"));
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    if (it->section != Section::data) continue;
    ++data_chunks;
    ASSERT_NO_FATAL_FAILURE(run_chunk(it->sql, "data chunk of " + it->table));
  }
  // post-data without the footer, which restores the header's saved variables.
  ASSERT_EQ(chunks[chunks.size() - 2].section, Section::post_data);
  ASSERT_NO_FATAL_FAILURE(run_chunk(chunks[chunks.size() - 2].sql, "post-data"));
  EXPECT_GT(data_chunks, 20u) << "the fixture should need many chunks at 32 KiB";
  expect_same_my_database(source.name(), target.name());
}

// The 256 byte values in order, as a MariaDB expression.
constexpr std::string_view kEveryByte =
    "UNHEX(CONCAT("
    "'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',"
    "'202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F',"
    "'404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F',"
    "'606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F',"
    "'808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F',"
    "'A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF',"
    "'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF',"
    "'E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF'))";

// Values bigger than one statement (> 4 MiB of hex) are built up in pieces
// inside their chunk; a LONGBLOB and a LONGTEXT of 9 MiB come back byte-exact,
// loaded by the stock client and by dbsnap's own restore.
TEST(MyRoundTripHugeValues, ValuesLargerThanAStatementRoundTrip) {
  ScratchMyDatabase source("src_huge");
  ScratchMyDatabase copy("dst_huge");
  ScratchMyDatabase native("dst_huge_native");
  my_exec(source.name(),
          "CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT) DEFAULT CHARSET=utf8mb4");
  // 9 MiB of every byte value, and 9 MiB of text with quotes, newlines and emoji.
  my_exec(source.name(),
          "INSERT INTO big VALUES (1, REPEAT(" + std::string(kEveryByte) +
              ", 36864), "
              "REPEAT('it''s a \\\\ line\\n😀 ', 9 * 1024 * 1024 / 20)), (2, NULL, '')");
  ScratchDir volume;
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  auto data = find_files(volume.path(), ".sql.gz");
  ASSERT_EQ(data.size(), 1u);
  auto pieces = run_shell("gunzip -c " + shell_quote(data[0].string()) +
                          " | grep -c 'CONCAT(@dbsnap_v' || true");
  EXPECT_GT(std::atoi(pieces.out.c_str()), 2) << "the values were not built up in pieces";
  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(data[0], copy.name()));
  expect_same_my_database(source.name(), copy.name());
  auto manifests = find_files(volume.path(), ".manifest.json");
  ASSERT_EQ(manifests.size(), 1u);
  auto restored =
      run_dbsnap({"restore", manifests[0].string(), "--to", native.url(), "--drop", "--quiet"});
  ASSERT_EQ(restored.exit_code, 0) << "dbsnap restore failed: " << restored.describe();
  expect_same_my_database(source.name(), native.name());
  auto sizes = my_query(source.name(), "SELECT LENGTH(b), CHAR_LENGTH(t) FROM big WHERE id = 1");
  ASSERT_EQ(sizes.size(), 1u);
  EXPECT_EQ(sizes[0][0], std::to_string(9 * 1024 * 1024)) << "fixture blob size";
}

// Values longer than kHugeValueBytes are not read with their row but in
// pieces after the rest of the table, and written as chains of chunks: a
// 68 MiB LONGBLOB of every byte value (built in two variables) and 32.4 MiB of
// multi-byte text (cut mid-character between pieces), in a table keyed on a
// quoted string and an integer, come back byte-exact through the stock
// client, a parallel `dbsnap restore` (which must keep each chain on one
// session), `verify --restore-into` and `dbsnap copy`.
TEST(MyRoundTripHugeValues, ValuesLongerThanARowReadComeInChains) {
  ScratchMyDatabase source("src_chain");
  ScratchMyDatabase stock("dst_chain");
  ScratchMyDatabase native("dst_chain_native");
  ScratchMyDatabase copied("dst_chain_copy");
  my_exec(source.name(),
          "CREATE TABLE h (k VARCHAR(20), n INT, b LONGBLOB, t LONGTEXT, PRIMARY KEY (k, n)) "
          "DEFAULT CHARSET=utf8mb4");
  my_exec(source.name(), "INSERT INTO h VALUES ('it''s \\ a key', 1, REPEAT(" +
                             std::string(kEveryByte) +
                             ", 68 * 4096), REPEAT('it''s a \\ line\n😀 ', 36 * 1024 * 1024 / 20))"
                             ", ('small', 2, 0x00, 'x'), ('it''s \\ a key', 3, NULL, REPEAT('"
                             "y', 33 * 1024 * 1024)), ('none', 4, NULL, NULL)");
  ScratchDir volume;
  auto r = run_dbsnap(
      {"backup", source.url(), "--to", volume.path().string(), "--jobs", "2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  auto data = find_files(volume.path(), ".sql.gz");
  auto manifests = find_files(volume.path(), ".manifest.json");
  ASSERT_EQ(data.size(), 1u);
  ASSERT_EQ(manifests.size(), 1u);
  auto links = run_shell("grep -c '\"after\"' " + shell_quote(manifests[0].string()));
  EXPECT_GT(std::atoi(links.out.c_str()), 10) << "the huge values were not written as chains";
  auto segments =
      run_shell("gunzip -c " + shell_quote(data[0].string()) +
                " | grep -c 'CONCAT(@dbsnap_[0-9a-f]*_2_0, @dbsnap_[0-9a-f]*_2_1)' || true");
  EXPECT_EQ(std::atoi(segments.out.c_str()), 1) << "the 68 MiB blob was not built in two variables";
  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(data[0], stock.name()));
  expect_same_my_database(source.name(), stock.name());
  auto restored = run_dbsnap(
      {"restore", manifests[0].string(), "--to", native.url(), "--drop", "--jobs", "4", "--quiet"});
  ASSERT_EQ(restored.exit_code, 0) << "dbsnap restore failed: " << restored.describe();
  expect_same_my_database(source.name(), native.name());
  // The content checksums, taken again from a scratch restore, match.
  auto verified = run_dbsnap({"verify", manifests[0].string(), "--restore-into", my_url()});
  ASSERT_EQ(verified.exit_code, 0) << verified.describe();
  EXPECT_NE(verified.out.find(": 1 tables, 1 content checksums"), std::string::npos)
      << verified.out;
  auto copy = run_dbsnap({"copy", source.url(), copied.url(), "--drop", "--jobs", "3", "--quiet"});
  ASSERT_EQ(copy.exit_code, 0) << "dbsnap copy failed: " << copy.describe();
  expect_same_my_database(source.name(), copied.name());
  auto sizes = my_query(source.name(), "SELECT LENGTH(b), LENGTH(t) FROM h ORDER BY n LIMIT 1");
  ASSERT_EQ(sizes.size(), 1u);
  EXPECT_EQ(sizes[0][0], std::to_string(68 * 1024 * 1024)) << "fixture blob size";
  EXPECT_GT(std::stoull(sizes[0][1]), mysql::kHugeValueBytes) << "fixture text size";
}

}  // namespace
}  // namespace dbsnap::test
