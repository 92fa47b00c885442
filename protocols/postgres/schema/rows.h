// Used by protocols/postgres/schema/ and globals.cc: catalog query results
// read by column name. Each reader declares one struct per query, with named
// fields, and fills it in one place (a static `read(const Row&)`, most with
// read_fields()) from the columns its SELECT names with AS; no reader indexes
// columns by number.
//
// Column names are matched with PQfnumber, which folds unquoted names to
// lower case: aliases are lower-case snake_case. Asking for a column the
// query does not have is a programmer error and throws
// dbsnap::Error(ExitCode::failure) naming it. Not thread-safe (one result,
// one thread).
#pragma once

#include <libpq-fe.h>

#include <boost/pfr/core.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/catalog.h"

namespace dbsnap::pg::catalog {

// One row of a result; borrows the result, which must outlive it.
class Row {
 public:
  Row(const PgResult& result, int row) : r_(result), row_(row) {}
  bool is_null(const char* column) const { return r_.is_null(row_, col(column)); }
  // Text value; "" for NULL.
  std::string_view get(const char* column) const { return r_.get(row_, col(column)); }
  std::string str(const char* column) const { return r_.str(row_, col(column)); }
  // nullopt for NULL.
  std::optional<std::string> opt(const char* column) const {
    int c = col(column);
    if (r_.is_null(row_, c)) return std::nullopt;
    return r_.str(row_, c);
  }
  long long num(const char* column) const { return r_.num(row_, col(column)); }  // 0 for NULL
  // nullopt for NULL.
  std::optional<std::uint32_t> opt_oid(const char* column) const {
    int c = col(column);
    if (r_.is_null(row_, c)) return std::nullopt;
    return r_.oid(row_, c);
  }
  std::uint32_t oid(const char* column) const { return r_.oid(row_, col(column)); }
  bool flag(const char* column) const { return r_.flag(row_, col(column)); }  // "t"
  // The first byte of a "char" column ('\0' for NULL or "").
  char kind(const char* column) const {
    std::string_view v = get(column);
    return v.empty() ? '\0' : v[0];
  }

 private:
  int col(const char* column) const;  // catalog.cc

  const PgResult& r_;
  int row_;
};

// Runs sql on conn (query(): throws dbsnap::Error(ExitCode::server_error) if
// the server rejects it) and reads every row into a T with T::read(Row).
template <class T>
std::vector<T> read_rows(PGconn* conn, std::string_view sql) {
  PgResult r = query(conn, sql);
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(T::read(Row(r, i)));
  return out;
}

// An object's privileges as pg_dump's dumpACL takes them: the aclitem[] text,
// whether it is NULL (nothing to print), and the privileges it is compared
// with (acldefault, or pg_init_privs for initdb's objects).
struct Acl {
  std::string acl, base;
  bool is_null = true;
  // Reads the columns acl_columns() selects.
  static Acl read(const Row& r) {
    return {r.str("acl"), r.str("acl_default"), r.flag("acl_is_null")};
  }
};

// The select-list items Acl::read reads: "<column> AS acl, <column> IS NULL AS
// acl_is_null, pg_catalog.acldefault('<kind>', <owner>) AS acl_default".
std::string acl_columns(std::string_view column, char kind, std::string_view owner);

// One field of read_fields(): the accessor of Row its type reads with.
inline void read_field(const Row& r, const char* column, std::string& f) { f = r.str(column); }
inline void read_field(const Row& r, const char* column, std::optional<std::string>& f) {
  f = r.opt(column);
}
inline void read_field(const Row& r, const char* column, std::uint32_t& f) { f = r.oid(column); }
inline void read_field(const Row& r, const char* column, std::optional<std::uint32_t>& f) {
  f = r.opt_oid(column);
}
inline void read_field(const Row& r, const char* column, bool& f) { f = r.flag(column); }
inline void read_field(const Row& r, const char* column, char& f) { f = r.kind(column); }
inline void read_field(const Row& r, const char* column, long long& f) { f = r.num(column); }
// The columns acl_columns() selects, whatever the name ("acl" by convention).
inline void read_field(const Row& r, const char*, Acl& f) { f = Acl::read(r); }

// A T read from a row: its fields in declaration order from the columns
// named in that order, each by the accessor of its type (std::string: str,
// std::optional<std::string>: opt, std::uint32_t: oid, optional oid: opt_oid,
// bool: flag, char: kind, long long: num, Acl: Acl::read). T is an aggregate
// without base classes (Boost.PFR reads its fields); one column per field.
template <class T, std::size_t N>
T read_fields(const Row& r, const char* const (&columns)[N]) {
  static_assert(boost::pfr::tuple_size_v<T> == N, "read_fields needs one column per field");
  T out{};
  std::size_t i = 0;
  boost::pfr::for_each_field(out, [&](auto& field) { read_field(r, columns[i++], field); });
  return out;
}

}  // namespace dbsnap::pg::catalog
