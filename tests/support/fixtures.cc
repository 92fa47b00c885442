#include "tests/support/fixtures.h"

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

}  // namespace

void load_pg_fixture(const std::string& fixture, const std::string& db) {
  if (fixture == "stress") {
    pg_load_sql_file(
        db, existing(source_dir() / "tests" / "protocols" / "postgres" / "stress_schema.sql"));
    return;
  }
  fs::path dir = shared_dir() / "datasets" / "pagila";
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
    std::string text = read_file(existing(shared_dir() / "datasets" / "sakila" / name));
    text = std::regex_replace(text, std::regex("(DROP SCHEMA IF EXISTS|CREATE SCHEMA|USE) sakila;"),
                              "");
    text = std::regex_replace(text, std::regex("sakila\\."), db + ".");
    fs::path copy = dir.path() / name;
    std::ofstream(copy, std::ios::binary) << text;
    my_load_sql_file(db, copy);
  }
}

}  // namespace dbsnap::test
