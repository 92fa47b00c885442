#include "protocols/mysql/dump.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <functional>

#include "engine/error.h"
#include "engine/row_checksum.h"
#include "protocols/mysql/connection.h"
#include "protocols/mysql/rows.h"
#include "protocols/mysql/schema.h"
#include "protocols/mysql/script.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

constexpr unsigned long kBackupStageMinVersion = 100500;     // MariaDB BACKUP STAGE
constexpr unsigned long kBinaryLogStatusMinVersion = 80200;  // MySQL's SHOW BINARY LOG STATUS
constexpr int kNetTimeoutS = 3600;    // a worker may stall this long on a slow sink mid-table
constexpr int kIdleTimeoutS = 86400;  // the leader idles while the workers dump
constexpr std::uint64_t kChunksPerSlice = 16;  // a table is sliced above this many chunks
constexpr std::uint64_t kMaxSlices = 1024;
constexpr std::size_t kGuardBatch = 200;               // tables opened per metadata-lock statement
constexpr unsigned kErrStatementTimeout = 1969;        // MariaDB ER_STATEMENT_TIMEOUT
constexpr unsigned kErrNoSuchTable = 1146;             // ER_NO_SUCH_TABLE
constexpr unsigned kErrTableDefinitionChanged = 1412;  // ER_TABLE_DEF_CHANGED
constexpr unsigned long kMaxExecutionTimeMinVersion = 50708;  // MySQL max_execution_time

constexpr std::uint64_t kHugePieceBytes = std::uint64_t{16} << 20;  // read per result row

__extension__ typedef __int128 Key;  // any signed or unsigned BIGINT, and their differences

enum class GlobalLock { none, flush_tables, backup_stage };

void warn(std::string_view line) { fmt::print(stderr, "warning: {}\n", line); }

// Settings every dump connection shares: canonical SHOW CREATE output, UTC
// timestamps, no server-side timeouts cutting a long backup short, lock waits
// (metadata locks, the global lock) bounded.
void setup_session(const MyConnection& conn, const DumpOptions& options) {
  conn.exec(
      fmt::format("SET SESSION sql_mode = '', time_zone = '+00:00', sql_quote_show_create = 1, "
                  "net_write_timeout = {0}, net_read_timeout = {0}, wait_timeout = {1}, "
                  "lock_wait_timeout = {2}",
                  kNetTimeoutS, kIdleTimeoutS, std::max(1, options.lock_wait_timeout_s)));
}

// Bounds every statement of conn to seconds (0: unbounded): MariaDB's
// max_statement_time covers all statements, MySQL's max_execution_time
// (5.7.8+) only SELECTs; lock_wait_timeout bounds the lock statements there.
void limit_statement_time(const MyConnection& conn, int seconds) {
  if (conn.is_mariadb())
    conn.exec(fmt::format("SET SESSION max_statement_time = {}", seconds));
  else if (conn.version_number() >= kMaxExecutionTimeMinVersion)
    conn.exec(fmt::format("SET SESSION max_execution_time = {}", seconds * 1000));
}

void start_snapshot(const MyConnection& conn) {
  conn.exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  conn.exec("START TRANSACTION /*!40108 WITH CONSISTENT SNAPSHOT */");
}

// The error for a lock wait that ran out, naming the statement most likely in
// the way: the longest running one of another session.
Error lock_timeout(const MyConnection& conn, std::string_view lock, int timeout_s) {
  auto r = conn.try_query(
      "SELECT ID, USER, TIME, INFO FROM information_schema.PROCESSLIST "
      "WHERE ID <> CONNECTION_ID() AND INFO IS NOT NULL "
      "AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Killed') "
      "ORDER BY TIME DESC LIMIT 1");
  std::string head = fmt::format("{} not granted within {} s", lock, timeout_s);
  if (!r || !r->next())
    return Error(ExitCode::timeout,
                 fmt::format("{} and no other running statement is visible: a session may hold "
                             "LOCK TABLES or a long transaction (the PROCESS privilege shows "
                             "every user's sessions); retry later or raise the lock wait timeout",
                             head));
  std::string statement = r->str(3).substr(0, 200);
  std::replace(statement.begin(), statement.end(), '\n', ' ');
  return Error(ExitCode::timeout,
               fmt::format("{}: connection {} (user {}) has been running for {} s: {}; let it "
                           "finish or end it (KILL {}), or raise the lock wait timeout",
                           head, r->str(0), r->str(1), r->str(2), statement, r->str(0)));
}

