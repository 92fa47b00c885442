#include "protocols/mysql/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "engine/comment_line.h"
#include "engine/error.h"
#include "protocols/mysql/script.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

constexpr std::uint64_t kHistoryMinVersion = 101100;  // system_versioning_insert_history

struct Column {
  std::string name;
  std::string data_type;   // information_schema DATA_TYPE: int, float, varchar, ...
  bool generated = false;  // virtual or stored generated column (never dumped)
  bool period = false;     // explicit ROW START / ROW END column of system versioning
  bool invisible = false;
};

struct TableInfo {
  std::string name, type, engine;
  std::uint64_t data_bytes = 0;
  std::vector<Column> columns;
  std::vector<std::string> primary_key;
};

bool is_integer_type(std::string_view t) {
  return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint";
}

// Base tables and system-versioned tables, views, sequences; in name order.
std::map<std::string, TableInfo> read_tables(const MyConnection& conn, const std::string& lit) {
  std::map<std::string, TableInfo> tables;
  auto t = conn.query(
      fmt::format("SELECT TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, ''), IFNULL(DATA_LENGTH, 0) "
                  "FROM information_schema.TABLES WHERE TABLE_SCHEMA = {}",
                  lit));
  while (t.next())
    tables[t.str(0)] = TableInfo{t.str(0), t.str(1), t.str(2), std::stoull(t.str(3)), {}, {}};
  auto c = conn.query(fmt::format(
      "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA, IFNULL(GENERATION_EXPRESSION, '') "
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} "
      "ORDER BY TABLE_NAME, ORDINAL_POSITION",
      lit));
  while (c.next()) {
    auto it = tables.find(c.str(0));
    if (it == tables.end()) continue;
    std::string extra = c.str(3), expr = c.str(4);
    bool period = expr == "ROW START" || expr == "ROW END";
    // MySQL 8 also says DEFAULT_GENERATED for DEFAULT expressions: not generated.
    bool generated =
        !period && (contains(extra, "VIRTUAL GENERATED") || contains(extra, "STORED GENERATED") ||
                    contains(extra, "PERSISTENT GENERATED"));
    it->second.columns.push_back(
        Column{c.str(1), c.str(2), generated, period, contains(extra, "INVISIBLE")});
  }
  auto k = conn.query(fmt::format(
      "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
      "WHERE TABLE_SCHEMA = {} AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_NAME, SEQ_IN_INDEX",
      lit));
  while (k.next()) {
    auto it = tables.find(k.str(0));
    if (it != tables.end()) it->second.primary_key.push_back(k.str(1));
  }
  return tables;
}

// One row of a SHOW CREATE statement; throws if the object vanished.
MyResult show_create(const MyConnection& conn, std::string_view what, const std::string& db,
                     const std::string& name) {
  auto r =
      conn.query(fmt::format("SHOW CREATE {} {}.{}", what, quote_ident(db), quote_ident(name)));
  if (!r.next())
    throw Error(ExitCode::server_error,
                fmt::format("SHOW CREATE {} {} returned nothing", what, quote_ident(name)));
  return r;
}

// The definition text in column col, or access_denied when the server hides it.
std::string definition(const MyResult& r, unsigned col, std::string_view what,
                       const std::string& name) {
  if (r.is_null(col))
    throw Error(ExitCode::access_denied,
                fmt::format("the definition of {} {} is hidden: the user needs the privilege "
                            "to read it (SHOW CREATE ROUTINE, or SELECT on mysql.proc)",
                            what, quote_ident(name)));
  return r.str(col);
}

bool keys_can_be_disabled(std::string_view engine) {
  return engine == "MyISAM" || engine == "Aria";
}

// Sets out.huge and out.key where rows with huge values can be found again
// by primary key (selected: the columns dumped, in order).
void find_huge_columns(MyTable& out, const TableInfo& t,
                       const std::vector<const Column*>& selected) {
  if (out.history || t.primary_key.empty()) return;
  for (const auto& name : t.primary_key) {
    auto at = std::find_if(selected.begin(), selected.end(),
                           [&](const Column* c) { return c->name == name; });
    if (at == selected.end() || (*at)->data_type == "float" || (*at)->data_type == "double") return;
    out.key.emplace_back(at - selected.begin(), out.quoted + "." + quote_ident(name));
  }
  for (unsigned i = 0; i < selected.size(); ++i) {
    const Column& c = *selected[i];
    std::string q = out.quoted + "." + quote_ident(c.name);
    if (c.data_type == "longblob") out.huge.push_back({i, q});
    if (c.data_type == "longtext") out.huge.push_back({i, fmt::format("CAST({} AS BINARY)", q)});
  }
  if (out.huge.empty()) out.key.clear();
}

