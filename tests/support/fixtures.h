// The datasets the end-to-end suites load into scratch databases.
//
// Throws std::runtime_error (from the loaders in pg.h / mysql_server.h) when a
// file is missing or does not load.
#pragma once

#include <string>

namespace dbsnap::test {

// "pagila" (../shared/datasets/pagila schema + data) or "stress"
// (tests/protocols/postgres/stress_schema.sql), loaded with psql into db.
void load_pg_fixture(const std::string& fixture, const std::string& db);

// "sakila" (../shared/datasets/sakila, rewritten from the database name
// sakila to db: its files create, use and name it) or "stress"
// (tests/protocols/mysql/stress_schema.sql), loaded with mariadb into db.
void load_my_fixture(const std::string& fixture, const std::string& db);

}  // namespace dbsnap::test
