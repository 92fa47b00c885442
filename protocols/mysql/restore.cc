#include "protocols/mysql/restore.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "engine/cancel.h"
#include "engine/error.h"
#include "protocols/mysql/connection.h"
#include "protocols/mysql/splitter.h"
#include "protocols/mysql/sql_text.h"
#include "protocols/splitting_session.h"

namespace dbsnap::mysql {
namespace {

// Characters of a statement quoted in an error message.
constexpr std::size_t kStatementExcerpt = 200;

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (fold(s[i]) != fold(prefix[i])) return false;
  return true;
}

// SET ... or /*!NNNNN SET ... */: a session setting to replay on new sessions.
// Not an assignment to the data chunks' own variables (SET @dbsnap_...):
// they build long values there (rows.h InsertWriter) that nothing later reads.
bool is_setting(std::string_view statement) {
  if (statement.starts_with("/*!")) {
    statement.remove_prefix(3);
    while (!statement.empty() && statement.front() >= '0' && statement.front() <= '9')
      statement.remove_prefix(1);
    while (!statement.empty() && statement.front() == ' ') statement.remove_prefix(1);
  }
  return starts_with_nocase(statement, "SET ") && !statement.starts_with("SET @dbsnap_");
}

// "a b  c\n d" -> "a b c d", cut at kStatementExcerpt characters.
std::string excerpt(std::string_view statement) {
  std::string out;
  for (char c : statement) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
    if (out.size() >= kStatementExcerpt) return out + "...";
  }
  return out;
}

ServerUrl without_database(ServerUrl url) {
  url.database.clear();
  return url;
}

constexpr unsigned kErLockDeadlock = 1213;  // MariaDB error reference: ER_LOCK_DEADLOCK
constexpr int kDeadlockAttempts = 5;

// A connection to url's server (database: its default database, or none),
// with binary logging off for the session unless binlog.
MyConnection connect_for_restore(const ServerUrl& url, const std::string& database, bool binlog) {
  MyConnection conn = MyConnection::connect(url, database);
  if (binlog) return conn;
  try {
    conn.exec("SET SESSION sql_log_bin = 0");
  } catch (const Error& e) {
    if (e.code() != ExitCode::access_denied) throw;
    throw Error(ExitCode::access_denied,
                fmt::format("restore --no-binlog needs the SUPER or BINLOG ADMIN privilege to "
                            "turn off the binary log: grant it or restore without --no-binlog "
                            "({})",
                            e.what()));
  }
  return conn;
}

class MyRestoreSession final : public SplittingSession<ScriptSplitter> {
 public:
  MyRestoreSession(MyConnection conn, const SessionOptions& options) : conn_(std::move(conn)) {
    for (const auto& s : options.settings) conn_.exec(s);
  }

 private:
  void drain() override {
    for (;;) {
      std::optional<Statement> s;
      try {
        s = splitter_.next();
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", label_, e.what()));
      }
      if (!s) return;
      throw_if_cancelled();
      unsigned code = conn_.try_exec(s->text);
      // Chunks of one table load in parallel; InnoDB may pick one INSERT as a
      // deadlock victim (ER_LOCK_DEADLOCK) and roll back only that statement
      // (autocommit): run it again after a short pause.
      for (int attempt = 1;
           code == kErLockDeadlock && attempt < kDeadlockAttempts && !in_transaction(); ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
        code = conn_.try_exec(s->text);
      }
      if (code != 0)
        throw Error(ExitCode::server_error,
                    fmt::format("{}, line {}: ERROR {} ({}): {}; statement: {}", label_,
                                s->line + first_line_ - 1, code, mysql_sqlstate(conn_.get()),
                                conn_.error_message(), excerpt(s->text)));
      if (is_setting(s->text)) settings_.emplace_back(s->text);
    }
  }

  bool in_transaction() {
    unsigned int status = 0;
    mariadb_get_infov(conn_.get(), MARIADB_CONNECTION_SERVER_STATUS, &status);
    return (status & SERVER_STATUS_IN_TRANS) != 0;
  }

  MyConnection conn_;
};

