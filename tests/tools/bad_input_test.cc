// Bad input tried as a new user would (issue 9, item 6): a MySQL server that
// accepts TCP but never greets, a .sql.gz that is not gzip, and a backup whose
// process died while its manifest said "running".
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/common.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

// A TCP socket on 127.0.0.1 that listens and never speaks: the kernel
// completes the handshake (backlog), nobody ever writes a greeting.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(SilentServer, MysqlBackupTimesOutWithExit12) {
  SilentServer server;
  ScratchDir volume;
  std::string url =
      "mysql://u:secret@127.0.0.1:" + std::to_string(server.port()) + "/db?connect-timeout=2";
  auto start = std::chrono::steady_clock::now();
  auto r = run_dbsnap({"backup", url, "--to", volume.path().string()});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 12) << r.describe();
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret"), std::string::npos) << "the password is shown: " << r.err;
  EXPECT_LT(took, std::chrono::seconds(30)) << "the timeout was not applied to the greeting";
  EXPECT_TRUE(find_files(volume.path(), ".json").empty()) << "a manifest was written";
}

TEST(SilentServer, PostgresBackupTimesOutWithExit12) {
  SilentServer server;
  ScratchDir volume;
  std::string url =
      "postgres://u:secret@127.0.0.1:" + std::to_string(server.port()) + "/db?connect_timeout=2";
  auto r = run_dbsnap({"backup", url, "--to", volume.path().string()});
  EXPECT_EQ(r.exit_code, 12) << r.describe();
}

fs::path write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

bool pg_database_exists(const std::string& name) {
  return !pg_query("postgres", "SELECT 1 FROM pg_database WHERE datname = '" + name + "'").empty();
}

bool my_database_exists(const std::string& name) {
  return !my_query("",
                   "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + name + "'")
              .empty();
}

TEST(NotGzip, PlainTextNamedSqlGzIsRefusedBeforeThePostgresTargetIsCreated) {
  ScratchDir dir;
  for (std::string bytes :
       {std::string("CREATE TABLE t (id int);\n"), std::string(), std::string("\x1f", 1)}) {
    fs::path file = write_file(dir.path() / "dump.sql.gz", bytes);
    std::string name = unique_name("notgz");
    auto r = run_dbsnap({"restore", file.string(), "--to", pg_url_for(name)});
    EXPECT_EQ(r.exit_code, 40) << r.describe();
    EXPECT_NE(r.err.find("not a gzip file"), std::string::npos) << r.err;
    EXPECT_FALSE(pg_database_exists(name)) << "the target database was created";
    pg_drop_database(name);
  }
}

TEST(NotGzip, PlainTextNamedSqlGzIsRefusedBeforeTheMysqlTargetIsCreated) {
  ScratchDir dir;
  fs::path file = write_file(dir.path() / "dump.sql.gz", "CREATE TABLE t (id int);\n");
  std::string name = unique_name("notgz");
  auto r = run_dbsnap({"restore", file.string(), "--to", my_url_for(name)});
  EXPECT_EQ(r.exit_code, 40) << r.describe();
  EXPECT_NE(r.err.find("not a gzip file"), std::string::npos) << r.err;
  EXPECT_FALSE(my_database_exists(name)) << "the target database was created";
  my_drop_database(name);
}

TEST(NotGzip, PlainSqlFileStillRestores) {
  ScratchDir dir;
  fs::path file = write_file(dir.path() / "dump.sql", "CREATE TABLE t (id int);\n");
  ScratchPgDatabase db("plainsql");
  auto r = run_dbsnap({"restore", file.string(), "--to", db.url()});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(pg_query(db.name(), "SELECT count(*) FROM t")[0][0], "0");
}

std::string status_listed(const fs::path& volume) {
  auto listed = run_dbsnap({"snapshots", volume.string(), "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();
  auto rows = nlohmann::json::parse(listed.out, nullptr, false);
  if (!rows.is_array() || rows.size() != 1) {
    ADD_FAILURE() << "expected one snapshot: " << listed.out;
    return "";
  }
  return rows[0].value("status", "");
}

TEST(Interrupted, RunningManifestOfADeadProcessIsListedAsInterrupted) {
  ScratchPgDatabase db("interrupted");
  pg_exec(db.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  ScratchDir volume;
  auto r = run_dbsnap({"backup", db.url(), "--to", volume.path().string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto manifests = find_files(volume.path(), ".manifest.json");
  ASSERT_EQ(manifests.size(), 1u);
  auto j = nlohmann::ordered_json::parse(read_file(manifests[0]));
  // The backup recorded who wrote it.
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(j.value("host", ""), std::string(host));
  EXPECT_GT(j.value("pid", 0), 0);
  EXPECT_FALSE(j.value("heartbeat_at", "").empty());
  EXPECT_EQ(status_listed(volume.path()), "completed");

  // As a kill -9 leaves it: still "running", its process gone.
  j["status"] = "running";
  j["pid"] = dead_pid();
  write_file(manifests[0], j.dump(1));
  EXPECT_EQ(status_listed(volume.path()), "interrupted");

  // A live process with a fresh heartbeat is still running.
  j["pid"] = getpid();
  write_file(manifests[0], j.dump(1));
  EXPECT_EQ(status_listed(volume.path()), "running");

  // On another host, only the heartbeat tells: an hour old means gone.
  j["host"] = "some-other-host";
  j["heartbeat_at"] = "2020-01-01T00:00:00Z";
  write_file(manifests[0], j.dump(1));
  EXPECT_EQ(status_listed(volume.path()), "interrupted");
}

}  // namespace
}  // namespace dbsnap::test