bool is_lock_timeout(unsigned code) {
  return code == kErrLockWaitTimeout || code == kErrStatementTimeout;
}

GlobalLock take_global_lock(const MyConnection& conn, const ServerUrl& url, int timeout_s) {
  bool stages = conn.is_mariadb() && conn.version_number() >= kBackupStageMinVersion;
  std::string_view statement = stages ? "BACKUP STAGE START" : "FLUSH TABLES WITH READ LOCK";
  unsigned code = conn.try_exec(statement);
  if (code == 0 && stages) {
    statement = "BACKUP STAGE BLOCK_COMMIT";
    code = conn.try_exec(statement);
  }
  if (code == 0) return stages ? GlobalLock::backup_stage : GlobalLock::flush_tables;
  if (is_lock_timeout(code))
    throw lock_timeout(conn, fmt::format("global lock ({})", statement), timeout_s);
  if (code != kErrSpecificAccessDenied) conn.throw_error(statement);
  warn(
      fmt::format("user '{}' lacks the RELOAD privilege for {} on {}: each connection takes "
                  "its own snapshot, so tables written during the backup may not match each "
                  "other (GRANT RELOAD ON *.* fixes it)",
                  url.user, statement, url.masked()));
  return GlobalLock::none;
}

// Opens every table of names in conn's transaction, so that conn holds a
// shared metadata lock on each until the transaction ends: DDL on them
// (ALTER, DROP, RENAME, CREATE TRIGGER) waits until the backup is over, and
// the schema read next stays the schema of the data. Tables dropped since
// they were listed are left out. A wait beyond lock_wait_timeout (a DDL
// statement in progress) throws ExitCode::timeout naming the blocker.
void guard_tables(const MyConnection& conn, const std::string& db,
                  const std::vector<std::string>& names, int timeout_s) {
  auto open_sql = [&](std::size_t begin, std::size_t end) {
    std::string sql;
    for (std::size_t i = begin; i < end; ++i)
      sql += fmt::format("{}(SELECT 1 FROM {}.{} LIMIT 0)", i == begin ? "" : " UNION ALL ",
                         quote_ident(db), quote_ident(names[i]));
    return sql;
  };
  auto check = [&](unsigned code, const std::string& sql) {
    if (code == 0 || code == kErrNoSuchTable) return code;
    if (is_lock_timeout(code))
      throw lock_timeout(conn, "metadata locks on the tables to dump", timeout_s);
    conn.throw_error(sql);
  };
  for (std::size_t begin = 0; begin < names.size(); begin += kGuardBatch) {
    std::size_t end = std::min(names.size(), begin + kGuardBatch);
    std::string sql = open_sql(begin, end);
    if (check(conn.try_exec(sql), sql) == 0) continue;
    for (std::size_t i = begin; i < end; ++i) check(conn.try_exec(open_sql(i, i + 1)), sql);
  }
}

// Tables (not views) of db, as information_schema lists them now.
std::vector<std::string> table_names(const MyConnection& conn, const std::string& db) {
  auto r = conn.query(
      fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
                  "AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME",
                  quote_string(db)));
  std::vector<std::string> names;
  while (r.next()) names.push_back(r.str(0));
  return names;
}

// binlog_file, binlog_position and gtid of the snapshot, where the server has them.
std::map<std::string, std::string> read_position(const MyConnection& conn) {
  std::map<std::string, std::string> position;
  if (conn.is_mariadb()) {
    // The leader transaction's own position: exact even without the global lock.
    auto r = conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    while (r.next()) {
      if (r.get(0) == "Binlog_snapshot_file") position["binlog_file"] = r.str(1);
      if (r.get(0) == "Binlog_snapshot_position") position["binlog_position"] = r.str(1);
    }
    if (position["binlog_file"].empty()) return {};
    auto g =
        conn.query(fmt::format("SELECT BINLOG_GTID_POS({}, {})",
                               quote_string(position["binlog_file"]), position["binlog_position"]));
    if (g.next() && !g.is_null(0) && !g.get(0).empty()) position["gtid"] = g.str(0);
    return position;
  }
  std::string_view sql = conn.version_number() >= kBinaryLogStatusMinVersion
                             ? "SHOW BINARY LOG STATUS"
                             : "SHOW MASTER STATUS";
  auto r = conn.try_query(sql);
  if (!r) {
    if (conn.error_number() != kErrSpecificAccessDenied) conn.throw_error(sql);
    warn(
        fmt::format("no binlog position recorded: {} needs the REPLICATION CLIENT privilege", sql));
    return position;
  }
  if (!r->next()) return position;  // binary log disabled
  position["binlog_file"] = r->str(0);
  position["binlog_position"] = r->str(1);
  if (r->columns() > 4 && !r->get(4).empty()) position["gtid"] = r->str(4);
  return position;
}

