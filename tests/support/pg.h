// PostgreSQL helpers for tests: scratch databases on the server tools/test.sh
// started (DBSNAP_TEST_PG_URL), SQL through libpq, fixtures through psql, and
// the two views a round trip must preserve: the schema dump and the content.
//
// Every function throws std::runtime_error with the server's or the tool's
// message on failure; gtest reports it as a failure of the running test.
// psql and pg_dump are the reference clients here, never dbsnap's own code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace dbsnap::test {

// DBSNAP_TEST_PG_URL pointing at database db.
std::string pg_url_for(const std::string& db);

// Runs sql (one or more statements) in db; returns the rows of the last
// statement as text ("" for NULL).
std::vector<std::vector<std::string>> pg_query(const std::string& db, const std::string& sql);
void pg_exec(const std::string& db, const std::string& sql);

// CREATE DATABASE db (template0, UTF8) / DROP DATABASE IF EXISTS db WITH (FORCE),
// after dropping its subscriptions (detached from their slots, never connecting).
void pg_create_database(const std::string& db);
void pg_drop_database(const std::string& db);

// Runs the file with `psql -v ON_ERROR_STOP=1 -X -q -f file` in db.
void pg_load_sql_file(const std::string& db, const std::filesystem::path& file);

// `pg_dump --schema-only` of db, normalised so two databases with the same
// objects compare equal: without the "Dumped from/by" version lines, the
// \restrict/\unrestrict keys (random per run) and with db's name replaced by
// "<database>".
std::string pg_schema_dump(const std::string& db);

// The content of one table: its row count and the md5 of its rows as text,
// sorted (string_agg(t::text, E'\n' ORDER BY t::text COLLATE "C")), so the
// value does not depend on physical order.
struct TableFingerprint {
  std::uint64_t rows = 0;
  std::string md5;
  bool operator==(const TableFingerprint&) const = default;
};
std::ostream& operator<<(std::ostream& os, const TableFingerprint& f);

// Every ordinary table and partition outside the system schemas, by
// "schema.table" (quoted where SQL needs it).
std::map<std::string, TableFingerprint> pg_table_fingerprints(const std::string& db);

// Every materialized view outside the system schemas, by "schema.view":
// whether it is populated (pg_class.relispopulated; pg_dump --schema-only
// writes every one WITH NO DATA, so only this tells) and, when it is, its
// content as pg_table_fingerprints() computes it ({0, ""} when it is not: an
// unpopulated view cannot be read).
struct MatViewState {
  bool populated = false;
  TableFingerprint content;
  bool operator==(const MatViewState&) const = default;
};
std::ostream& operator<<(std::ostream& os, const MatViewState& m);
std::map<std::string, MatViewState> pg_matview_states(const std::string& db);

// Every sequence's last value ("null" before its first use), by "schema.sequence".
std::map<std::string, std::string> pg_sequence_values(const std::string& db);

// Every large object by OID: "md5 of its data|owner|ACL|comment".
std::map<std::string, std::string> pg_large_objects(const std::string& db);

// Records gtest failures unless target equals source: the same schema dump,
// table fingerprints (source has tables), materialized view states,
// sequence values and large objects.
void expect_same_pg_database(const std::string& source, const std::string& target);

// A scratch database, created now and dropped when this object goes. Name from
// unique_name(tag).
class ScratchPgDatabase {
 public:
  explicit ScratchPgDatabase(const std::string& tag);
  ~ScratchPgDatabase();
  ScratchPgDatabase(const ScratchPgDatabase&) = delete;
  ScratchPgDatabase& operator=(const ScratchPgDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return pg_url_for(name_); }

 private:
  std::string name_;
};

}  // namespace dbsnap::test
