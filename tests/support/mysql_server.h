// MySQL/MariaDB helpers for tests: scratch databases on the server
// tools/test.sh started (DBSNAP_TEST_MY_URL), SQL through libmariadb's C API,
// fixtures and restores through the `mariadb` client.
//
// Every function throws std::runtime_error with the server's or the tool's
// message on failure; gtest reports it as a failure of the running test. The
// `mariadb` client and raw libmariadb calls are the reference here, never
// dbsnap's own protocols/mysql code.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dbsnap::test {

// DBSNAP_TEST_MY_URL pointing at database db ("" for none).
std::string my_url_for(const std::string& db);

// Runs sql (one or more statements) in db ("" for none); returns the rows of
// the last result, NULL as "\N" (as the mysql client prints it in batch mode).
std::vector<std::vector<std::string>> my_query(const std::string& db, const std::string& sql);
void my_exec(const std::string& db, const std::string& sql);

// CREATE DATABASE db (utf8mb4) / DROP DATABASE IF EXISTS db.
void my_create_database(const std::string& db);
void my_drop_database(const std::string& db);

// A shell command running program (a MariaDB client: mariadb, mariadb-dump)
// on db with the URL's credentials (the password through MYSQL_PWD, never on
// the command line); append options and redirections to it.
std::string my_client_command(const std::string& db, const std::string& program = "mariadb");

// Runs the SQL script file in db with the `mariadb` client.
void my_load_sql_file(const std::string& db, const std::filesystem::path& file);

// A scratch database, created now and dropped when this object goes (kept
// when DBSNAP_TEST_KEEP is set, for debugging). Name from unique_name(tag).
class ScratchMyDatabase {
 public:
  explicit ScratchMyDatabase(const std::string& tag);
  ~ScratchMyDatabase();
  ScratchMyDatabase(const ScratchMyDatabase&) = delete;
  ScratchMyDatabase& operator=(const ScratchMyDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return my_url_for(name_); }

 private:
  std::string name_;
};

}  // namespace dbsnap::test
