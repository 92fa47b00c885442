#include "protocols/postgres/schema/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <set>

#include "engine/comment_line.h"
#include "engine/error.h"
#include "protocols/postgres/schema/rows.h"

namespace dbsnap::pg::catalog {

PgResult query(PGconn* conn, std::string_view sql) {
  std::string text(sql);
  PgResult r(PQexec(conn, text.c_str()));
  if (PQresultStatus(r.raw()) == PGRES_TUPLES_OK) return r;
  std::string msg = r.raw() ? PQresultErrorMessage(r.raw()) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string head = text.substr(0, 100);
  for (auto& c : head)
    if (c == '\n') c = ' ';
  throw Error(ExitCode::server_error,
              fmt::format("cannot read the catalogs: {} (while running: {})", msg, head));
}

int Row::col(const char* column) const {
  int c = PQfnumber(r_.raw(), column);
  if (c < 0)
    throw Error(ExitCode::failure,
                fmt::format("catalog query result has no column \"{}\"", column));
  return c;
}

std::string acl_columns(std::string_view column, char kind, std::string_view owner) {
  return fmt::format(
      "{0} AS acl, {0} IS NULL AS acl_is_null, pg_catalog.acldefault('{1}', {2}) AS acl_default",
      column, kind, owner);
}

// ---------------------------------------------------------------------------
// Output

void Output::write(std::string& out, const Toc& toc) {
  if (toc.tablespace && tablespace_ != toc.tablespace) {
    out += toc.tablespace->empty() ? std::string("SET default_tablespace = '';\n\n")
                                   : fmt::format("SET default_tablespace = {};\n\n",
                                                 quote_ident(conn_, *toc.tablespace));
    tablespace_ = toc.tablespace;
  }
  if (toc.table_am && table_am_ != toc.table_am) {
    out +=
        fmt::format("SET default_table_access_method = {};\n\n", quote_ident(conn_, *toc.table_am));
    table_am_ = toc.table_am;
  }
  out += fmt::format("--\n-- Name: {}; Type: {}; Schema: {}; Owner: {}\n--\n\n",
                     sanitize_comment(toc.tag), sanitize_comment(toc.type),
                     sanitize_comment(toc.schema, true),
                     options_.no_owner || !toc.owner ? "-" : sanitize_comment(*toc.owner));
  out += toc.defn;
  out += "\n\n";
  if (!toc.alter_owner.empty() && toc.owner && !options_.no_owner)
    out += fmt::format("{} OWNER TO {};\n\n", toc.alter_owner, quote_ident(conn_, *toc.owner));
}

void Output::comment(const std::string& tag, const std::string& target, const std::string& schema,
                     const std::string& owner, const std::string& text) {
  Toc toc;
  toc.tag = tag;
  toc.type = "COMMENT";
  toc.schema = schema;
  toc.owner = owner;
  toc.defn = fmt::format("COMMENT ON {} IS {};\n", target, quote_literal(text));
  entry(toc);
}

namespace {

// One aclitem "grantee=privs/grantor" (names double-quoted when needed).
struct AclItem {
  std::string grantee, privs, grantor;  // grantee "" = PUBLIC
};

std::string read_role(std::string_view s, std::size_t& i, char stop) {
  std::string out;
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      if (s[i] == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') {
          out += '"';
          ++i;
        } else {
          ++i;
          break;
        }
      } else {
        out += s[i];
      }
    }
    return out;
  }
  while (i < s.size() && s[i] != stop) out += s[i++];
  return out;
}

AclItem parse_item(std::string_view s) {
  AclItem item;
  std::size_t i = 0;
  item.grantee = read_role(s, i, '=');
  if (i < s.size() && s[i] == '=') ++i;
  while (i < s.size() && s[i] != '/') item.privs += s[i++];
  if (i < s.size()) ++i;
  item.grantor = read_role(s, i, '\0');
  return item;
}

// parseAclItem's CONVERT_PRIV order per object type (dumputils.c).
std::vector<std::pair<char, const char*>> privilege_words(const std::string& type, bool column) {
  if (type == "TABLE" || type == "SEQUENCE" || type == "TABLES" || type == "SEQUENCES") {
    std::vector<std::pair<char, const char*>> w = {{'r', "SELECT"}};
    if (type == "SEQUENCE" || type == "SEQUENCES") {
      w.push_back({'U', "USAGE"});
    } else {
      w.push_back({'a', "INSERT"});
      w.push_back({'x', "REFERENCES"});
      if (!column) {
        w.push_back({'d', "DELETE"});
        w.push_back({'t', "TRIGGER"});
        w.push_back({'D', "TRUNCATE"});
      }
    }
    w.push_back({'w', "UPDATE"});
    return w;
  }
  if (type == "FUNCTION" || type == "PROCEDURE" || type == "FUNCTIONS") return {{'X', "EXECUTE"}};
  if (type == "SCHEMA" || type == "SCHEMAS") return {{'C', "CREATE"}, {'U', "USAGE"}};
  if (type == "DATABASE") return {{'C', "CREATE"}, {'c', "CONNECT"}, {'T', "TEMPORARY"}};
  if (type == "TABLESPACE") return {{'C', "CREATE"}};
  if (type == "PARAMETER") return {{'s', "SET"}, {'A', "ALTER SYSTEM"}};
  if (type == "FOREIGN TABLE") return {{'r', "SELECT"}};
  if (type == "LARGE OBJECT") return {{'r', "SELECT"}, {'w', "UPDATE"}};
  return {{'U', "USAGE"}};  // TYPE, LANGUAGE, FOREIGN DATA WRAPPER, FOREIGN SERVER
}

}  // namespace