Key parse_key(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  Key value = 0;
  for (char c : text.substr(negative ? 1 : 0)) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

std::string key_text(Key value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  std::string digits;
  for (; value != 0; value /= 10) {
    int d = static_cast<int>(value % 10);
    digits += static_cast<char>('0' + (negative ? -d : d));
  }
  if (negative) digits += '-';
  return {digits.rbegin(), digits.rend()};
}

class MySnapshotSession final : public SnapshotSession {
 public:
  MySnapshotSession(MyConnection conn, std::map<std::string, MyTable> tables,
                    std::size_t net_buffer_length)
      : conn_(std::move(conn)), tables_(std::move(tables)), net_buffer_length_(net_buffer_length) {}

  void dump(const DataItem& item, ChunkSink& out) override {
    auto it = tables_.find(item.table);
    if (it == tables_.end())
      throw Error(ExitCode::failure,
                  fmt::format("table {} is not part of this backup", quote_ident(item.table)));
    const MyTable& table = it->second;
    std::string sql = item.slice.empty() ? table.select : table.select + " WHERE " + item.slice;
    try {
      InsertWriter writer(table, net_buffer_length_, out);
      std::vector<std::string> deferred;  // key conditions of rows holding a huge value
      {
        MyResult rows = conn_.stream(sql);
        auto kinds = literal_kinds(rows);
        kinds.resize(kinds.size() - table.huge.size());  // not the LENGTH() columns
        while (rows.next()) {
          if (huge_values(rows, table, kinds.size()).empty())
            writer.add(rows, kinds);  // formatted in place, no per-row copy
          else
            deferred.push_back(key_condition(rows, table, kinds));
        }
      }
      for (const auto& where : deferred) add_huge_row(table, where, writer);
      writer.finish();
    } catch (const Error& e) {
      unsigned code = conn_.error_number();
      conn_.cancel();  // else freeing the result would read the rest of the table
      if (!is_lock_timeout(code) && code != kErrTableDefinitionChanged) throw;
      // DDL issued during the backup: it waits behind the leader's metadata
      // locks, and this read waits behind it (or the table changed under us).
      throw Error(ExitCode::timeout,
                  fmt::format("table {} could not be read: a DDL statement (ALTER, DROP, "
                              "RENAME, ...) was issued on it during the backup and waits for "
                              "the backup to end ({}); retry when it is done",
                              quote_ident(item.table), e.what()));
    } catch (...) {
      conn_.cancel();
      throw;
    }
  }

 private:
  // Per column of the dumped ones (columns), whether row holds a value longer
  // than kHugeValueBytes there (read NULL; see MyTable::huge); empty when none.
  static std::vector<bool> huge_values(const MyResult& row, const MyTable& table,
                                       std::size_t columns) {
    std::vector<bool> huge;
    for (std::size_t h = 0; h < table.huge.size(); ++h) {
      auto at = static_cast<unsigned>(columns + h);
      if (row.is_null(at) || parse_key(row.get(at)) <= Key{kHugeValueBytes}) continue;
      huge.resize(columns);
      huge[table.huge[h].index] = true;
    }
    return huge;
  }

  // "`t`.`k1` = <value> AND ...": the row's primary key, as SQL.
  static std::string key_condition(const MyResult& row, const MyTable& table,
                                   const std::vector<Literal>& kinds) {
    std::string where;
    for (const auto& [index, name] : table.key) {
      where += (where.empty() ? "" : " AND ") + name + " = ";
      append_value(where, row.get(index), kinds[index]);
    }
    return where;
  }

  // Reads the row of table at where again (the same snapshot), then each of
  // its huge values in pieces of kHugePieceBytes, one result row per piece
  // from one statement (the table row is read once: a const join), and
  // writes it as a chain (InsertWriter::add_chain).
  void add_huge_row(const MyTable& table, const std::string& where, InsertWriter& writer) {
    MyResult row = conn_.query(table.select + " WHERE " + where);
    if (!row.next())
      throw Error(ExitCode::server_error,
                  fmt::format("the row of {} where {} is gone inside the snapshot", table.quoted,
                              where.substr(0, 200)));
    auto kinds = literal_kinds(row);
    kinds.resize(kinds.size() - table.huge.size());
    std::vector<bool> huge = huge_values(row, table, kinds.size());
    huge.resize(kinds.size());
    auto read = [&](unsigned column, const std::function<void(std::string_view)>& take) {
      std::size_t h = 0;
      while (table.huge[h].index != column) ++h;
      auto length = static_cast<std::uint64_t>(parse_key(row.get(kinds.size() + h)));
      read_pieces(table, table.huge[h].bytes, where, length, take);
    };
    writer.add_chain(row, kinds, huge, xxh64(table.name + '\0' + where), read);
  }

  void read_pieces(const MyTable& table, const std::string& bytes, const std::string& where,
                   std::uint64_t length, const std::function<void(std::string_view)>& take) {
    std::uint64_t count = (length + kHugePieceBytes - 1) / kHugePieceBytes;
    std::string numbers = "SELECT 0 AS i";
    for (std::uint64_t i = 1; i < count; ++i) numbers += fmt::format(" UNION ALL SELECT {}", i);
    MyResult pieces = conn_.stream(fmt::format(
        "SELECT dbsnap_n.i, SUBSTRING({0}, dbsnap_n.i * {1} + 1, {1}) FROM {2} JOIN ({3}) AS "
        "dbsnap_n WHERE {4}",
        bytes, kHugePieceBytes, table.quoted, numbers, where));
    std::uint64_t got = 0;
    for (std::uint64_t i = 0; pieces.next(); ++i) {
      if (pieces.get(0) != std::to_string(i))  // the server chose another order
        throw Error(ExitCode::server_error,
                    fmt::format("pieces of a value of {} came out of order", table.quoted));
      got += pieces.get(1).size();
      take(pieces.get(1));
    }
    if (got != length)
      throw Error(ExitCode::server_error, fmt::format("a value of {} read back as {} bytes of {}",
                                                      table.quoted, got, length));
  }

  MyConnection conn_;
  std::map<std::string, MyTable> tables_;
  std::size_t net_buffer_length_;
};

class Dump final : public DatabaseDump {
 public:
  // No global lock here: the leader's transaction guards the tables with
  // metadata locks (guard_tables) and reads the schema while commits flow.
  Dump(const ServerUrl& url, const DumpOptions& options)
      : url_(url), options_(options), leader_(MyConnection::connect(url)) {
    setup_session(leader_, options_);
    info_ = ServerInfo{leader_.is_mariadb() ? "mariadb" : "mysql", leader_.server_version()};
    leader_.exec("START TRANSACTION");
    std::vector<std::string> listed = table_names(leader_, url_.database);
    std::erase_if(listed, [&](const std::string& name) {
      return !options_.tables.selects(url_.database, name);
    });
    guard_tables(leader_, url_.database, listed, options_.lock_wait_timeout_s);
    schema_ = read_schema(leader_, url_.database, options_.tables);
    std::vector<std::string> created;  // since the listing: guarded now, before any data
    for (const auto& [name, t] : schema_.tables)
      if (!std::binary_search(listed.begin(), listed.end(), name)) created.push_back(name);
    guard_tables(leader_, url_.database, created, options_.lock_wait_timeout_s);
  }

  ServerInfo server() const override { return info_; }
  std::map<std::string, std::string> position() const override { return position_; }

  void pre_data(ChunkSink& out) override {
    std::map<std::string, std::string> printed = position_;
    printed.erase("snapshot");
    std::string text =
        script_header(ScriptHeader{info_.kind == "mariadb" ? "MariaDB" : "MySQL", url_.host,
                                   url_.database, info_.version, printed, !options_.no_sandbox});
    text += schema_.pre_data;
    out.emit(Section::pre_data, "", text, 0, 0);
  }

  std::vector<DataItem> plan(std::uint64_t chunk_bytes) override {
    std::vector<DataItem> items;
    std::uint64_t slice_bytes = std::max<std::uint64_t>(chunk_bytes, 1) * kChunksPerSlice;
    for (const auto& [name, t] : schema_.tables) {
      // A table without a single-column integer primary key cannot be cut
      // into key ranges: it is dumped whole, as one item (on one worker).
      // Small tables too: slicing them would only add queries.
      if (t.slice_key.empty() || t.data_bytes <= slice_bytes)
        items.push_back(DataItem{t.name, "", t.data_bytes});
      else
        append_slices(items, t, slice_bytes);
    }
    std::stable_sort(items.begin(), items.end(), [](const DataItem& a, const DataItem& b) {
      return a.estimated_bytes > b.estimated_bytes;
    });
    return items;
  }

  // Connects the workers, then, under the global lock held by a connection of
  // its own, starts each one's snapshot and reads the position. Closing that
  // connection releases the lock at once whatever fails.
  std::vector<std::unique_ptr<SnapshotSession>> share(std::size_t n) override {
    int timeout_s = std::max(1, options_.lock_wait_timeout_s);
    std::vector<MyConnection> workers;
    for (std::size_t i = 0; i < n; ++i) {
      workers.push_back(MyConnection::connect(url_));
      setup_session(workers.back(), options_);
      limit_statement_time(workers.back(), timeout_s);
    }
    MyConnection locker = MyConnection::connect(url_);
    setup_session(locker, options_);
    limit_statement_time(locker, timeout_s);
    GlobalLock lock = take_global_lock(locker, url_, timeout_s);
    for (const MyConnection& w : workers) start_snapshot(w);
    position_ = read_position(workers.front());
    if (lock == GlobalLock::backup_stage) locker.exec("BACKUP STAGE END");
    if (lock == GlobalLock::flush_tables) locker.exec("UNLOCK TABLES");
    position_["snapshot"] = lock == GlobalLock::none ? "per-connection" : "global-lock";

    std::vector<std::unique_ptr<SnapshotSession>> sessions;
    for (MyConnection& w : workers) {
      limit_statement_time(w, 0);  // a table may take hours
      sessions.push_back(std::make_unique<MySnapshotSession>(std::move(w), schema_.tables,
                                                             options_.net_buffer_length));
    }
    return sessions;
  }

  void post_data(ChunkSink& out) override {
    out.emit(Section::post_data, "", std::string(chunk_session()) + schema_.post_data, 0, 0);
    out.emit(Section::post_data, "",
             script_footer(fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(std::time(nullptr)))), 0,
             0);
  }

 private:
  // Splits t into n ranges of its integer key between MIN and MAX as the
  // snapshot sees them; the first and last ranges are open so no row is missed.
  // n follows the size estimate (DATA_LENGTH / slice_bytes) and is bounded by
  // kMaxSlices and by the key span, so a sparse key (ids 1 and 10^12) gives at
  // most kMaxSlices items, never one per possible key value.
  void append_slices(std::vector<DataItem>& items, const MyTable& t, std::uint64_t slice_bytes) {
    auto r = leader_.query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}{2}", t.slice_key,
                                       t.quoted, t.history ? " FOR SYSTEM_TIME ALL" : ""));
    if (!r.next() || r.is_null(0)) {
      items.push_back(DataItem{t.name, "", t.data_bytes});
      return;
    }
    Key low = parse_key(r.get(0)), span = parse_key(r.get(1)) - low + 1;
    Key n = std::min<Key>({static_cast<Key>((t.data_bytes + slice_bytes - 1) / slice_bytes),
                           static_cast<Key>(kMaxSlices), span});
    std::string previous;
    for (Key i = 1; i <= n; ++i) {
      std::string bound = i < n ? key_text(low + span * i / n) : "";
      std::string slice;
      if (!previous.empty()) slice = fmt::format("{} >= {}", t.slice_key, previous);
      if (!bound.empty())
        slice += fmt::format("{}{} < {}", slice.empty() ? "" : " AND ", t.slice_key, bound);
      items.push_back(DataItem{t.name, slice, t.data_bytes / static_cast<std::uint64_t>(n)});
      previous = bound;
    }
  }

  ServerUrl url_;
  DumpOptions options_;
  MyConnection leader_;  // its open transaction holds the metadata locks
  ServerInfo info_;
  std::map<std::string, std::string> position_;
  MySchema schema_;  // its tables are copied into each session
};

}  // namespace

std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url, const DumpOptions& options) {
  if (url.database.empty())
    throw Error(ExitCode::usage,
                fmt::format("no database in {}: name one, e.g. mysql://host/db", url.masked()));
  return std::make_unique<Dump>(url, options);
}

}  // namespace dbsnap::mysql
