#include "tests/support/pg.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/common.h"

namespace dbsnap::test {
namespace {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Conn connect(const std::string& db) {
  Conn c(PQconnectdb(pg_url_for(db).c_str()), &PQfinish);
  if (c == nullptr || PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("unable to connect to test database '" + db +
                             "': " + (c ? PQerrorMessage(c.get()) : "out of memory"));
  // NOTICEs (e.g. "does not exist, skipping") would only clutter test output.
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

std::string quote_ident(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

std::string quote_literal(const std::string& text) {
  std::string q = "'";
  for (char c : text) {
    if (c == '\'') q += '\'';
    q += c;
  }
  return q + '\'';
}

}  // namespace

std::string pg_url_for(const std::string& db) { return url_with_database(pg_url(), db); }

std::vector<std::vector<std::string>> pg_query(const std::string& db, const std::string& sql) {
  Conn c = connect(db);
  // PQexec returns the last statement's result; earlier failures stop it there.
  Result r(PQexec(c.get(), sql.c_str()), &PQclear);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    throw std::runtime_error("sql failed in '" + db + "': " + PQerrorMessage(c.get()) +
                             "sql: " + sql.substr(0, 300));
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < PQnfields(r.get()); ++j)
      row.emplace_back(PQgetvalue(r.get(), i, j),
                       static_cast<std::size_t>(PQgetlength(r.get(), i, j)));
  }
  return rows;
}

void pg_exec(const std::string& db, const std::string& sql) { pg_query(db, sql); }

void pg_create_database(const std::string& db) {
  pg_exec("postgres", "CREATE DATABASE " + quote_ident(db) + " TEMPLATE template0 ENCODING 'UTF8'");
}

void pg_drop_database(const std::string& db) {
  // A database with subscriptions cannot be dropped: detach them from their
  // slots (never connecting) and drop them first.
  auto subscriptions = pg_query("postgres",
                                "SELECT s.subname FROM pg_catalog.pg_subscription s JOIN "
                                "pg_catalog.pg_database d ON d.oid = s.subdbid WHERE d.datname = " +
                                    quote_literal(db));
  for (const auto& row : subscriptions) {
    std::string s = quote_ident(row[0]);
    pg_exec(db, "ALTER SUBSCRIPTION " + s + " DISABLE");
    pg_exec(db, "ALTER SUBSCRIPTION " + s + " SET (slot_name = NONE)");
    pg_exec(db, "DROP SUBSCRIPTION " + s);
  }
  pg_exec("postgres", "DROP DATABASE IF EXISTS " + quote_ident(db) + " WITH (FORCE)");
}

void pg_load_sql_file(const std::string& db, const std::filesystem::path& file) {
  auto r =
      run({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg_url_for(db), "-f", file.string()});
  if (r.exit_code != 0)
    throw std::runtime_error("psql -f " + file.string() + " into '" + db +
                             "' failed: " + r.describe());
}

std::string pg_schema_dump(const std::string& db) {
  auto r = run({"pg_dump", "--schema-only", "--no-sync", "-d", pg_url_for(db)});
  if (r.exit_code != 0)
    throw std::runtime_error("pg_dump --schema-only of '" + db + "' failed: " + r.describe());
  static const std::regex drop_lines(
      R"(^(-- Dumped (from database|by pg_dump) version .*|\\(un)?restrict .*)\n)",
      std::regex::multiline);
  std::string text = std::regex_replace(r.out, drop_lines, "");
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0;;) {
    auto hit = text.find(db, pos);
    out.append(text, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) break;
    out += "<database>";
    pos = hit + db.size();
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const TableFingerprint& f) {
  return os << "{rows " << f.rows << ", md5 " << f.md5 << "}";
}

namespace {

// The fingerprint of each relation (a "schema.name" as format('%I.%I') gives)
// of db, in one statement: a UNION ALL of per-relation aggregates.
std::map<std::string, TableFingerprint> fingerprints_of(const std::string& db,
                                                        const std::vector<std::string>& names) {
  std::map<std::string, TableFingerprint> result;
  if (names.empty()) return result;
  std::string sql;
  for (const auto& name : names) {
    if (!sql.empty()) sql += "\nUNION ALL ";
    std::string literal = "'" + std::regex_replace(name, std::regex("'"), "''") + "'";
    sql +=
        "SELECT " + literal +
        ", count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text COLLATE \"C\"), ''))"
        " FROM ONLY " +
        name + " x";
  }
  for (const auto& row : pg_query(db, sql))
    result[row[0]] = TableFingerprint{std::stoull(row[1]), row[2]};
  return result;
}

// "schema.name" and relispopulated of db's relations of kind relkind, outside
// the system schemas.
std::vector<std::vector<std::string>> relations_of_kind(const std::string& db, char relkind) {
  return pg_query(db, std::string(R"(
      SELECT format('%I.%I', n.nspname, c.relname), c.relispopulated
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = ')") +
                          relkind + R"(' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      ORDER BY 1)");
}

}  // namespace

std::map<std::string, TableFingerprint> pg_table_fingerprints(const std::string& db) {
  std::vector<std::string> names;
  for (const auto& row : relations_of_kind(db, 'r')) names.push_back(row[0]);
  return fingerprints_of(db, names);
}

std::ostream& operator<<(std::ostream& os, const MatViewState& m) {
  return os << (m.populated ? "{populated, " : "{not populated, ") << m.content << "}";
}

std::map<std::string, MatViewState> pg_matview_states(const std::string& db) {
  std::map<std::string, MatViewState> result;
  std::vector<std::string> populated;
  for (const auto& row : relations_of_kind(db, 'm')) {
    result[row[0]].populated = row[1] == "t";
    if (row[1] == "t") populated.push_back(row[0]);
  }
  for (auto& [name, content] : fingerprints_of(db, populated)) result[name].content = content;
  return result;
}

std::map<std::string, std::string> pg_sequence_values(const std::string& db) {
  std::map<std::string, std::string> result;
  for (const auto& row : pg_query(db, R"(
      SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value::text, 'null')
      FROM pg_sequences ORDER BY 1)"))
    result[row[0]] = row[1];
  return result;
}

std::map<std::string, std::string> pg_large_objects(const std::string& db) {
  std::map<std::string, std::string> result;
  for (const auto& row : pg_query(db, R"(
      SELECT l.oid, concat_ws('|', md5(lo_get(l.oid)), pg_get_userbyid(l.lomowner),
                              coalesce(l.lomacl::text, 'null'),
                              coalesce(obj_description(l.oid, 'pg_largeobject'), 'null'))
      FROM pg_largeobject_metadata l)"))
    result[row[0]] = row[1];
  return result;
}

ScratchPgDatabase::ScratchPgDatabase(const std::string& tag) : name_(unique_name(tag)) {
  pg_drop_database(name_);
  pg_create_database(name_);
}

ScratchPgDatabase::~ScratchPgDatabase() {
  if (std::getenv("DBSNAP_TEST_KEEP") != nullptr) return;
  try {
    pg_drop_database(name_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unable to drop scratch database: " << e.what();
  }
}

void expect_same_pg_database(const std::string& source, const std::string& target) {
  EXPECT_EQ(pg_schema_dump(target), pg_schema_dump(source)) << "schemas differ";
  auto want = pg_table_fingerprints(source);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(pg_table_fingerprints(target), want) << "table contents differ";
  EXPECT_EQ(pg_matview_states(target), pg_matview_states(source))
      << "materialized views differ (content or populated state)";
  EXPECT_EQ(pg_sequence_values(target), pg_sequence_values(source)) << "sequences differ";
  EXPECT_EQ(pg_large_objects(target), pg_large_objects(source)) << "large objects differ";
}

}  // namespace dbsnap::test