void Output::acl(const std::string& tag, const std::string& type, const std::string& name,
                 const std::string& column, const std::string& schema, const std::string& owner,
                 std::string_view acl, bool is_null, std::string_view base) {
  if (options_.no_privileges || is_null) return;
  std::string target = (schema.empty() ? "" : quote_ident(conn_, schema) + ".") + name;
  Toc toc;
  toc.tag = tag;
  toc.type = "ACL";
  toc.schema = schema;
  toc.owner = owner;
  toc.defn = acl_commands("", type, target, column, owner, acl, base);
  if (!toc.defn.empty()) write(acl_, toc);
}

void Output::default_acl(const std::string& tag, const std::string& prefix, const std::string& type,
                         const std::string& schema, const std::string& owner, std::string_view acl,
                         std::string_view base) {
  if (options_.no_privileges) return;
  Toc toc;
  toc.tag = tag;
  toc.type = "DEFAULT ACL";
  toc.schema = schema;
  toc.owner = owner;
  toc.defn = acl_commands(prefix, type, "", "", owner, acl, base);
  if (!toc.defn.empty()) write(acl_, toc);
}

std::string Output::acl_commands(const std::string& prefix, const std::string& type,
                                 const std::string& target, const std::string& column,
                                 const std::string& owner, std::string_view acl,
                                 std::string_view base) {
  std::vector<std::string> items = parse_array(acl), base_items = parse_array(base);
  std::string first, second;
  // with_grant gets the privileges held WITH GRANT OPTION, or nothing when
  // grant_options is false (a REVOKE names both kinds alike).
  auto privileges = [&](const AclItem& item, std::string& plain, std::string& with_grant,
                        bool grant_options) {
    bool all_plain = true, all_grant = true;
    for (auto [letter, word] : privilege_words(type, !column.empty())) {
      std::size_t pos = item.privs.find(letter);
      if (pos == std::string::npos) {
        all_plain = all_grant = false;
        continue;
      }
      bool grant_option =
          grant_options && pos + 1 < item.privs.size() && item.privs[pos + 1] == '*';
      std::string& buf = grant_option ? with_grant : plain;
      if (!buf.empty()) buf += ',';
      buf += word;
      if (!column.empty()) buf += "(" + column + ")";
      (grant_option ? all_plain : all_grant) = false;
    }
    std::string suffix = column.empty() ? "" : "(" + column + ")";
    if (all_grant) {
      plain.clear();
      with_grant = "ALL" + suffix;
    } else if (all_plain) {
      with_grant.clear();
      plain = "ALL" + suffix;
    }
  };
  auto who = [&](const std::string& role) {
    return role.empty() ? std::string("PUBLIC") : quote_ident(conn_, role);
  };
  for (const auto& b : base_items) {
    if (std::find(items.begin(), items.end(), b) != items.end()) continue;
    AclItem item = parse_item(b);
    std::string plain, with_grant;
    privileges(item, plain, with_grant, false);
    if (plain.empty()) continue;
    first += fmt::format("{}REVOKE {} ON {} {} FROM {};\n", prefix, plain, type, target,
                         who(item.grantee));
  }
  for (const auto& a : items) {
    if (std::find(base_items.begin(), base_items.end(), a) != base_items.end()) continue;
    AclItem item = parse_item(a);
    std::string plain, with_grant;
    privileges(item, plain, with_grant, true);
    if (plain.empty() && with_grant.empty()) continue;
    std::string& out = (item.grantee == owner && item.grantor == owner) ? first : second;
    bool other_grantor = item.grantor != owner;
    if (other_grantor)
      out += fmt::format("SET SESSION AUTHORIZATION {};\n", quote_ident(conn_, item.grantor));
    if (!plain.empty())
      out += fmt::format("{}GRANT {} ON {} {} TO {};\n", prefix, plain, type, target,
                         who(item.grantee));
    if (!with_grant.empty())
      out += fmt::format("{}GRANT {} ON {} {} TO {} WITH GRANT OPTION;\n", prefix, with_grant, type,
                         target, who(item.grantee));
    if (other_grantor) out += "RESET SESSION AUTHORIZATION;\n";
  }
  return first + second;
}

// ---------------------------------------------------------------------------
// Graph

std::size_t Graph::add(DumpObject object) {
  objects_.push_back(std::move(object));
  return objects_.size() - 1;
}

void Graph::map(CatalogKey key, std::size_t object) { keys_.emplace(key, object); }