MyTable data_table(const TableInfo& t, bool history) {
  MyTable out;
  out.name = t.name;
  out.quoted = quote_ident(t.name);
  out.history = history;
  out.lock_tables = keys_can_be_disabled(t.engine);
  out.data_bytes = t.data_bytes;
  std::string insert;
  std::vector<const Column*> selected;
  bool column_list = history;
  bool has_period = false;
  for (const auto& c : t.columns) {
    has_period = has_period || c.period;
    column_list = column_list || c.generated || c.invisible || c.period;
    if (c.generated || (c.period && !history)) continue;
    insert += (insert.empty() ? "" : ", ") + quote_ident(c.name);
    selected.push_back(&c);
  }
  find_huge_columns(out, t, selected);
  std::string select;
  for (unsigned i = 0; i < selected.size(); ++i) {
    std::string q = quote_ident(selected[i]->name);
    auto huge = std::find_if(out.huge.begin(), out.huge.end(),
                             [&](const HugeColumn& h) { return h.index == i; });
    if (i > 0) select += ", ";
    // The text protocol prints FLOAT with 6 digits; as a double it is exact.
    if (selected[i]->data_type == "float")
      select += q + " + 0e0";
    else if (huge != out.huge.end())
      select += fmt::format("IF(LENGTH({0}) > {1}, NULL, {0})", q, kHugeValueBytes);
    else
      select += q;
  }
  for (const auto& h : out.huge)
    select += fmt::format(", LENGTH({})", quote_ident(selected[h.index]->name));
  if (history && !has_period) {  // implicit period columns, hidden from information_schema
    insert += ", ROW_START, ROW_END";
    select += ", ROW_START, ROW_END";
  }
  out.select =
      fmt::format("SELECT {} FROM {}{}", select, out.quoted, history ? " FOR SYSTEM_TIME ALL" : "");
  out.insert = column_list ? fmt::format("INSERT INTO {} ({}) VALUES ", out.quoted, insert)
                           : fmt::format("INSERT INTO {} VALUES ", out.quoted);
  if (t.primary_key.size() == 1)
    for (const auto& c : t.columns)
      if (c.name == t.primary_key[0] && is_integer_type(c.data_type))
        out.slice_key = quote_ident(c.name);
  return out;
}

// Engines whose rows live elsewhere: mysqldump dumps their structure only.
bool has_own_data(std::string_view engine) {
  return engine != "MRG_MYISAM" && engine != "MRG_MyISAM" && engine != "FEDERATED" &&
         engine != "BLACKHOLE";
}

void append_sequence(std::string& out, const MyConnection& conn, const std::string& db,
                     const TableInfo& t) {
  auto r = show_create(conn, "SEQUENCE", db, t.name);
  auto next = conn.query(
      fmt::format("SELECT next_not_cached_value FROM {}.{}", quote_ident(db), quote_ident(t.name)));
  if (!next.next())
    throw Error(ExitCode::server_error, fmt::format("sequence {} has no row", quote_ident(t.name)));
  out += fmt::format(
      "\n--\n-- Sequence structure for {3}\n--\n\n"
      "DROP SEQUENCE IF EXISTS {0};\n{1};\nDO SETVAL({0}, {2}, 0);\n",
      quote_ident(t.name), r.str(1), next.str(0), sanitize_comment(quote_ident(t.name)));
}

void append_table(std::string& out, const MyConnection& conn, const std::string& db,
                  const TableInfo& t) {
  auto r = show_create(conn, "TABLE", db, t.name);
  std::string q = quote_ident(t.name);
  out += fmt::format(
      "\n--\n-- Table structure for table {2}\n--\n\n"
      "DROP TABLE IF EXISTS {0};\n"
      "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
      "/*!40101 SET character_set_client = utf8mb4 */;\n"
      "{1};\n"
      "/*!40101 SET character_set_client = @saved_cs_client */;\n",
      q, r.str(1), sanitize_comment(q));
  // MyISAM/Aria keep the flag: indexes are built once, by ENABLE KEYS in post-data.
  if (keys_can_be_disabled(t.engine))
    out += fmt::format("/*!40000 ALTER TABLE {} DISABLE KEYS */;\n", q);
}

// A view with the view's columns as constants, so that views and routines
// referring to it can be created before the real definition (mysqldump's
// "Temporary table structure for view").
void append_placeholder_view(std::string& out, const TableInfo& v) {
  std::string q = quote_ident(v.name);
  out += fmt::format(
      "\n--\n-- Temporary table structure for view {1}\n--\n\n"
      "DROP TABLE IF EXISTS {0};\n"
      "/*!50001 DROP VIEW IF EXISTS {0}*/;\n",
      q, sanitize_comment(q));
  // A view whose tables are gone has no columns: it gets no placeholder.
  if (v.columns.empty()) return;
  std::string select;
  for (const auto& c : v.columns)
    select += fmt::format("{}\n 1 AS {}", select.empty() ? "" : ",", quote_ident(c.name));
  out += fmt::format(
      "SET @saved_cs_client     = @@character_set_client;\n"
      "SET character_set_client = utf8mb4;\n"
      "/*!50001 CREATE VIEW {} AS SELECT{} */;\n"
      "SET character_set_client = @saved_cs_client;\n",
      q, select);
}

