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
#include <regex>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_dump.h"
#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

// Loads a fixture into db. sakila's files create and use a database named
// sakila and name it in a view; they are rewritten for db.
void load(const std::string& fixture, const std::string& db) {
  if (fixture == "stress") {
    my_load_sql_file(db, source_dir() / "tests" / "protocols" / "mysql" / "stress_schema.sql");
    return;
  }
  ScratchDir dir;
  for (std::string name : {"sakila-mv-schema.sql", "sakila-mv-data.sql"}) {
    fs::path file = shared_dir() / "datasets" / "sakila" / name;
    ASSERT_TRUE(fs::exists(file)) << "fixture file " << file << " is missing";
    std::string text = read_file(file);
    text = std::regex_replace(text, std::regex("(DROP SCHEMA IF EXISTS|CREATE SCHEMA|USE) sakila;"),
                              "");
    text = std::regex_replace(text, std::regex("sakila\\."), db + ".");
    fs::path copy = dir.path() / name;
    std::ofstream(copy, std::ios::binary) << text;
    my_load_sql_file(db, copy);
  }
}

void restore_with_mariadb(const fs::path& sql_gz, const std::string& db) {
  auto r = run_shell("gunzip -c " + shell_quote(sql_gz.string()) + " | " + my_client_command(db));
  ASSERT_EQ(r.exit_code, 0) << "restore of " << sql_gz << " with mariadb failed: " << r.describe();
}

void expect_same_database(const std::string& source, const std::string& target) {
  EXPECT_FALSE(my_table_fingerprints(source).empty()) << "the fixture has no tables";
  std::string differences = my_compare_databases(source, target);
  EXPECT_EQ(differences, "") << "the copy differs from the source";
}

// The comparison itself is sound: mariadb-dump's own output of sakila,
// restored with mariadb, compares equal. If this fails, the fixture or the
// helpers are wrong, not dbsnap.
TEST(MyRoundTripReference, MariadbDumpOfSakilaComparesEqual) {
  ScratchMyDatabase source("ref_src_sakila");
  ScratchMyDatabase target("ref_dst_sakila");
  ASSERT_NO_FATAL_FAILURE(load("sakila", source.name()));
  ScratchDir dir;
  fs::path out = dir.path() / "dump.sql.gz";
  auto r = run_shell(my_client_command(source.name(), "mariadb-dump") +
                     " --single-transaction --routines --events --triggers | gzip > " +
                     shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(out, target.name()));
  expect_same_database(source.name(), target.name());
}

// And it is sharp: mariadb-dump prints FLOAT with 6 significant digits
// (16777216 becomes 16777200), which the content checksum catches; dbsnap's
// own round trip of the same fixture below must not. (--skip-add-locks: with
// LOCK TABLES the mariadb-dump script does not even load, since a table whose
// DEFAULT calls NEXTVAL() needs its sequence locked too.)
TEST(MyRoundTripReference, MariadbDumpOfStressLosesFloatDigits) {
  ScratchMyDatabase source("ref_src_stress");
  ScratchMyDatabase target("ref_dst_stress");
  ASSERT_NO_FATAL_FAILURE(load("stress", source.name()));
  ScratchDir dir;
  fs::path out = dir.path() / "dump.sql.gz";
  auto r = run_shell(my_client_command(source.name(), "mariadb-dump") +
                     " --single-transaction --routines --events --triggers --skip-add-locks | "
                     "gzip > " +
                     shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_NO_FATAL_FAILURE(restore_with_mariadb(out, target.name()));
  EXPECT_NE(my_compare_databases(source.name(), target.name()).find("rows of table numbers"),
            std::string::npos);
}

class MyRoundTrip : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(MyRoundTrip, BackupRestoredWithMariadbIsIdentical) {
  const auto& [fixture, jobs] = GetParam();
  ScratchMyDatabase source("src_" + fixture);
  ScratchMyDatabase target("dst_" + fixture);
  ASSERT_NO_FATAL_FAILURE(load(fixture, source.name()));

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
  expect_same_database(source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MyRoundTrip,
                         ::testing::Combine(::testing::Values("sakila", "stress"),
                                            ::testing::Values(1, 4)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_jobs" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Each data chunk restores on a connection of its own, in any order (the
// parallel restore of DESIGN.md section 4): chunks carry their session settings.
TEST(MyRoundTripChunks, DataChunksRestoreAloneInReverseOrder) {
  ScratchMyDatabase source("src_chunks");
  ScratchMyDatabase target("dst_chunks");
  ASSERT_NO_FATAL_FAILURE(load("stress", source.name()));
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
  expect_same_database(source.name(), target.name());
}

}  // namespace
}  // namespace dbsnap::test
