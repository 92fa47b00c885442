#include "protocols/postgres/restore.h"

#include <fmt/format.h>

#include <optional>
#include <string_view>
#include <vector>

#include "engine/cancel.h"
#include "engine/error.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/splitter.h"
#include "protocols/splitting_session.h"

namespace dbsnap::pg {
namespace {

constexpr int kDeadlockAttempts = 3;

// SQLSTATE 40P01 deadlock_detected (PostgreSQL docs, Appendix A).
bool is_deadlock(const PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return state != nullptr && std::string_view(state) == "40P01";
}

// SQLSTATE of a failed statement, "" when there is none.
std::string_view sqlstate(const PGresult* r) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

// Characters of a statement quoted in an error message.
constexpr std::size_t kStatementExcerpt = 200;

// Filter of the objects database_contents() counts and clean_database() drops: not the system
// schemas (pg_catalog, information_schema, pg_toast*, pg_temp*, ...).
constexpr std::string_view kUserSchema =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'";

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (fold(s[i]) != fold(prefix[i])) return false;
  return true;
}

std::size_t find_nocase(std::string_view s, std::string_view needle, std::size_t from = 0) {
  for (std::size_t i = from; i + needle.size() <= s.size(); ++i)
    if (starts_with_nocase(s.substr(i), needle)) return i;
  return std::string_view::npos;
}

// Reads a possibly qualified name at s[i]: "a".b.c -> {a, b, c} with quoted
// parts as written ("" for '"') and unquoted ones folded to lowercase. Stops
// at the first character that cannot continue it; i is left there.
std::vector<std::string> read_name(std::string_view s, std::size_t& i) {
  std::vector<std::string> parts;
  for (;;) {
    std::string part;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size(); ++i) {
        if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') {
          part += '"';
          ++i;
        } else if (s[i] == '"') {
          ++i;
          break;
        } else {
          part += s[i];
        }
      }
    } else {
      for (; i < s.size(); ++i) {
        char c = s[i];
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
        if (!word) break;
        part += fold(c);
      }
    }
    parts.push_back(std::move(part));
    if (i >= s.size() || s[i] != '.') return parts;
    ++i;
  }
}

// A statement of pg_dump --create's database entries (CREATE DATABASE, its
// comment, properties, role settings and ACL): restore has made its own
// target database, so they are skipped, as pg_restore without --create does.
bool database_level(std::string_view statement) {
  for (std::string_view prefix : {"CREATE DATABASE ", "ALTER DATABASE ", "COMMENT ON DATABASE "})
    if (starts_with_nocase(statement, prefix)) return true;
  if (starts_with_nocase(statement, "GRANT ") || starts_with_nocase(statement, "REVOKE ")) {
    // Privilege keywords only (no quoted or parenthesised column) before it.
    std::size_t on = find_nocase(statement, " ON DATABASE ");
    return on != std::string_view::npos &&
           statement.substr(0, on).find_first_of("\"(") == std::string_view::npos;
  }
  if (!starts_with_nocase(statement, "ALTER ROLE ")) return false;
  std::size_t i = std::string_view("ALTER ROLE ").size();
  read_name(statement, i);
  return starts_with_nocase(statement.substr(i), " IN DATABASE ");
}

std::vector<std::string> parse_name(std::string_view s) {
  std::size_t i = 0;
  return read_name(s, i);
}

// The two tables a foreign key joins, when statement adds one as pg_dump
// writes it (ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY (..)
// REFERENCES r(..) ...).
std::optional<std::pair<std::vector<std::string>, std::vector<std::string>>> foreign_key_tables(
    std::string_view statement) {
  if (!starts_with_nocase(statement, "ALTER TABLE ")) return std::nullopt;
  std::size_t fk = find_nocase(statement, " FOREIGN KEY ");
  std::size_t ref = find_nocase(statement, " REFERENCES ", fk == std::string_view::npos ? 0 : fk);
  if (fk == std::string_view::npos || ref == std::string_view::npos) return std::nullopt;
  std::size_t i = std::string_view("ALTER TABLE ").size();
  if (starts_with_nocase(statement.substr(i), "ONLY ")) i += 5;
  auto table = read_name(statement, i);
  std::size_t j = ref + std::string_view(" REFERENCES ").size();
  return std::pair{table, read_name(statement, j)};
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }

