#include "tests/support/fixtures.h"

#include <gtest/gtest-spi.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "tests/support/common.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"

namespace dbsnap::test {

namespace fs = std::filesystem;

namespace {

fs::path existing(fs::path file) {
  if (!fs::exists(file)) throw std::runtime_error("fixture file " + file.string() + " is missing");
  return file;
}

void load(const std::string& fixture, const ScratchPgDatabase& db) {
  load_pg_fixture(fixture, db.name());
}

void load(const std::string& fixture, const ScratchMyDatabase& db) {
  load_my_fixture(fixture, db.name());
}

}  // namespace

void load_pg_fixture(const std::string& fixture, const std::string& db) {
  if (fixture != "pagila") {  // the project's own: tests/protocols/postgres/<fixture>_schema.sql
    pg_load_sql_file(db, existing(source_dir() / "tests" / "protocols" / "postgres" /
                                  (fixture + "_schema.sql")));
    return;
  }
  fs::path dir = datasets_dir() / "pagila";
  for (const char* name : {"pagila-schema.sql", "pagila-data.sql"})
    pg_load_sql_file(db, existing(dir / name));
}

void load_my_fixture(const std::string& fixture, const std::string& db) {
  if (fixture == "stress") {
    my_load_sql_file(
        db, existing(source_dir() / "tests" / "protocols" / "mysql" / "stress_schema.sql"));
    return;
  }
  ScratchDir dir;
  for (const char* name : {"sakila-mv-schema.sql", "sakila-mv-data.sql"}) {
    std::string text = read_file(existing(datasets_dir() / "sakila" / name));
    text = std::regex_replace(text, std::regex("(DROP SCHEMA IF EXISTS|CREATE SCHEMA|USE) sakila;"),
                              "");
    text = std::regex_replace(text, std::regex("sakila\\."), db + ".");
    fs::path copy = dir.path() / name;
    std::ofstream(copy, std::ios::binary) << text;
    my_load_sql_file(db, copy);
  }
}

fs::path backup_snapshot(const std::string& url, const ScratchDir& volume) {
  auto r = run_dbsnap({"backup", url, "--to", volume.path().string(), "--jobs", "2", "--chunk-size",
                       "64KiB", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  auto manifests = find_files(volume.path(), ".manifest.json");
  if (manifests.size() != 1) throw std::runtime_error("expected one manifest after the backup");
  return manifests[0];
}

template <class Database>
FixtureSnapshot<Database>::FixtureSnapshot(const std::string& tag, const std::string& fixture)
    : source(tag) {
  load(fixture, source);
  manifest = backup_snapshot(source.url(), volume);
}

template struct FixtureSnapshot<ScratchPgDatabase>;
template struct FixtureSnapshot<ScratchMyDatabase>;

void SuiteSetup::run(const std::function<void()>& build) {
  ran_ = true;
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS, &failures);
    try {
      build();
    } catch (const std::exception& e) {
      error_ += std::string("exception: ") + e.what() + "\n";
    } catch (...) {
      error_ += "unknown exception\n";
    }
  }
  for (int i = 0; i < failures.size(); ++i) {
    const auto& f = failures.GetTestPartResult(i);
    if (!f.failed()) continue;
    error_ += (f.file_name() != nullptr ? f.file_name() : "?") + std::string(":") +
              std::to_string(f.line_number()) + ": " + f.message() + "\n";
  }
}

void SuiteSetup::check() const {
  ASSERT_TRUE(ran_) << "SetUpTestSuite did not run the suite's setup";
  ASSERT_TRUE(error_.empty()) << "the suite's shared setup (SetUpTestSuite) failed:\n" << error_;
}

std::string fixture_jobs_name(const ::testing::TestParamInfo<std::tuple<std::string, int>>& info) {
  return std::get<0>(info.param) + "_jobs" + std::to_string(std::get<1>(info.param));
}

}  // namespace dbsnap::test
