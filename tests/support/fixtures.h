// The datasets the end-to-end suites load into scratch databases.
//
// Throws std::runtime_error (from the loaders in pg.h / mysql_server.h) when a
// file is missing or does not load.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <tuple>

#include "tests/support/common.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"

namespace dbsnap::test {

// "pagila" (datasets_dir()/pagila schema + data) or a project fixture such as
// "stress" or "objects" (tests/protocols/postgres/<fixture>_schema.sql),
// loaded with psql into db.
void load_pg_fixture(const std::string& fixture, const std::string& db);

// One dialect as a typed test suite that runs the same tests against
// PostgreSQL and MariaDB sees it: its scratch database, fixture loader,
// whole-database comparison and table fingerprints, and the stress fixture's
// table without a key as --tables takes it and as the fingerprints name it.
//
//   TYPED_TEST_SUITE(S3Cli, Dialects, DialectName);  // S3Cli/Pg.*, S3Cli/My.*
struct PgDialect;
struct MyDialect;
using Dialects = ::testing::Types<PgDialect, MyDialect>;
struct DialectName {
  template <class Dialect>
  static std::string GetName(int) {
    return Dialect::kName;
  }
};

// "sakila" (datasets_dir()/sakila, rewritten from the database name
// sakila to db: its files create, use and name it) or "stress"
// (tests/protocols/mysql/stress_schema.sql), loaded with mariadb into db.
void load_my_fixture(const std::string& fixture, const std::string& db);

struct PgDialect {
  using Database = ScratchPgDatabase;
  static constexpr const char* kName = "Pg";
  static constexpr const char* kKeylessTable = "no_pk";
  static constexpr const char* kKeylessTableFingerprint = "public.no_pk";
  static void load(const std::string& fixture, const std::string& db) {
    load_pg_fixture(fixture, db);
  }
  // The stock client as a shell command that runs the script on its stdin in db.
  static std::string client_command(const std::string& db) {
    return "psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(pg_url_for(db)) + " >/dev/null";
  }
  static void expect_same(const std::string& source, const std::string& target) {
    expect_same_pg_database(source, target);
  }
  static auto fingerprints(const std::string& db) { return pg_table_fingerprints(db); }
};

struct MyDialect {
  using Database = ScratchMyDatabase;
  static constexpr const char* kName = "My";
  static constexpr const char* kKeylessTable = "nokey";
  static constexpr const char* kKeylessTableFingerprint = "nokey";
  static void load(const std::string& fixture, const std::string& db) {
    load_my_fixture(fixture, db);
  }
  static std::string client_command(const std::string& db) { return my_client_command(db); }
  static void expect_same(const std::string& source, const std::string& target) {
    expect_same_my_database(source, target);
  }
  static auto fingerprints(const std::string& db) { return my_table_fingerprints(db); }
};

// `dbsnap backup url --to volume` with two jobs and 64 KiB chunks, so that
// tables span several chunks and jobs interleave. Returns the one manifest
// under volume; records a gtest failure if the backup fails and throws
// std::runtime_error unless there is exactly one manifest.
std::filesystem::path backup_snapshot(const std::string& url, const ScratchDir& volume);

// A scratch source database (ScratchPgDatabase or ScratchMyDatabase) loaded
// with a fixture, and one backup_snapshot() of it. For suites that share one
// snapshot: create it in SetUpTestSuite, delete it in TearDownTestSuite.
template <class Database>
struct FixtureSnapshot {
  FixtureSnapshot(const std::string& tag, const std::string& fixture);

  Database source;
  ScratchDir volume;
  std::filesystem::path manifest;
};

// Shared state a suite builds once, in SetUpTestSuite. GoogleTest (1.12)
// marks every test of a suite skipped when its SetUpTestSuite records a
// failure, and ctest counts such skips as "not run", not failed. So the suite
// builds through run(), which keeps gtest failures and exceptions out of the
// suite's result, and each test's SetUp calls ASSERT_NO_FATAL_FAILURE(check()),
// which fails the test with what went wrong:
//
//   static void SetUpTestSuite() { setup_.run([] { shared_ = new ...; }); }
//   void SetUp() override { ASSERT_NO_FATAL_FAILURE(setup_.check()); }
class SuiteSetup {
 public:
  // Runs build; records every gtest failure it reports (on any thread) and
  // the exception it throws, if any.
  void run(const std::function<void()>& build);
  // Fails the current test (fatally) if run() recorded anything, or was not called.
  void check() const;

 private:
  bool ran_ = false;
  std::string error_;
};

// The base of a typed suite over Dialects that shares one source: the
// dialect's stress fixture loaded into a scratch database once per suite
// (through SuiteSetup: a setup failure fails each test, never skips it).
// Suite (the derived class) names the database with kTag, and may build more
// from the source in a static prepare(source), ended in a static release():
//
//   template <class Dialect>
//   class CopyCli : public StressSourceSuite<Dialect, CopyCli<Dialect>> {
//    public:
//     static constexpr const char* kTag = "copy_src";
//   };
template <class Dialect, class Suite>
class StressSourceSuite : public ::testing::Test {
 public:
  using Database = typename Dialect::Database;
  static void SetUpTestSuite() {
    setup_.run([] {
      source_ = new Database(Suite::kTag);
      Dialect::load("stress", source_->name());
      Suite::prepare(*source_);
    });
  }
  static void TearDownTestSuite() {
    Suite::release();
    delete source_;
    source_ = nullptr;
  }
  static void prepare(const Database& /*source*/) {}
  static void release() {}

 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(setup_.check());
    ASSERT_NE(source_, nullptr);
  }

  static inline SuiteSetup setup_;
  static inline Database* source_ = nullptr;
};

// The name of a test parameterised by (fixture, jobs): "sakila_jobs4".
std::string fixture_jobs_name(const ::testing::TestParamInfo<std::tuple<std::string, int>>& info);

// After a restore of one table (--tables): got holds every table of want,
// `table` with want's content and the others empty. Fingerprints: the map of
// pg_table_fingerprints() or my_table_fingerprints().
template <class Fingerprints>
void expect_only_table_restored(const Fingerprints& want, const Fingerprints& got,
                                const std::string& table) {
  ASSERT_EQ(got.count(table), 1u) << table << " is missing";
  EXPECT_GT(want.at(table).rows, 0u) << "the source's " << table << " is empty";
  EXPECT_EQ(got.at(table), want.at(table));
  EXPECT_EQ(got.size(), want.size()) << "the schema has every table";
  for (const auto& [name, fingerprint] : got) {
    if (name != table) {
      EXPECT_EQ(fingerprint.rows, 0u) << name << " got data";
    }
  }
}

}  // namespace dbsnap::test