class MyTarget final : public RestoreTarget {
 public:
  MyTarget(const ServerUrl& url, std::string database, const MyRestoreOptions& options)
      : url_(url), database_(std::move(database)), binlog_(options.binlog) {
    url_.database = database_;
  }

  std::string describe() const override { return url_.masked(); }
  const std::string& database() const override { return database_; }

  bool database_exists() override {
    return admin()
        .query(fmt::format("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                           quote_string(database_)))
        .next();
  }

  void create_database() override {
    admin().exec(fmt::format("CREATE DATABASE {}", quote_ident(database_)));
  }

  std::unique_ptr<RestoreSession> open_session(const SessionOptions& options) override {
    return std::make_unique<MyRestoreSession>(connect_for_restore(url_, database_, binlog_),
                                              options);
  }

  bool table_matches(std::string_view manifest_table, std::string_view user_name) const override {
    if (user_name == manifest_table) return true;
    auto dot = user_name.rfind('.');
    return dot != std::string_view::npos && user_name.substr(dot + 1) == manifest_table;
  }

  std::uint64_t count_rows(const std::string& manifest_table) override {
    if (!counter_) counter_.emplace(MyConnection::connect(url_, database_));
    // A system-versioned table (MariaDB) is dumped with its history rows.
    MyResult type = counter_->query(
        fmt::format("SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
                    "AND TABLE_NAME = {}",
                    quote_string(database_), quote_string(manifest_table)));
    bool history = type.next() && type.get(0) == "SYSTEM VERSIONED";
    MyResult r =
        counter_->query(fmt::format("SELECT COUNT(*) FROM {}{}", quote_ident(manifest_table),
                                    history ? " FOR SYSTEM_TIME ALL" : ""));
    if (!r.next()) return 0;
    return std::stoull(r.str(0));
  }

  void drop_database() override {
    counter_.reset();
    admin().exec(fmt::format("DROP DATABASE IF EXISTS {}", quote_ident(database_)));
  }

  std::string database_contents() override {
    std::string db = quote_string(database_);
    MyConnection conn = admin();
    MyResult r = conn.query(fmt::format(
        "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {0}),"
        "       (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {0}),"
        "       (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {0})",
        db));
    r.next();
    std::string out;
    const char* names[] = {"tables and views", "routines", "events"};
    for (unsigned i = 0; i < 3; ++i)
      if (r.get(i) != "0")
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", r.get(i), names[i]);
    return out;
  }

  void clean_database() override {
    MyConnection admin = this->admin();
    std::string db = quote_string(database_), ident = quote_ident(database_);
    admin.exec("SET FOREIGN_KEY_CHECKS = 0");
    std::vector<std::string> drops;
    MyResult tables = admin.query(fmt::format(
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {}",
        db));
    while (tables.next())
      drops.push_back(fmt::format("DROP {} IF EXISTS {}.{}",
                                  tables.get(1) == "VIEW" ? "VIEW" : "TABLE", ident,
                                  quote_ident(tables.get(0))));
    MyResult routines = admin.query(
        fmt::format("SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
                    "WHERE ROUTINE_SCHEMA = {}",
                    db));
    while (routines.next())
      drops.push_back(fmt::format("DROP {} IF EXISTS {}.{}", routines.str(1), ident,
                                  quote_ident(routines.get(0))));
    MyResult events = admin.query(fmt::format(
        "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {}", db));
    while (events.next())
      drops.push_back(fmt::format("DROP EVENT IF EXISTS {}.{}", ident, quote_ident(events.get(0))));
    for (const auto& d : drops) admin.exec(d);
  }

 private:
  // A connection without a default database.
  MyConnection admin() const { return connect_for_restore(without_database(url_), "", binlog_); }

  ServerUrl url_;
  std::string database_;
  bool binlog_;
  std::optional<MyConnection> counter_;
};

}  // namespace

std::unique_ptr<RestoreTarget> make_my_restore_target(const ServerUrl& url,
                                                      const std::string& database,
                                                      const MyRestoreOptions& options) {
  std::string db = database.empty() ? url.database : database;
  if (db.empty())
    throw Error(ExitCode::usage,
                "no target database: give one in the URL (mysql://host/db) or with --database");
  return std::make_unique<MyTarget>(url, std::move(db), options);
}

}  // namespace dbsnap::mysql