void append_view(std::string& out, const MyConnection& conn, const std::string& db,
                 const TableInfo& v) {
  auto r = show_create(conn, "VIEW", db, v.name);
  std::string q = quote_ident(v.name);
  out += fmt::format("\n--\n-- Final view structure for view {}\n--\n\n", sanitize_comment(q));
  append_stored_object(
      out,
      StoredObject{
          "50001", fmt::format("DROP VIEW IF EXISTS {}", q), r.str(1), r.str(2), r.str(3), {}, {}});
}

void append_triggers(std::string& out, const MyConnection& conn, const std::string& db,
                     const std::string& lit, const TableFilter& filter) {
  auto list = conn.query(
      fmt::format("SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS "
                  "WHERE TRIGGER_SCHEMA = {} "
                  "ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
                  lit));
  std::string table;
  while (list.next()) {
    if (!filter.selects(db, list.get(0))) continue;
    if (table != list.get(0)) {
      table = list.str(0);
      out += fmt::format("\n--\n-- Triggers of table {}\n--\n\n",
                         sanitize_comment(quote_ident(table)));
    }
    std::string name = list.str(1);
    auto r = show_create(conn, "TRIGGER", db, name);
    append_stored_object(
        out, StoredObject{
                 "50003", "", definition(r, 2, "trigger", name), r.str(3), r.str(4), r.str(1), {}});
  }
}

void append_events(std::string& out, const MyConnection& conn, const std::string& db,
                   const std::string& lit) {
  auto list = conn.query(
      fmt::format("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {} "
                  "ORDER BY EVENT_NAME",
                  lit));
  while (list.next()) {
    std::string name = list.str(0);
    auto r = show_create(conn, "EVENT", db, name);
    out += fmt::format("\n--\n-- Event {}\n--\n\n", sanitize_comment(quote_ident(name)));
    append_stored_object(
        out, StoredObject{"50106", fmt::format("DROP EVENT IF EXISTS {}", quote_ident(name)),
                          definition(r, 3, "event", name), r.str(4), r.str(5), r.str(1), r.str(2)});
  }
}

void append_routines(std::string& out, const MyConnection& conn, const std::string& db,
                     const std::string& lit) {
  auto list = conn.query(
      fmt::format("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                  "WHERE ROUTINE_SCHEMA = {} AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') "
                  "ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
                  lit));
  while (list.next()) {
    std::string type = list.str(0), name = list.str(1);
    auto r = show_create(conn, type, db, name);
    out += fmt::format("\n--\n-- {} {}\n--\n\n", type == "FUNCTION" ? "Function" : "Procedure",
                       sanitize_comment(quote_ident(name)));
    append_stored_object(out,
                         StoredObject{"50003",
                                      fmt::format("DROP {} IF EXISTS {}", type, quote_ident(name)),
                                      definition(r, 2, "routine", name),
                                      r.str(3),
                                      r.str(4),
                                      r.str(1),
                                      {}});
  }
}

}  // namespace

MySchema read_schema(const MyConnection& conn, const std::string& database,
                     const TableFilter& filter) {
  std::string lit = quote_string(database);
  bool history_supported = conn.is_mariadb() && conn.version_number() >= kHistoryMinVersion;
  auto tables = read_tables(conn, lit);
  std::erase_if(tables, [&](const auto& t) { return !filter.selects(database, t.first); });
  MySchema schema;
  std::vector<const TableInfo*> views;
  for (const auto& [name, t] : tables)
    if (t.type == "SEQUENCE") append_sequence(schema.pre_data, conn, database, t);
  for (const auto& [name, t] : tables) {
    if (t.type == "VIEW") views.push_back(&t);
    if (t.type != "BASE TABLE" && t.type != "SYSTEM VERSIONED") continue;
    append_table(schema.pre_data, conn, database, t);
    if (keys_can_be_disabled(t.engine))
      schema.post_data +=
          fmt::format("/*!40000 ALTER TABLE {} ENABLE KEYS */;\n", quote_ident(name));
    if (has_own_data(t.engine))
      schema.tables[name] = data_table(t, history_supported && t.type == "SYSTEM VERSIONED");
  }
  for (const auto* v : views) append_placeholder_view(schema.pre_data, *v);
  append_triggers(schema.post_data, conn, database, lit, filter);
  append_events(schema.post_data, conn, database, lit);
  append_routines(schema.post_data, conn, database, lit);
  for (const auto* v : views) append_view(schema.post_data, conn, database, *v);
  return schema;
}

}  // namespace dbsnap::mysql
