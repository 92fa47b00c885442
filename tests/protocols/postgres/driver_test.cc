// PgDriver against the real server of DBSNAP_TEST_PG_URL (a superuser), and
// the pure parts of copy.h. Server tests fail, never skip, without the URL.
#include "protocols/postgres/driver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/backup.h"
#include "engine/error.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/copy.h"
#include "protocols/postgres/large_objects.h"
#include "tests/support/common.h"
#include "tests/support/pg.h"

namespace dbsnap::pg {
namespace {

using test::pg_exec;
using test::pg_query;
using test::ScratchPgDatabase;

struct Chunk {
  Section section;
  std::string table, sql;
  std::uint64_t rows, checksum;
};

// Keeps every chunk; chunk_bytes() as given.
class CollectingSink final : public ChunkSink {
 public:
  explicit CollectingSink(std::size_t chunk_bytes = 1 << 20) : chunk_bytes_(chunk_bytes) {}
  void emit(Section section, std::string_view table, std::string_view sql, std::uint64_t rows,
            std::uint64_t checksum) override {
    chunks.push_back({section, std::string(table), std::string(sql), rows, checksum});
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::vector<Chunk> chunks;

 private:
  std::size_t chunk_bytes_;
};

ServerUrl url_of(const std::string& database) {
  return ServerUrl::parse(test::pg_url_for(database));
}

// Runs f, expecting dbsnap::Error with code; returns its message.
template <typename F>
std::string expect_error(ExitCode code, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no dbsnap::Error thrown";
  return {};
}

// The data rows of one COPY chunk, after checking it is a complete block:
// pg_dump's comment, `COPY table ... FROM stdin;`, rows, `\.` and blank lines.
std::vector<std::string> rows_of_chunk(const std::string& chunk, const std::string& table) {
  std::vector<std::string> rows;
  EXPECT_EQ(chunk.rfind("--\n-- Data for Name: ", 0), 0u) << chunk;
  std::string copy = "\n--\n\nCOPY " + table + " ";
  std::size_t head = chunk.find(copy);
  EXPECT_NE(head, std::string::npos) << chunk;
  std::size_t start = chunk.find(" FROM stdin;\n", head);
  EXPECT_NE(start, std::string::npos) << chunk;
  EXPECT_TRUE(chunk.ends_with("\n\\.\n\n\n")) << chunk;
  if (head == std::string::npos || start == std::string::npos) return rows;
  std::size_t pos = start + std::string_view(" FROM stdin;\n").size();
  std::size_t end = chunk.size() - std::string_view("\\.\n\n\n").size();
  while (pos < end) {
    std::size_t nl = chunk.find('\n', pos);
    rows.push_back(chunk.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return rows;
}

// Every row of table in every data chunk of sink, checking each chunk's
// row count, sorted.
std::vector<std::string> all_rows(const CollectingSink& sink, const std::string& table) {
  std::vector<std::string> rows;
  for (const auto& c : sink.chunks) {
    if (c.section != Section::data || c.table != table) continue;
    auto part = rows_of_chunk(c.sql, table);
    EXPECT_EQ(part.size(), c.rows);
    rows.insert(rows.end(), part.begin(), part.end());
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::uint64_t count_rows(const std::string& db, const std::string& table) {
  return std::stoull(pg_query(db, "SELECT count(*) FROM " + table)[0][0]);
}

// A port on 127.0.0.1 where nothing listens (bound, then released).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(PgDriverPing, ReportsVersionUserAndPrivilegesOfSuperuser) {
  ServerUrl url = ServerUrl::parse(test::pg_url());
  PingReport report = PgDriver().ping(url);
  EXPECT_EQ(report.server.kind, "postgres");
  EXPECT_EQ(report.server.version, pg_query("postgres", "SHOW server_version")[0][0]);
  EXPECT_EQ(report.user, url.user);
  EXPECT_TRUE(report.can_backup);
  EXPECT_TRUE(report.can_restore);
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();
}

// A login role with password "pw", dropped with its privileges in db at the end.
struct ScratchRole {
  ScratchRole(const std::string& db, const std::string& name) : db(db), name(name) {
    pg_exec(db, "CREATE ROLE " + name + " LOGIN PASSWORD 'pw'");
  }
  ~ScratchRole() {
    pg_exec(db, "DROP OWNED BY " + name);
    pg_exec("postgres", "DROP ROLE " + name);
  }
  ScratchRole(const ScratchRole&) = delete;
  ScratchRole& operator=(const ScratchRole&) = delete;
  std::string db, name;
};

TEST(PgDriverPing, NamesTablesAPlainUserCannotRead) {
  ScratchPgDatabase db("drv_ping");
  ScratchRole plain(db.name(), db.name() + "_r");
  const std::string& role = plain.name;
  pg_exec(db.name(),
          "CREATE TABLE open_t (x int); CREATE TABLE secret (x int); "
          "GRANT SELECT ON open_t TO " +
              role);
  ServerUrl url = url_of(db.name());
  url.user = role;
  url.password = "pw";
  PingReport report = PgDriver().ping(url);
  EXPECT_EQ(report.user, role);
  EXPECT_FALSE(report.can_backup);
  EXPECT_FALSE(report.can_restore);
  std::string notes;
  for (const auto& n : report.notes) notes += n + "\n";
  EXPECT_NE(notes.find("cannot read public.secret: no SELECT privilege"), std::string::npos)
      << notes;
  EXPECT_EQ(notes.find("open_t"), std::string::npos) << notes;
  EXPECT_NE(notes.find("may not create databases"), std::string::npos) << notes;
}

TEST(PgDriverPing, ClosedPortIsConnectionRefused) {
  ServerUrl url = ServerUrl::parse(test::pg_url());
  url.port = closed_port();
  expect_error(ExitCode::connection_refused, [&] { PgDriver().ping(url); });
}

TEST(PgDriverPing, WrongPasswordIsAccessDenied) {
  ServerUrl url = ServerUrl::parse(test::pg_url());
  url.password = "certainly-not-the-password";
  std::string message = expect_error(ExitCode::access_denied, [&] { PgDriver().ping(url); });
  EXPECT_EQ(message.find("certainly-not-the-password"), std::string::npos) << message;
}

TEST(PgDriverPing, MissingDatabaseIsDatabaseMissing) {
  std::string message = expect_error(ExitCode::database_missing,
                                     [&] { PgDriver().ping(url_of(test::unique_name("absent"))); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(PgDriverPing, UnresolvableHostIsUnknownHost) {
  ServerUrl url = ServerUrl::parse(test::pg_url());
  url.host = "nonexistent.invalid";
  expect_error(ExitCode::unknown_host, [&] { PgDriver().ping(url); });
}

TEST(PgDriverDatabases, ListsUserDatabasesWithoutTemplates) {
  ScratchPgDatabase db("drv_list");
  auto names = PgDriver().databases(ServerUrl::parse(test::pg_url()));
  EXPECT_NE(std::find(names.begin(), names.end(), db.name()), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "postgres"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "template0"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "template1"), names.end());
}

TEST(PgDriverDump, PositionHasSnapshotAndLsn) {
  ScratchPgDatabase db("drv_pos");
  auto dump = PgDriver().open_dump(url_of(db.name()), {});
  auto position = dump->position();
  EXPECT_FALSE(position["snapshot"].empty());
  EXPECT_NE(position["lsn"].find('/'), std::string::npos) << position["lsn"];
  EXPECT_EQ(dump->server().kind, "postgres");
}

TEST(PgDriverDump, SessionsSeeTheSnapshotNotLaterCommits) {
  ScratchPgDatabase db("drv_snap");
  pg_exec(db.name(), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)");
  auto dump = PgDriver().open_dump(url_of(db.name()), {});
  pg_exec(db.name(), "INSERT INTO t SELECT generate_series(101, 150)");
  auto session = std::move(dump->share(1).front());
  CollectingSink sink;
  session->dump({"public.t", "", 0}, sink);
  ASSERT_EQ(sink.chunks.size(), 1u);
  EXPECT_EQ(sink.chunks[0].rows, 100u);
  EXPECT_EQ(all_rows(sink, "public.t").size(), 100u);
  EXPECT_EQ(count_rows(db.name(), "t"), 150u);
}

TEST(PgDriverDump, ChunkIsExactlyPgDumpsDataEntry) {
  ScratchPgDatabase db("drv_form");
  pg_exec(db.name(),
          "CREATE TABLE film (film_id int, title text, g int GENERATED ALWAYS AS (film_id) "
          "STORED); INSERT INTO film VALUES (1, E'a\\tb'), (2, NULL), (3, E'line\\nbreak');"
          "CREATE TABLE \"Empty Table\" (x int)");
  for (bool no_owner : {false, true}) {
    DumpOptions options;
    options.no_owner = no_owner;
    auto dump = PgDriver().open_dump(url_of(db.name()), options);
    auto session = std::move(dump->share(1).front());
    CollectingSink sink;
    session->dump({"public.film", "", 0}, sink);
    session->dump({"public.\"Empty Table\"", "", 0}, sink);
    ASSERT_EQ(sink.chunks.size(), 2u);
    EXPECT_EQ(sink.chunks[1].rows, 0u);
    std::vector<std::string> args = {"pg_dump", "--data-only", "-d", db.url()};
    if (no_owner) args.push_back("--no-owner");
    auto reference = test::run(args);
    ASSERT_EQ(reference.exit_code, 0) << reference.describe();
    for (const auto& c : sink.chunks)
      EXPECT_NE(reference.out.find(c.sql), std::string::npos) << "chunk:\n"
                                                              << c.sql << "\npg_dump:\n"
                                                              << reference.out;
  }
}

TEST(PgDriverDump, TinyChunksAreSelfContainedAndRestoreAlone) {
  ScratchPgDatabase db("drv_chunks");
  ScratchPgDatabase target("drv_chunks_to");
  std::string table_sql = "CREATE TABLE t (id int, note text)";
  pg_exec(db.name(), table_sql +
                         "; INSERT INTO t SELECT i, repeat('x', i % 50) || E'\\t' "
                         "FROM generate_series(1, 500) i");
  pg_exec(target.name(), table_sql);
  auto dump = PgDriver().open_dump(url_of(db.name()), {});
  auto session = std::move(dump->share(1).front());
  CollectingSink whole, tiny(1000);
  session->dump({"public.t", "", 0}, whole);
  session->dump({"public.t", "", 0}, tiny);
  ASSERT_EQ(whole.chunks.size(), 1u);
  ASSERT_GT(tiny.chunks.size(), 10u);
  for (const auto& c : tiny.chunks) EXPECT_LT(c.sql.size(), 1000u + 300u);
  EXPECT_EQ(all_rows(tiny, "public.t"), all_rows(whole, "public.t"));
  EXPECT_EQ(all_rows(whole, "public.t").size(), 500u);

  test::ScratchDir dir;
  for (std::size_t i = 0; i < tiny.chunks.size(); ++i) {
    auto file = dir.path() / ("chunk" + std::to_string(i) + ".sql");
    std::ofstream(file) << tiny.chunks[i].sql;
    test::pg_load_sql_file(target.name(), file);
  }
  EXPECT_EQ(test::pg_table_fingerprints(target.name()), test::pg_table_fingerprints(db.name()));
}

TEST(PgDriverDump, SlicesTogetherDumpExactlyTheTable) {
  ScratchPgDatabase db("drv_slices");
  pg_exec(db.name(),
          "CREATE TABLE big (id int, pad text); "
          "INSERT INTO big SELECT i, repeat('p', 200) FROM generate_series(1, 3000) i; "
          "DELETE FROM big WHERE id % 7 = 0; CREATE TABLE small (x int); "
          "INSERT INTO small VALUES (1)");
  constexpr std::uint64_t kSlice = 4 * 8192;  // 4 pages: the ~80-page table is sliced
  auto dump = PgDriver(kSlice).open_dump(url_of(db.name()), {});
  auto items = dump->plan(1);
  std::vector<DataItem> slices;
  for (const auto& item : items) {
    if (item.table == "public.big") {
      slices.push_back(item);
    } else {
      EXPECT_TRUE(item.slice.empty()) << item.table;
    }
  }
  ASSERT_GT(slices.size(), 4u);
  for (std::size_t i = 1; i < items.size(); ++i)
    EXPECT_GE(items[i - 1].estimated_bytes, items[i].estimated_bytes);
  EXPECT_EQ(std::count_if(slices.begin(), slices.end(),
                          [](const DataItem& s) { return !parse_slice(s.slice).end; }),
            1);

  auto session = std::move(dump->share(1).front());
  CollectingSink sliced, whole;
  for (const auto& s : slices) session->dump(s, sliced);
  session->dump({"public.big", "", 0}, whole);
  EXPECT_EQ(all_rows(sliced, "public.big"), all_rows(whole, "public.big"));
  EXPECT_EQ(all_rows(whole, "public.big").size(), count_rows(db.name(), "big"));
}

// The content checksum (engine/row_checksum.h) of a table is the same whether
// it is dumped whole on one session or in slices and small chunks spread over
// three workers, is the sum of its chunks' checksums, and is found again on a
// copy restored from the chunks' text.
TEST(PgDriverDump, ContentChecksumIsTheSameSlicedAcrossWorkersAndOnARestoredCopy) {
  ScratchPgDatabase db("drv_sum");
  ScratchPgDatabase target("drv_sum_to");
  const std::string schema =
      "CREATE TABLE big (id int, pad text, f float8, at timestamptz); CREATE TABLE small (x int)";
  pg_exec(db.name(), schema +
                         "; INSERT INTO big SELECT i, repeat('p', i % 300), i / 7.0, "
                         "'2026-01-01'::timestamptz + i * interval '1 minute' "
                         "FROM generate_series(1, 3000) i; INSERT INTO small VALUES (1), (NULL)");
  pg_exec(target.name(), schema);
  constexpr std::uint64_t kSlice = 4 * 8192;
  BackupRequest sliced;
  sliced.url = url_of(db.name());
  sliced.jobs = 3;
  sliced.chunk_bytes = 8192;
  PgDriver slicing(kSlice);
  auto spread = dump_content(slicing, sliced);
  BackupRequest whole = sliced;
  whole.jobs = 1;
  whole.chunk_bytes = kDefaultChunkBytes;
  PgDriver driver;
  auto one = dump_content(driver, whole);
  ASSERT_EQ(spread.size(), 2u);
  EXPECT_EQ(spread, one);
  EXPECT_EQ(one["public.big"].rows, 3000u);
  EXPECT_EQ(one["public.small"].rows, 2u);
  EXPECT_NE(one["public.big"].checksum, 0u);

  auto dump = driver.open_dump(url_of(db.name()), {});
  auto session = std::move(dump->share(1).front());
  CollectingSink chunks(4096);
  session->dump({"public.big", "", 0}, chunks);
  session->dump({"public.small", "", 0}, chunks);
  ASSERT_GT(chunks.chunks.size(), 10u);
  std::map<std::string, TableContent> summed;
  for (const auto& c : chunks.chunks) {
    summed[c.table].rows += c.rows;
    summed[c.table].checksum += c.checksum;
  }
  EXPECT_EQ(summed, one);

  test::ScratchDir dir;
  for (std::size_t i = 0; i < chunks.chunks.size(); ++i) {
    auto file = dir.path() / ("chunk" + std::to_string(i) + ".sql");
    std::ofstream(file) << chunks.chunks[i].sql;
    test::pg_load_sql_file(target.name(), file);
  }
  whole.url = url_of(target.name());
  EXPECT_EQ(dump_content(driver, whole), one);
  pg_exec(target.name(), "UPDATE big SET pad = 'x' WHERE id = 17");
  auto changed = dump_content(driver, whole);
  EXPECT_EQ(changed["public.big"].rows, 3000u);
  EXPECT_NE(changed["public.big"].checksum, one["public.big"].checksum);
  EXPECT_EQ(changed["public.small"], one["public.small"]);
}

// A session of its own holding `LOCK TABLE table IN ACCESS EXCLUSIVE MODE`.
PgConnection hold_exclusive_lock(const std::string& db, const std::string& table) {
  PgConnection holder = PgConnection::connect(url_of(db));
  holder.exec("BEGIN; LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  return holder;
}

TEST(PgDriverDump, ExclusiveLockMakesOpenDumpTimeOutNamingTheTable) {
  ScratchPgDatabase db("drv_lock");
  pg_exec(db.name(), "CREATE TABLE free_t (x int); CREATE TABLE held (x int)");
  PgConnection holder = hold_exclusive_lock(db.name(), "public.held");
  DumpOptions options;
  options.lock_wait_timeout_s = 1;
  auto started = std::chrono::steady_clock::now();
  std::string message =
      expect_error(ExitCode::timeout, [&] { PgDriver().open_dump(url_of(db.name()), options); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_NE(message.find("table public.held is locked by another session"), std::string::npos)
      << message;
  EXPECT_NE(message.find("holds an ACCESS EXCLUSIVE lock"), std::string::npos) << message;
}

TEST(PgDriverDump, ExclusiveLockQueuedBehindTheLeaderMakesWorkerTimeOut) {
  ScratchPgDatabase db("drv_queue");
  pg_exec(db.name(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
  DumpOptions options;
  options.lock_wait_timeout_s = 1;
  auto dump = PgDriver().open_dump(url_of(db.name()), options);
  auto session = std::move(dump->share(1).front());
  // Waits behind the leader's ACCESS SHARE lock; the worker's COPY queues behind it.
  PgConnection waiter = PgConnection::connect(url_of(db.name()));
  ASSERT_EQ(PQsendQuery(waiter.get(), "BEGIN; LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE"), 1);
  for (int i = 0; i < 100 && count_rows(db.name(),
                                        "pg_locks WHERE NOT granted AND "
                                        "relation = 'public.t'::regclass") == 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CollectingSink sink;
  std::string message = expect_error(ExitCode::timeout, [&] {
    session->dump({"public.t", "", 0}, sink);
  });
  EXPECT_NE(message.find("table public.t is locked by another session"), std::string::npos)
      << message;
  EXPECT_NE(message.find("waits for an ACCESS EXCLUSIVE lock"), std::string::npos) << message;
  dump.reset();  // the leader's lock goes; the waiter's LOCK completes
  while (PGresult* r = PQgetResult(waiter.get())) PQclear(r);
}

TEST(CopySlice, FormatsAndParsesBoundedAndOpenRanges) {
  EXPECT_EQ(format_slice({0, 8192}), "(0,8192)");
  EXPECT_EQ(format_slice({8192, std::nullopt}), "(8192,)");
  EXPECT_EQ(parse_slice("(0,8192)"), (PageRange{0, 8192}));
  EXPECT_EQ(parse_slice("(8192,)"), (PageRange{8192, std::nullopt}));
  for (const char* bad : {"", "()", "(1)", "(x,2)", "(5,5)", "(1,2", "1,2)", "(1,2,3)"})
    EXPECT_THROW(parse_slice(bad), Error) << bad;
}

TEST(CopySlice, QueriesUseTidRangesAndOnly) {
  PgTable t;
  t.qualified = "public.film";
  t.columns = "(id, title)";
  EXPECT_EQ(copy_query(t, std::nullopt), "COPY public.film (id, title) TO stdout;");
  EXPECT_EQ(copy_query(t, PageRange{10, 20}),
            "COPY (SELECT id, title FROM ONLY public.film WHERE ctid >= '(10,0)'::tid AND "
            "ctid < '(20,0)'::tid) TO stdout;");
  EXPECT_EQ(copy_query(t, PageRange{20, std::nullopt}),
            "COPY (SELECT id, title FROM ONLY public.film WHERE ctid >= '(20,0)'::tid) TO "
            "stdout;");
}

// A table whose TOAST could hold a value over long_bytes reads its long
// columns NULL when over it, and starts each row with the ctid of such a row.
TEST(CopySlice, LongValuesAreLeftNullAndTheirRowsNamedByCtid) {
  PgTable t;
  t.qualified = "public.doc";
  t.columns = "(id, body, \"Data\")";
  t.column_names = {"id", "body", "\"Data\""};
  t.long_columns = {{1, false}, {2, true}};
  t.toast_bytes = 16384;
  EXPECT_TRUE(reads_long_values_apart(t, 4 << 20));
  EXPECT_FALSE(reads_long_values_apart(t, 8 << 20)) << "a TOAST too small for a value of 8 MiB";
  EXPECT_EQ(copy_query(t, PageRange{10, std::nullopt}, 4 << 20),
            "COPY (SELECT CASE WHEN GREATEST(pg_catalog.octet_length(body), "
            "pg_catalog.octet_length(\"Data\")) > 4194304 THEN ctid END, id, CASE WHEN "
            "pg_catalog.octet_length(body) > 4194304 THEN NULL ELSE body END, CASE WHEN "
            "pg_catalog.octet_length(\"Data\") > 4194304 THEN NULL ELSE \"Data\" END FROM ONLY "
            "public.doc WHERE ctid >= '(10,0)'::tid) TO stdout;");
  t.long_columns.clear();
  EXPECT_FALSE(reads_long_values_apart(t, 4 << 20)) << "no bytea, text or varchar column";
}

PgTable table_of(const std::string& name, std::uint64_t pages) {
  PgTable t;
  t.qualified = "public." + name;
  t.pages = pages;
  t.data_bytes = pages * 8192;
  return t;
}

TEST(CopyPlan, SlicesOnlyBigTablesAndCoversEveryPage) {
  auto items = plan_copy_items({table_of("small", 16), table_of("big", 100)}, 8192, 4 * 8192);
  // small: 16 pages = 4 slices' worth, not more: whole, and first (biggest).
  // big: 25 slices of 4 pages, in page order, the last one open-ended.
  ASSERT_EQ(items.size(), 26u);
  EXPECT_EQ(items.front().table, "public.small");
  EXPECT_TRUE(items.front().slice.empty());
  for (std::size_t i = 1; i < items.size(); ++i) {
    EXPECT_EQ(items[i].table, "public.big");
    EXPECT_EQ(items[i].estimated_bytes, 4u * 8192);
    PageRange r = parse_slice(items[i].slice);
    EXPECT_EQ(r.first, (i - 1) * 4);
    EXPECT_EQ(r.end.has_value(), i + 1 < items.size());
  }
}

TEST(CopyPlan, SlicesOnHeapPlusToastBytes) {
  // 10 heap pages but 100 slices' worth of data in TOAST: one page per slice.
  PgTable toasted = table_of("toasted", 10);
  toasted.data_bytes = 100 * 4 * 8192;
  auto items = plan_copy_items({toasted}, 8192, 4 * 8192);
  ASSERT_EQ(items.size(), 10u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    PageRange r = parse_slice(items[i].slice);
    EXPECT_EQ(r.first, i);
    EXPECT_EQ(items[i].estimated_bytes, 10u * 4 * 8192);
  }
  // A one-page table is never sliced, whatever its TOAST holds.
  PgTable one = table_of("one", 1);
  one.data_bytes = std::uint64_t{1} << 40;
  EXPECT_EQ(plan_copy_items({one}, 8192, 8192).size(), 1u);
}

TEST(CopyPlan, NeverExceedsTheSliceBudget) {
  auto items = plan_copy_items({table_of("huge", 100'000'000)}, 8192, 8192);
  EXPECT_LE(items.size(), kMaxSlices);
  EXPECT_GT(items.size(), kMaxSlices / 2);
}

TEST(LargeObjectPlan, ItemsOfAThousandObjectsCoverEveryOid) {
  std::vector<std::uint32_t> oids;
  for (std::uint32_t oid = 20000; oid < 22500; ++oid) oids.push_back(oid);
  auto items = plan_large_object_items(oids, 2500 * 100);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(parse_oid_range(items[0].slice), (OidRange{20000, 20999}));
  EXPECT_EQ(parse_oid_range(items[1].slice), (OidRange{21000, 21999}));
  EXPECT_EQ(parse_oid_range(items[2].slice), (OidRange{22000, 22499}));
  EXPECT_EQ(items[0].estimated_bytes, 100000u);
  EXPECT_EQ(items[2].estimated_bytes, 50000u);
  for (const auto& item : items) EXPECT_EQ(item.table, kLargeObjectsTable);
  EXPECT_TRUE(plan_large_object_items({}, 0).empty());
}

TEST(LargeObjectPlan, RangeTextRoundTripsAndRejectsOtherText) {
  EXPECT_EQ(format_oid_range({1, 4294967295u}), "oids 1-4294967295");
  EXPECT_EQ(parse_oid_range("oids 1-4294967295"), (OidRange{1, 4294967295u}));
  for (const char* bad : {"", "oids 5-4", "oids -4", "oids 1-", "(1,2)", "oids 1-4294967296"})
    expect_error(ExitCode::failure, [&] { parse_oid_range(bad); });
}

// The workers read the objects as the snapshot saw them, in pieces of
// kLargeObjectPiece bytes; each chunk loads alone, in any order, once the
// objects exist (the pre-data's lo_create).
TEST(PgDriverDump, LargeObjectsAreReadInTheSnapshotInPiecesThatLoadInAnyOrder) {
  ScratchPgDatabase db("drv_blobs");
  ScratchPgDatabase target("drv_blobs_to");
  pg_exec(db.name(),
          "SELECT pg_catalog.lo_from_bytea(9001, 'before');"
          "SELECT pg_catalog.lo_from_bytea(9002, decode(repeat('0123456789abcdef', 40000), "
          "'hex'))");  // 320,000 bytes: three pieces
  auto dump = PgDriver().open_dump(url_of(db.name()), {});
  auto items = dump->plan(1 << 20);
  pg_exec(
      db.name(),
      "SELECT pg_catalog.lo_put(9001, 0, 'AFTER!'); SELECT pg_catalog.lo_from_bytea(9003, 'x')");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].slice, "oids 9001-9002");
  auto session = std::move(dump->share(1).front());
  CollectingSink sink(100000);
  session->dump(items[0], sink);
  ASSERT_GE(sink.chunks.size(), 3u);
  std::uint64_t objects = 0;
  for (const auto& c : sink.chunks) {
    objects += c.rows;
    EXPECT_EQ(c.table, kLargeObjectsTable);
    EXPECT_EQ(c.sql.rfind("--\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n", 0),
              0u);
    EXPECT_TRUE(c.sql.ends_with("\nCOMMIT;\n\n\n")) << c.sql.substr(c.sql.size() - 100);
    EXPECT_LT(c.sql.size(), 100000u + 2 * kLargeObjectPiece + 200);
  }
  EXPECT_EQ(objects, 2u);

  pg_exec(target.name(), "SELECT pg_catalog.lo_create(9001); SELECT pg_catalog.lo_create(9002)");
  test::ScratchDir dir;
  for (std::size_t i = sink.chunks.size(); i-- > 0;) {
    auto file = dir.path() / ("chunk" + std::to_string(i) + ".sql");
    std::ofstream(file) << "SET standard_conforming_strings = on;\n" << sink.chunks[i].sql;
    test::pg_load_sql_file(target.name(), file);
  }
  auto got = test::pg_large_objects(target.name());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got["9001"].substr(0, 32), test::pg_query(db.name(), "SELECT md5('before')")[0][0]);
  EXPECT_EQ(got["9002"], test::pg_large_objects(db.name())["9002"]);
}

}  // namespace
}  // namespace dbsnap::pg
