// libpq connection and result handles with dbsnap's error classification.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/error.h"
#include "engine/url.h"

namespace dbsnap::pg {

// A statement waited longer than lock_timeout for a lock (SQLSTATE 55P03).
// Always ExitCode::timeout; a distinct type so callers can name the blocker.
class LockTimeout : public Error {
 public:
  explicit LockTimeout(const std::string& message) : Error(ExitCode::timeout, message) {}
};

// An owned PGresult. Cheap to move; not thread-safe.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  int columns() const { return PQnfields(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // Text value of a field; "" for NULL.
  std::string_view get(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string str(int row, int col) const { return std::string(get(row, col)); }
  long long num(int row, int col) const;       // integer field; 0 for NULL
  std::uint32_t oid(int row, int col) const {  // oid field; 0 for NULL
    return static_cast<std::uint32_t>(num(row, col));
  }
  bool flag(int row, int col) const { return get(row, col) == "t"; }  // boolean field
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

// An owned libpq connection. One thread at a time.
class PgConnection {
 public:
  // Connects to url (database overrides url.database when not empty).
  // Password: the URL's, else libpq's PGPASSWORD / ~/.pgpass.
  // Throws dbsnap::Error classified as connection_refused, unknown_host,
  // timeout, access_denied, tls_required or database_missing, with the masked
  // URL and the fix in the message.
  static PgConnection connect(const ServerUrl& url, const std::string& database = {});

  PgConnection(PgConnection&&) noexcept = default;
  PgConnection& operator=(PgConnection&&) noexcept = default;

  PGconn* get() const { return c_.get(); }

  // Runs sql (one or more statements) and returns the last result; throws
  // dbsnap::Error(ExitCode::server_error) with the server's message,
  // ExitCode::access_denied for SQLSTATE 42501, or LockTimeout.
  PgResult exec(std::string_view sql) const;
  // Runs a query with text parameters $1..$n.
  PgResult exec_params(std::string_view sql, std::initializer_list<std::string_view> params) const;

  int server_version() const { return PQserverVersion(c_.get()); }  // e.g. 150005

 private:
  explicit PgConnection(PGconn* c) : c_(c, &PQfinish) {}
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
};

// The rows of one `COPY ... TO STDOUT` (text format), pulled by the caller in
// a plain loop, no callback per row:
//   PgCopyOut copy(conn, sql);
//   for (std::string_view row; copy.next(row);) ...
// Each row is its text including the final '\n' (libpq returns exactly one
// row per PQgetCopyData call, in memory it allocates: ours frees it on the
// next call). Waits for the server with poll, honouring Ctrl-C.
class PgCopyOut {
 public:
  // Sends sql; throws like PgConnection::exec, or Error(failure) if sql is
  // not a COPY TO STDOUT.
  PgCopyOut(const PgConnection& conn, std::string_view sql);
  ~PgCopyOut() { PQfreemem(row_); }
  PgCopyOut(const PgCopyOut&) = delete;
  PgCopyOut& operator=(const PgCopyOut&) = delete;

  // The next row into row (valid until the next call) and true; at the end of
  // the data checks the COPY's final status (throws like exec) and returns
  // false. Abandoning the copy before false leaves the connection unusable.
  bool next(std::string_view& row) {
    PQfreemem(row_);
    row_ = nullptr;
    int length = PQgetCopyData(conn_, &row_, /*async=*/1);
    if (length > 0) {
      row = {row_, static_cast<std::size_t>(length)};
      return true;
    }
    return next_slow(row, length);
  }

 private:
  bool next_slow(std::string_view& row, int length);
  PGconn* conn_;
  std::string sql_;  // for error messages
  char* row_ = nullptr;
};

// The rows of one query with text parameters $1..$n, pulled one at a time in
// libpq's single-row mode (each row is its own result, so memory holds one
// row, not the whole result), every column in binary format (a bytea is its
// raw bytes):
//   PgRowStream rows(conn, sql, {param});
//   while (std::optional<PgResult> row = rows.next()) ... row->get(0, 0)
// Waits for the server with poll, honouring Ctrl-C.
class PgRowStream {
 public:
  // Sends sql; throws like PgConnection::exec.
  PgRowStream(const PgConnection& conn, std::string_view sql,
              std::initializer_list<std::string_view> params);
  PgRowStream(const PgRowStream&) = delete;
  PgRowStream& operator=(const PgRowStream&) = delete;

  // The next row (one row, rows() == 1); after the last, checks the query's
  // final status (throws like exec) and returns nullopt. Abandoning the
  // stream before nullopt leaves the connection unusable.
  std::optional<PgResult> next();

 private:
  PGconn* conn_;
  std::string sql_;  // for error messages
};

// Quotes an identifier the way pg_dump's fmtId does: bare when it is all
// lowercase letters, digits and '_', does not start with a digit and is not a
// reserved or type/function-name keyword; else in double quotes with '"' doubled.
// conn gives the server's keyword list (pg_get_keywords), cached per process.
std::string quote_ident(PGconn* conn, std::string_view name);

// A SQL string literal with standard_conforming_strings on: 'it''s'.
std::string quote_literal(std::string_view s);

}  // namespace dbsnap::pg
