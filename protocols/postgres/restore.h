// The PostgreSQL restore target: runs psql scripts over libpq (never psql).
//
// Sessions split the script with ScriptSplitter (splitter.h) and run each
// statement with PQexec, as psql does without ON_ERROR_STOP off: the first
// failing statement ends the script. COPY ... FROM stdin data is sent with
// PQputCopyData. Meta-commands: \connect (any arguments) opens a new session
// on the target database, whatever database it names, so a `pg_dump -C`
// script lands in the database the user chose; \restrict and \unrestrict
// (pg_dump 17.6+/15.14+) are accepted and ignored; others are an error.
// Server NOTICEs are dropped; WARNINGs go to stderr.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/restore_target.h"
#include "engine/url.h"

namespace dbsnap::pg {

// The database `database` (or url.database when empty) on url's server.
// The database's existence is checked, and it is created (from template0)
// and dropped, from the maintenance database "postgres" ("template1" when
// the target is "postgres"); creating needs CREATEDB. Drop: DROP DATABASE
// ... WITH (FORCE) (13+; older servers: pg_terminate_backend on its sessions
// first). Clean: drops every extension but plpgsql, every schema but the
// system ones (CASCADE), and recreates schema public as initdb makes it.
// A database counts as non-empty when it has a relation, routine or type
// outside the system schemas, a schema besides public, or an extension
// besides plpgsql.
//
// With SessionOptions::tables, foreign keys (ALTER TABLE ... ADD CONSTRAINT
// ... FOREIGN KEY ... REFERENCES ...) whose table or referenced table is not
// among them are skipped: their other side has no rows.
std::unique_ptr<RestoreTarget> make_pg_restore_target(const ServerUrl& url,
                                                      const std::string& database);

// The server of url as the target of a globals snapshot (backup --globals,
// protocols/postgres/globals.h): its sessions connect to url.database (else
// "postgres") and run the script as psql would, except that a CREATE ROLE
// or CREATE TABLESPACE of one that exists is skipped (the ALTER ROLE,
// settings, grants and comments that follow apply to it, as with psql and
// pg_dumpall's script), and that ALTER ROLE ... IN DATABASE of a database
// the server lacks is skipped with a warning on stderr. Any other failure
// ends the restore. It has no database: create_database, drop_database,
// clean_database and count_rows throw ExitCode::usage (so do --drop, --clean
// and --tables); database_exists is true and database_contents "".
std::unique_ptr<RestoreTarget> make_pg_globals_target(const ServerUrl& url);

// The post-data steps (RestoreTarget::split_post_data) of a psql script:
// its statements split with ScriptSplitter, each maximal run of two or more
// consecutive index builds (CREATE [UNIQUE] INDEX ...; ALTER TABLE [ONLY] t
// ADD CONSTRAINT c PRIMARY KEY|UNIQUE|EXCLUDE ...) a parallel step, one
// piece per statement; the statements between them (ATTACH of indexes,
// triggers, rules, foreign keys, ACLs, ...) sequential steps, one piece per
// statement or meta-command. A script that the splitter rejects, or with
// COPY or standard_conforming_strings off, is one sequential step of one
// piece: the whole script.
std::vector<PostDataStep> pg_split_post_data(std::string_view script);

// Whether user_name names table, a qualified name as pg_dump prints it
// ("public.film", "\"My\".\"Tbl\""): both parts compared, or only the table
// part when user_name has one; unquoted parts fold to lowercase, as SQL does.
bool pg_table_matches(std::string_view table, std::string_view user_name);

}  // namespace dbsnap::pg