std::optional<std::size_t> Graph::find(CatalogKey key) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void Graph::depend(std::size_t object, std::size_t on) {
  if (object == on) return;
  auto& deps = objects_[object].deps;
  if (std::find(deps.begin(), deps.end(), on) == deps.end()) deps.push_back(on);
}

// TopoSort: fill the output from the end, each time taking the ready object
// (nothing left depends on it) that is last in the name order. Objects that
// never become ready (they sit on or behind a loop) are returned.
std::vector<std::size_t> Graph::topo_sort(const std::vector<std::size_t>& items,
                                          std::vector<std::size_t>& out) const {
  std::vector<int> before(objects_.size(), 0);
  std::vector<std::size_t> position(objects_.size(), 0);
  std::vector<bool> placed(objects_.size(), false);
  for (std::size_t i = 0; i < items.size(); ++i) position[items[i]] = i;
  for (std::size_t i : items)
    for (std::size_t d : objects_[i].deps) ++before[d];
  std::priority_queue<std::size_t> ready;  // positions in items
  for (std::size_t i = 0; i < items.size(); ++i)
    if (before[items[i]] == 0) ready.push(i);
  out.assign(items.size(), 0);
  std::size_t next = items.size();
  while (!ready.empty()) {
    std::size_t obj = items[ready.top()];
    ready.pop();
    placed[obj] = true;
    out[--next] = obj;
    for (std::size_t d : objects_[obj].deps)
      if (--before[d] == 0) ready.push(position[d]);
  }
  std::vector<std::size_t> stuck;
  for (std::size_t i : items)
    if (!placed[i]) stuck.push_back(i);
  return stuck;
}

std::vector<std::size_t> Graph::find_loop(const std::vector<std::size_t>& stuck) const {
  // Each stuck object has a stuck dependent (else it would have been placed),
  // so walking to dependents must come back to an object already seen.
  std::set<std::size_t> left(stuck.begin(), stuck.end());
  std::map<std::size_t, std::size_t> dependent;
  for (std::size_t i : stuck)
    for (std::size_t d : objects_[i].deps)
      if (left.count(d)) dependent.emplace(d, i);
  std::vector<std::size_t> path;
  std::map<std::size_t, std::size_t> seen;
  std::size_t cur = stuck.front();
  while (!seen.count(cur)) {
    seen[cur] = path.size();
    path.push_back(cur);
    auto it = dependent.find(cur);
    if (it == dependent.end()) return {};
    cur = it->second;
  }
  return {path.begin() + static_cast<std::ptrdiff_t>(seen[cur]), path.end()};
}

void Graph::repair(const std::vector<std::size_t>& loop) {
  for (std::size_t a : loop) {
    auto& def = objects_[a];
    if (!def.default_of) continue;
    std::size_t table = *def.default_of;
    if (std::find(loop.begin(), loop.end(), table) == loop.end()) continue;
    def.separate = true;
    auto& tdeps = objects_[table].deps;
    tdeps.erase(std::remove(tdeps.begin(), tdeps.end(), a), tdeps.end());
    depend(a, table);
    return;
  }
  // No known repair: drop one edge of the loop (loop[i + 1] depends on loop[i]).
  auto& deps = objects_[loop[loop.size() > 1 ? 1 : 0]].deps;
  deps.erase(std::remove(deps.begin(), deps.end(), loop[0]), deps.end());
}

std::vector<std::size_t> Graph::sort() {
  std::vector<std::size_t> items(objects_.size());
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = i;
  std::stable_sort(items.begin(), items.end(), [&](std::size_t x, std::size_t y) {
    const auto &a = objects_[x], &b = objects_[y];
    if (a.priority != b.priority) return a.priority < b.priority;
    if (a.schema.empty() != b.schema.empty()) return b.schema.empty();
    return std::tie(a.schema, a.name, a.tiebreak, a.oid) <
           std::tie(b.schema, b.name, b.tiebreak, b.oid);
  });
  std::vector<std::size_t> out;
  for (;;) {
    std::vector<std::size_t> stuck = topo_sort(items, out);
    if (stuck.empty()) break;
    std::vector<std::size_t> loop = find_loop(stuck);
    if (loop.empty()) break;
    repair(loop);
  }
  return out;
}

// ---------------------------------------------------------------------------

std::vector<std::string> parse_array(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '{') ++i;
  while (i < text.size() && text[i] != '}') {
    std::string elem;
    bool quoted = false;
    if (text[i] == '"') {
      quoted = true;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        elem += text[i];
      }
      ++i;
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '}') elem += text[i++];
    }
    if (quoted || elem != "NULL") out.push_back(std::move(elem));
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

std::string dollar_quote(std::string_view body) {
  static constexpr std::string_view kSuffixes = "_XXXXXXX";
  std::string delim = "$";
  std::size_t next = 0;
  while (body.find(delim) != std::string_view::npos) {
    delim += kSuffixes[next++];
    next %= kSuffixes.size();
  }
  delim += '$';
  return delim + std::string(body) + delim;
}

}  // namespace dbsnap::pg::catalog