// Skips blanks from i, then the keyword word (case-insensitive, followed by
// a blank or the end); false, i unspecified, when another word is there.
bool keyword(std::string_view s, std::size_t& i, std::string_view word) {
  while (i < s.size() && is_space(s[i])) ++i;
  if (!starts_with_nocase(s.substr(i), word)) return false;
  i += word.size();
  return i == s.size() || is_space(s[i]) || s[i] == '(';
}

// Skips blanks from i, then a possibly qualified name; false when none.
bool skip_name(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_space(s[i])) ++i;
  std::size_t start = i;
  auto parts = read_name(s, i);
  return i > start && !parts.back().empty();
}

// Whether statement builds an index on one table and does nothing else, as
// pg_dump writes them: CREATE [UNIQUE] INDEX ..., ALTER TABLE [ONLY] t ADD
// CONSTRAINT c PRIMARY KEY|UNIQUE|EXCLUDE ....
bool is_index_build(std::string_view statement) {
  std::size_t i = 0;
  if (keyword(statement, i, "CREATE")) {
    std::size_t at = i;
    if (!keyword(statement, i, "UNIQUE")) i = at;
    return keyword(statement, i, "INDEX");
  }
  i = 0;
  if (!keyword(statement, i, "ALTER") || !keyword(statement, i, "TABLE")) return false;
  std::size_t at = i;
  if (!keyword(statement, i, "ONLY")) i = at;
  if (!skip_name(statement, i) || !keyword(statement, i, "ADD") ||
      !keyword(statement, i, "CONSTRAINT") || !skip_name(statement, i))
    return false;
  at = i;
  if (keyword(statement, i, "PRIMARY")) return keyword(statement, i, "KEY");
  i = at;
  if (keyword(statement, i, "UNIQUE")) return true;
  i = at;
  return keyword(statement, i, "EXCLUDE");
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

// "ERROR 42P07: relation "film" already exists (detail: ...; context: ...)".
std::string server_message(PGconn* conn, const PGresult* r) {
  auto field = [r](int code) -> std::string {
    const char* v = r != nullptr ? PQresultErrorField(r, code) : nullptr;
    return v != nullptr ? v : "";
  };
  std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    std::string text = PQerrorMessage(conn);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }
  std::string out = fmt::format("{} {}: {}", field(PG_DIAG_SEVERITY_NONLOCALIZED),
                                field(PG_DIAG_SQLSTATE), primary);
  std::string extra;
  for (auto [name, code] :
       {std::pair{"detail", PG_DIAG_MESSAGE_DETAIL}, std::pair{"hint", PG_DIAG_MESSAGE_HINT},
        std::pair{"context", PG_DIAG_CONTEXT}}) {
    std::string v = field(code);
    if (v.empty()) continue;
    for (auto& c : v)
      if (c == '\n') c = ' ';
    extra += fmt::format("{}{}: {}", extra.empty() ? "" : "; ", name, v);
  }
  return extra.empty() ? out : fmt::format("{} ({})", out, extra);
}

// Prints server WARNINGs (not NOTICEs) to stderr, naming the script.
void on_notice(void* label, const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr || std::string_view(severity) != "WARNING") return;
  const char* message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  fmt::print(stderr, "dbsnap: server warning in {}: {}\n", *static_cast<const std::string*>(label),
             message != nullptr ? message : "");
}

using UniqueResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgRestoreSession final : public SplittingSession<ScriptSplitter> {
 public:
  // globals: the session runs a globals script (make_pg_globals_target).
  PgRestoreSession(const ServerUrl& url, std::string database, SessionOptions options,
                   bool globals = false)
      : url_(url), database_(std::move(database)), options_(std::move(options)), globals_(globals) {
    connect();
    for (const auto& s : options_.settings) conn_->exec(s);
  }

 private:
  void connect() {
    conn_.reset();
    conn_.emplace(PgConnection::connect(url_, database_));
    // As in a psql session: the server's search_path (connect() empties it);
    // pg_dump scripts set their own.
    conn_->exec("RESET search_path");
    PQsetNoticeReceiver(conn_->get(), &on_notice, &label_);
  }

  void drain() override {
    for (;;) {
      std::optional<ScriptItem> item;
      try {
        item = splitter_.next();
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", label_, e.what()));
      }
      if (!item) return;
      switch (item->kind) {
        case ScriptItem::Kind::statement:
          statement(*item);
          break;
        case ScriptItem::Kind::copy_data:
          copy_data(*item);
          break;
        case ScriptItem::Kind::copy_end:
          copy_end();
          break;
        case ScriptItem::Kind::meta_command:
          meta_command(*item);
          break;
      }
    }
  }

  [[noreturn]] void fail(std::uint64_t line, std::string_view statement, const std::string& why) {
    throw Error(ExitCode::server_error,
                fmt::format("{}, line {}: {}; statement: {}", label_, line + first_line_ - 1, why,
                            excerpt(statement)));
  }

  bool skipped(std::string_view statement) const {
    if (!globals_ && database_level(statement)) return true;
    if (!options_.tables) return false;
    auto fk = foreign_key_tables(statement);
    if (!fk) return false;
    auto restored = [this](const std::vector<std::string>& name) {
      for (const auto& t : *options_.tables) {
        auto parts = parse_name(t);
        if (parts == name || (name.size() == 1 && parts.back() == name[0])) return true;
      }
      return false;
    };
    return !restored(fk->first) || !restored(fk->second);
  }

  void statement(const ScriptItem& item) {
    throw_if_cancelled();
    if (skipped(item.text)) return;
    std::string sql(item.text);
    UniqueResult r(PQexec(conn_->get(), sql.c_str()), &PQclear);
    // Index builds run in parallel in post-data; one on a partitioned table and
    // one on its partition can deadlock, and the server then aborts one of them.
    // Outside a transaction block nothing else was undone: run it again.
    for (int attempt = 1; attempt < kDeadlockAttempts && is_deadlock(r.get()) &&
                          PQtransactionStatus(conn_->get()) == PQTRANS_IDLE;
         ++attempt)
      r.reset(PQexec(conn_->get(), sql.c_str()));
    switch (PQresultStatus(r.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
        break;
      case PGRES_COPY_IN:
        copy_statement_ = std::move(sql);
        copy_line_ = item.line;
        splitter_.start_copy_data();
        return;
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        fail(item.line, item.text, "COPY TO STDOUT has no place in a restore script");
      default:
        if (!globals_ || !tolerated(item, r.get()))
          fail(item.line, item.text, server_message(conn_->get(), r.get()));
    }
    if (starts_with_nocase(sql, "SET ") || starts_with_nocase(sql, "SELECT pg_catalog.set_config("))
      settings_.push_back(sql);
    const char* std_strings = PQparameterStatus(conn_->get(), "standard_conforming_strings");
    splitter_.set_standard_conforming_strings(std_strings == nullptr ||
                                              std::string_view(std_strings) == "on");
  }

  // Failures of a globals script that leave the server as the user expects:
  // CREATE ROLE / CREATE TABLESPACE of one that exists (the ALTERs that
  // follow update it), silently; a role's settings in a database the server
  // does not have, with a warning.
  bool tolerated(const ScriptItem& item, const PGresult* r) const {
    std::string_view state = sqlstate(r);
    if (state == "42710")  // duplicate_object
      return starts_with_nocase(item.text, "CREATE ROLE ") ||
             starts_with_nocase(item.text, "CREATE TABLESPACE ");
    if (state != "3D000" || !database_level(item.text)) return false;  // invalid_catalog_name
    fmt::print(stderr, "dbsnap: {}, line {}: skipped: {}\n", label_, item.line + first_line_ - 1,
               server_message(conn_->get(), r));
    return true;
  }

  void copy_data(const ScriptItem& item) {
    if (PQputCopyData(conn_->get(), item.text.data(), static_cast<int>(item.text.size())) != 1)
      fail(copy_line_, copy_statement_, server_message(conn_->get(), nullptr));
  }

  void copy_end() {
    if (PQputCopyEnd(conn_->get(), nullptr) != 1)
      fail(copy_line_, copy_statement_, server_message(conn_->get(), nullptr));
    UniqueResult r(PQgetResult(conn_->get()), &PQclear);
    bool ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    std::string why = ok ? "" : server_message(conn_->get(), r.get());
    while (PGresult* rest = PQgetResult(conn_->get())) PQclear(rest);
    if (!ok) fail(copy_line_, copy_statement_, why);
  }

  void meta_command(const ScriptItem& item) {
    std::string_view text = item.text;
    std::string_view name = text.substr(0, text.find_first_of(" \t"));
    if (name == "connect" || name == "c") {
      // A new session, on the target database whatever the script names.
      connect();
      settings_.clear();
      return;
    }
    if (name == "restrict" || name == "unrestrict") return;
    fail(item.line, fmt::format("\\{}", text),
         fmt::format("the psql meta-command \\{} is not supported", name));
  }

  ServerUrl url_;
  std::string database_;
  SessionOptions options_;
  bool globals_;
  std::optional<PgConnection> conn_;
  std::string copy_statement_;
  std::uint64_t copy_line_ = 0;
};

class PgTarget final : public RestoreTarget {
 public:
  PgTarget(const ServerUrl& url, std::string database) : url_(url), database_(std::move(database)) {
    url_.database = database_;
  }

  std::string describe() const override { return url_.masked(); }
  const std::string& database() const override { return database_; }

  bool database_exists() override {
    return maintenance()
               .exec_params("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", {database_})
               .rows() > 0;
  }

  void create_database() override {
    PgConnection admin = maintenance();
    admin.exec(
        fmt::format("CREATE DATABASE {} TEMPLATE template0", quote_ident(admin.get(), database_)));
  }

  std::unique_ptr<RestoreSession> open_session(const SessionOptions& options) override {
    return std::make_unique<PgRestoreSession>(url_, database_, options);
  }

  std::vector<PostDataStep> split_post_data(std::string_view script) const override {
    return pg_split_post_data(script);
  }

  bool table_matches(std::string_view manifest_table, std::string_view user_name) const override {
    return pg_table_matches(manifest_table, user_name);
  }

  std::uint64_t count_rows(const std::string& manifest_table) override {
    if (!counter_) counter_.emplace(PgConnection::connect(url_, database_));
    // ONLY: an inheritance parent's rows without its children's, as dumped.
    return static_cast<std::uint64_t>(
        counter_->exec(fmt::format("SELECT count(*) FROM ONLY {}", manifest_table)).num(0, 0));
  }

  void drop_database() override {
    counter_.reset();
    PgConnection admin = maintenance();
    drop_subscriptions(admin);
    std::string ident = quote_ident(admin.get(), database_);
    if (admin.server_version() >= 130000) {
      admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident));
      return;
    }
    admin.exec_params(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()",
        {database_});
    admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", ident));
  }

  std::string database_contents() override {
    PgConnection conn = PgConnection::connect(url_, database_);
    PgResult r = conn.exec(fmt::format(
        "SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "          ON n.oid = c.relnamespace WHERE {0}),"
        "       (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
        "          ON n.oid = p.pronamespace WHERE {0}),"
        "       (SELECT count(*) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
        "          ON n.oid = t.typnamespace WHERE {0} AND t.typrelid = 0 AND t.typcategory <> "
        "'A'),"
        "       (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE {0} AND n.nspname <> "
        "'public'),"
        "       (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'),"
        "       (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata)",
        kUserSchema));
    std::string out;
    const char* names[] = {"relations", "routines",   "types",
                           "schemas",   "extensions", "large objects"};
    for (int i = 0; i < 6; ++i)
      if (long long n = r.num(0, i); n > 0)
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, names[i]);
    return out;
  }

  void clean_database() override {
    PgConnection conn = PgConnection::connect(url_, database_);
    conn.exec("SET client_min_messages = warning");  // not a NOTICE per dropped object
    conn.exec("BEGIN");
    PgResult extensions =
        conn.exec("SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'");
    for (int i = 0; i < extensions.rows(); ++i)
      conn.exec(fmt::format("DROP EXTENSION IF EXISTS {} CASCADE",
                            quote_ident(conn.get(), extensions.get(i, 0))));
    PgResult schemas = conn.exec(
        fmt::format("SELECT nspname FROM pg_catalog.pg_namespace n WHERE {}", kUserSchema));
    for (int i = 0; i < schemas.rows(); ++i)
      conn.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE",
                            quote_ident(conn.get(), schemas.get(i, 0))));
    // Schema public as initdb makes it (PostgreSQL 15 changed its owner and rights).
    conn.exec(conn.server_version() >= 150000
                  ? "CREATE SCHEMA public AUTHORIZATION pg_database_owner; "
                    "GRANT USAGE ON SCHEMA public TO PUBLIC"
                  : "CREATE SCHEMA public; GRANT ALL ON SCHEMA public TO PUBLIC");
    conn.exec("COMMENT ON SCHEMA public IS 'standard public schema'");
    conn.exec("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata");
    conn.exec("COMMIT");
  }

 private:
  PgConnection maintenance() const {
    return PgConnection::connect(url_, database_ == "postgres" ? "template1" : "postgres");
  }

  // A database with subscriptions cannot be dropped: each is disabled,
  // detached from its replication slot (so that nothing connects to its
  // publisher) and dropped first, in the database itself.
  void drop_subscriptions(const PgConnection& admin) const {
    PgResult r = admin.exec_params(
        "SELECT s.subname FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d "
        "ON d.oid = s.subdbid WHERE d.datname = $1",
        {database_});
    if (r.rows() == 0) return;
    PgConnection db = PgConnection::connect(url_, database_);
    for (int i = 0; i < r.rows(); ++i) {
      std::string name = quote_ident(db.get(), r.get(i, 0));
      db.exec(fmt::format("ALTER SUBSCRIPTION {} DISABLE", name));
      db.exec(fmt::format("ALTER SUBSCRIPTION {} SET (slot_name = NONE)", name));
      db.exec(fmt::format("DROP SUBSCRIPTION {}", name));
    }
  }

  ServerUrl url_;
  std::string database_;
  std::optional<PgConnection> counter_;
};

