#include "tests/support/mysql_server.h"

#include <gtest/gtest.h>
#include <mysql.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "engine/url.h"
#include "tests/support/common.h"

namespace dbsnap::test {
namespace {

using Handle = std::unique_ptr<MYSQL, decltype(&mysql_close)>;

Handle connect(const std::string& db) {
  ServerUrl url = ServerUrl::parse(my_url_for(db));
  Handle h(mysql_init(nullptr), &mysql_close);
  if (!h) throw std::bad_alloc();
  if (!mysql_real_connect(h.get(), url.host.c_str(), url.user.c_str(), url.password.c_str(),
                          db.empty() ? nullptr : db.c_str(), static_cast<unsigned>(url.port),
                          nullptr, CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS))
    throw std::runtime_error("cannot connect to " + url.masked() + ": " + mysql_error(h.get()));
  if (mysql_set_character_set(h.get(), "utf8mb4") != 0)
    throw std::runtime_error(std::string("cannot SET NAMES utf8mb4: ") + mysql_error(h.get()));
  return h;
}

}  // namespace

std::string my_url_for(const std::string& db) { return url_with_database(my_url(), db); }

std::vector<std::vector<std::string>> my_query(const std::string& db, const std::string& sql) {
  Handle h = connect(db);
  if (mysql_real_query(h.get(), sql.data(), sql.size()) != 0)
    throw std::runtime_error("query failed: " + std::string(mysql_error(h.get())) +
                             " (while running: " + sql.substr(0, 200) + ")");
  std::vector<std::vector<std::string>> rows;
  do {
    MYSQL_RES* res = mysql_store_result(h.get());
    if (res == nullptr) {
      if (mysql_errno(h.get()) != 0)
        throw std::runtime_error("query failed: " + std::string(mysql_error(h.get())));
      continue;
    }
    rows.clear();
    unsigned n = mysql_num_fields(res);
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      unsigned long* lengths = mysql_fetch_lengths(res);
      std::vector<std::string> values;
      for (unsigned i = 0; i < n; ++i)
        values.push_back(row[i] ? std::string(row[i], lengths[i]) : std::string("\\N"));
      rows.push_back(std::move(values));
    }
    mysql_free_result(res);
  } while (mysql_next_result(h.get()) == 0);
  if (mysql_errno(h.get()) != 0)
    throw std::runtime_error("statement failed: " + std::string(mysql_error(h.get())) +
                             " (while running: " + sql.substr(0, 200) + ")");
  return rows;
}

void my_exec(const std::string& db, const std::string& sql) { my_query(db, sql); }

void my_create_database(const std::string& db) {
  my_exec("", "CREATE DATABASE `" + db + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
}

void my_drop_database(const std::string& db) {
  my_exec("", "DROP DATABASE IF EXISTS `" + db + "`");
}

std::string my_client_command(const std::string& db, const std::string& program) {
  ServerUrl url = ServerUrl::parse(my_url_for(db));
  std::string cmd = "MYSQL_PWD=" + shell_quote(url.password) + " " + program +
                    " --no-defaults --protocol=tcp --default-character-set=utf8mb4 -h " +
                    shell_quote(url.host) + " -P " + std::to_string(url.port) + " -u " +
                    shell_quote(url.user);
  if (!db.empty()) cmd += " " + shell_quote(db);
  return cmd;
}

void my_load_sql_file(const std::string& db, const std::filesystem::path& file) {
  auto r = run_shell(my_client_command(db) + " < " + shell_quote(file.string()));
  if (r.exit_code != 0)
    throw std::runtime_error("loading " + file.string() + " into " + db +
                             " failed: " + r.describe());
}

ScratchMyDatabase::ScratchMyDatabase(const std::string& tag) : name_(unique_name(tag)) {
  my_create_database(name_);
}

ScratchMyDatabase::~ScratchMyDatabase() {
  if (std::getenv("DBSNAP_TEST_KEEP") != nullptr) return;
  try {
    my_drop_database(name_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop scratch database " << name_ << ": " << e.what();
  }
}

}  // namespace dbsnap::test