// A server as the target of a globals snapshot: sessions on its database
// (the URL's, else "postgres") and nothing to create, drop, clean or count.
class PgGlobalsTarget final : public RestoreTarget {
 public:
  explicit PgGlobalsTarget(const ServerUrl& url) : url_(url) {
    if (url_.database.empty()) url_.database = "postgres";
  }

  std::string describe() const override { return url_.masked(); }
  const std::string& database() const override { return url_.database; }
  bool database_exists() override { return true; }
  std::string database_contents() override { return ""; }
  void create_database() override { refuse(); }
  void clean_database() override { refuse(); }
  void drop_database() override { refuse(); }
  bool table_matches(std::string_view, std::string_view) const override { return false; }
  std::uint64_t count_rows(const std::string&) override { refuse(); }

  std::unique_ptr<RestoreSession> open_session(const SessionOptions& options) override {
    return std::make_unique<PgRestoreSession>(url_, url_.database, options, true);
  }

 private:
  [[noreturn]] static void refuse() {
    throw Error(ExitCode::usage,
                "a globals snapshot restores roles and tablespaces into the server: it has no "
                "database to create, drop, clean or count rows of (no --drop, --clean or "
                "--tables)");
  }

  ServerUrl url_;
};

}  // namespace

std::vector<PostDataStep> pg_split_post_data(std::string_view script) {
  std::vector<PostDataStep> whole{PostDataStep{false, {ScriptPiece{std::string(script), 1}}}};
  // Each statement or meta-command as a piece, and whether it builds an index.
  std::vector<std::pair<ScriptPiece, bool>> pieces;
  try {
    ScriptSplitter splitter;
    splitter.feed(script);
    splitter.finish();
    while (std::optional<ScriptItem> item = splitter.next()) {
      if (item->kind == ScriptItem::Kind::meta_command) {
        pieces.push_back({ScriptPiece{fmt::format("\\{}\n", item->text), item->line}, false});
        continue;
      }
      if (item->kind != ScriptItem::Kind::statement) return whole;
      std::string_view text = item->text;
      // COPY data would follow, or quoted strings would read otherwise.
      if (starts_with_nocase(text, "COPY ") ||
          (find_nocase(text, "standard_conforming_strings") != std::string_view::npos &&
           find_nocase(text, "off") != std::string_view::npos))
        return whole;
      pieces.push_back({ScriptPiece{fmt::format("{};\n", text), item->line}, is_index_build(text)});
    }
  } catch (const Error&) {
    return whole;  // the session reports it as it runs the script
  }
  std::vector<PostDataStep> steps;
  for (std::size_t i = 0; i < pieces.size();) {
    std::size_t end = i;
    while (end < pieces.size() && pieces[end].second) ++end;
    bool parallel = end - i >= 2;
    if (!parallel) end = i + 1;
    if (parallel || steps.empty() || steps.back().parallel) steps.push_back({parallel, {}});
    for (; i < end; ++i) steps.back().pieces.push_back(std::move(pieces[i].first));
  }
  return steps;
}

bool pg_table_matches(std::string_view table, std::string_view user_name) {
  auto want = parse_name(user_name);
  auto have = parse_name(table);
  if (want == have) return true;
  return want.size() == 1 && !have.empty() && have.back() == want[0];
}

std::unique_ptr<RestoreTarget> make_pg_globals_target(const ServerUrl& url) {
  return std::make_unique<PgGlobalsTarget>(url);
}

std::unique_ptr<RestoreTarget> make_pg_restore_target(const ServerUrl& url,
                                                      const std::string& database) {
  std::string db = database.empty() ? url.database : database;
  if (db.empty())
    throw Error(ExitCode::usage,
                "no target database: give one in the URL (postgres://host/db) or with --database");
  return std::make_unique<PgTarget>(url, std::move(db));
}

}  // namespace dbsnap::pg
