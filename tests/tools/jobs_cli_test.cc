// End-to-end tests of the job commands, run as a user runs dbsnap (the
// DBSNAP_BIN binary in a child process) against the PostgreSQL server
// tools/test.sh started (DBSNAP_TEST_PG_URL), a local volume and a local
// HTTP receiver standing in for webhooks and healthchecks.io:
//  - dbsnap run backs up each database of the job under its prefix with the
//    job in the manifest, applies its keep, pings the healthcheck and posts
//    the webhook, with no password in any of it;
//  - a failing database makes the run exit 50 naming it, after the others
//    were backed up and the failure was notified;
//  - a second run while one holds the job's lock exits 51 naming the holder;
//  - dbsnap prune --dry-run prints every decision and deletes nothing; prune
//    deletes the rest, keeps the newest completed snapshot, removes an old
//    failed one, and refuses to run without a policy;
//  - verify = "weekly" restore-tests a new snapshot (row counts and content
//    checksums), records it, and snapshots / servers show the result; a copy
//    whose content differs fails naming the table;
//  - dbsnap servers shows the config's server with its last backup, count and size.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/url.h"
#include "tests/support/cli.h"
#include "tests/support/common.h"
#include "tests/support/http_receiver.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string toml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + toml_string(item);
  return out + "]";
}

// The test server as a config file names it: "prod", its password only in
// the file; a local volume "local"; the job "nightly" written by write_job().
class JobsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerUrl url = ServerUrl::parse(pg_url());
    password_ = url.password;
    ASSERT_FALSE(password_.empty()) << "DBSNAP_TEST_PG_URL has no password";
    host_port_ = url.volume_name();
    server_url_ = fmt::format("postgres://{}@{}:{}/postgres", url.user, url.host, url.port);
    volume_ = scratch_.path() / "backups";
    config_ = scratch_.path() / "config.toml";
  }

  // Writes the config with job nightly: databases, then extra TOML lines.
  void write_job(const std::vector<std::string>& databases, const std::string& extra = "") {
    std::ofstream out(config_);
    out << "[servers.prod]\nurl = " << toml_string(server_url_)
        << "\npassword = " << toml_string(password_)
        << "\n\n[volumes.local]\nurl = " << toml_string(volume_.string())
        << "\n\n[jobs.nightly]\nserver = \"prod\"\n"
        << "volume = \"local\"\nprefix = \"eu/prod\"\ndatabases = " << toml_list(databases) << "\n"
        << extra;
    ASSERT_TRUE(out.good());
  }

  CommandResult dbsnap(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config_.string()});
    CommandResult r = run_dbsnap(args);
    EXPECT_FALSE(contains(r.out, password_)) << "password in stdout";
    EXPECT_FALSE(contains(r.err, password_)) << "password in stderr";
    return r;
  }

  // The manifests of database under the job's prefix, parsed.
  std::vector<json> manifests_of(const std::string& database) {
    std::vector<json> out;
    for (const auto& f : find_files(volume_ / "eu/prod" / host_port_ / database, ".manifest.json"))
      out.push_back(json::parse(read_file(f)));
    return out;
  }

  ScratchDir scratch_;
  std::string password_, host_port_, server_url_;
  fs::path volume_, config_;
};

std::vector<ReceivedRequest> requests_to(const HttpReceiver& receiver, const std::string& path) {
  std::vector<ReceivedRequest> out;
  for (const auto& r : receiver.requests())
    if (r.target.substr(0, r.target.find('?')) == path) out.push_back(r);
  return out;
}

TEST_F(JobsCli, RunBacksUpEachDatabaseAppliesKeepAndNotifiesWithoutSecrets) {
  ScratchPgDatabase a("run_a"), b("run_b");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 50)");
  pg_exec(b.name(), "CREATE TABLE u (id int); INSERT INTO u SELECT generate_series(1, 7)");
  HttpReceiver receiver;
  write_job({a.name(), b.name()}, "keep = { last = 1 }\non = \"always\"\nnotify = [" +
                                      toml_string(receiver.url("/hook")) + "]\nhealthcheck = " +
                                      toml_string(receiver.url("/hc/abc")) + "\n");
  CommandResult first = dbsnap({"run", "nightly"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later started_at second
  CommandResult second = dbsnap({"run", "nightly"});
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  EXPECT_TRUE(contains(second.out, "job nightly completed: 2 databases")) << second.out;
  EXPECT_TRUE(contains(second.out, "keep 1, remove 1")) << second.out;

  for (const auto& db : {a.name(), b.name()}) {
    std::vector<json> m = manifests_of(db);
    ASSERT_EQ(m.size(), 1u) << db << ": keep last 1 leaves one snapshot";
    EXPECT_EQ(m[0]["status"], "completed");
    EXPECT_EQ(m[0]["job"], "nightly");
    EXPECT_EQ(find_files(volume_ / "eu/prod" / host_port_ / db, ".sql.gz").size(), 1u);
  }
  EXPECT_FALSE(fs::exists(volume_ / "eu/prod/.locks/nightly.lock")) << "the lock outlived the run";
  // prune --job without VOLUME: the job's volume and keep; nothing left to remove.
  CommandResult pruned = dbsnap({"prune", "--job", "nightly", "--dry-run"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_TRUE(contains(pruned.out, host_port_ + "/" + a.name() + ": keep 1, would remove 0"))
      << pruned.out;

  std::vector<ReceivedRequest> hooks = requests_to(receiver, "/hook");
  ASSERT_EQ(hooks.size(), 2u) << "on = always: one webhook per run";
  json body = json::parse(hooks[1].body);
  EXPECT_EQ(body["job"], "nightly");
  EXPECT_EQ(body["status"], "completed");
  EXPECT_EQ(body["server"]["name"], "prod");
  ASSERT_EQ(body["databases"].size(), 2u);
  EXPECT_EQ(body["databases"][0]["database"], a.name());
  EXPECT_EQ(requests_to(receiver, "/hc/abc/start").size(), 2u);
  EXPECT_EQ(requests_to(receiver, "/hc/abc").size(), 2u);
  for (const auto& r : receiver.requests()) EXPECT_FALSE(contains(r.body, password_)) << r.target;
}

TEST_F(JobsCli, RunWithAFailingDatabaseExits50NamingItAfterBackingUpTheOthers) {
  ScratchPgDatabase a("run_ok");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  std::string missing = unique_name("run_missing");
  HttpReceiver receiver;
  write_job({missing, a.name()}, "notify = [" + toml_string(receiver.url("/hook")) +
                                     "]\nhealthcheck = " + toml_string(receiver.url("/hc")) + "\n");
  CommandResult r = dbsnap({"run", "nightly"});
  EXPECT_EQ(r.exit_code, kExitDatabasesFailed) << r.describe();
  EXPECT_TRUE(contains(r.err, "dbsnap: error: job nightly: 1 of 2 databases failed: " + missing))
      << r.err;

  std::vector<json> m = manifests_of(a.name());
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["status"], "completed");

  std::vector<ReceivedRequest> hooks = requests_to(receiver, "/hook");
  ASSERT_EQ(hooks.size(), 1u) << "on = failure: the failed run is notified";
  json body = json::parse(hooks[0].body);
  EXPECT_EQ(body["status"], "failed");
  EXPECT_EQ(body["databases"][0]["database"], missing);
  EXPECT_EQ(body["databases"][0]["status"], "failed");
  EXPECT_EQ(body["databases"][1]["status"], "completed");
  EXPECT_EQ(requests_to(receiver, "/hc/fail").size(), 1u);
  for (const auto& req : receiver.requests()) {
    EXPECT_FALSE(contains(req.body, password_)) << req.target;
    EXPECT_FALSE(contains(req.body, "://")) << "a URL in a notification: " << req.body;
  }
}

TEST_F(JobsCli, RunVerifiesTheNewSnapshotByARestoreAtTheJobsCadence) {
  ScratchPgDatabase a("run_verify");
  pg_exec(a.name(),
          "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 42);"
          "CREATE TABLE u (id int); INSERT INTO u VALUES (1), (2)");
  // On the job's own server; zstd snapshots restore-tested through their codec.
  write_job({a.name()}, "verify = \"weekly\"\ncompress = \"zstd:1\"\n");
  CommandResult first = dbsnap({"run", "nightly"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  EXPECT_TRUE(contains(first.out, a.name() + ": verified: restored into ")) << first.out;
  EXPECT_TRUE(contains(first.out, "counts and 2 content checksums match, dropped")) << first.out;

  fs::path dir = volume_ / "eu/prod" / host_port_ / a.name();
  std::vector<fs::path> records = find_files(dir, ".verify.json");
  ASSERT_EQ(records.size(), 1u);
  json record = json::parse(read_file(records[0]));
  EXPECT_EQ(record["status"], "ok");
  EXPECT_EQ(record["tables"], 2);
  EXPECT_EQ(record["rows"], 44);
  EXPECT_EQ(record["checksums"], 2);
  std::string stem = records[0].filename().string();
  stem.resize(stem.size() - std::string(".verify.json").size());
  EXPECT_TRUE(fs::exists(dir / (stem + ".manifest.json"))) << "the record sits beside its snapshot";
  EXPECT_TRUE(fs::exists(dir / (stem + ".sql.zst"))) << "the job's compress = \"zstd:1\"";

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CommandResult second = dbsnap({"run", "nightly"});
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  EXPECT_FALSE(contains(second.out, "verified")) << "verified again within 7 days: " << second.out;
  EXPECT_EQ(find_files(dir, ".manifest.json").size(), 2u);
  EXPECT_EQ(find_files(dir, ".verify.json").size(), 1u);

  // snapshots: the checked one "ok", the newer one "-"; servers: the last check.
  CommandResult listed = dbsnap({"snapshots", (volume_ / "eu/prod").string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  json snapshots = json::parse(listed.out);
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots[0]["verified"], "-");
  EXPECT_EQ(snapshots[1]["verified"], "ok");
  EXPECT_EQ(snapshots[1]["verified_at"], record["verified_at"]);
  CommandResult table = dbsnap({"snapshots", (volume_ / "eu/prod").string()});
  EXPECT_TRUE(contains(table.out, "VERIFIED")) << table.out;
  CommandResult servers = dbsnap({"servers", "--json"});
  ASSERT_EQ(servers.exit_code, 0) << servers.describe();
  json rows = json::parse(servers.out);
  ASSERT_EQ(rows.size(), 1u) << servers.out;
  EXPECT_EQ(rows[0]["last_verify_status"], "ok");
  EXPECT_EQ(rows[0]["last_verified_at"], record["verified_at"]);
}

// A scratch copy whose content differs from what the backup recorded (here
// the recorded checksum of one table is altered, as if the restore had
// changed one value of it) fails verification naming the table, with both
// row counts and checksums.
TEST_F(JobsCli, VerifyOfACopyWhoseContentDiffersFailsNamingTheTable) {
  ScratchPgDatabase a("verify_tamper");
  pg_exec(a.name(),
          "CREATE TABLE t (id int, note text); INSERT INTO t SELECT i, 'n' || i FROM "
          "generate_series(1, 42) i; CREATE TABLE u (id int); INSERT INTO u VALUES (1)");
  write_job({a.name()});
  ASSERT_EQ(dbsnap({"run", "nightly", "--quiet"}).exit_code, 0);
  std::vector<fs::path> found =
      find_files(volume_ / "eu/prod" / host_port_ / a.name(), ".manifest.json");
  ASSERT_EQ(found.size(), 1u);
  json manifest = json::parse(read_file(found[0]));
  std::string recorded = manifest["checksums"]["public.t"].get<std::string>();
  ASSERT_EQ(recorded.size(), 16u);
  manifest["checksums"]["public.t"] =
      recorded == "0000000000000001" ? "0000000000000002" : "0000000000000001";
  std::ofstream(found[0]) << manifest.dump(1);

  CommandResult r = dbsnap({"verify", found[0].string(), "--restore-into", "prod"});
  EXPECT_EQ(r.exit_code, 40) << r.describe();
  EXPECT_TRUE(contains(r.err,
                       "content differs from the snapshot for 1 table: table public.t "
                       "differs: 42 rows, checksum 000000000000000"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "; 42 rows, checksum " + recorded + " restored")) << r.err;
  EXPECT_FALSE(contains(r.err, "public.u")) << r.err;
}

TEST_F(JobsCli, RunWhoseVolumeCannotBeWrittenExits30AndIsNotified) {
  ScratchPgDatabase a("run_novol");
  HttpReceiver receiver;
  std::ofstream(volume_.string()) << "a file where the volume's directory should be";
  write_job({a.name()}, "notify = [" + toml_string(receiver.url("/hook")) + "]\n");
  CommandResult r = dbsnap({"run", "nightly"});
  EXPECT_EQ(r.exit_code, 30) << r.describe();
  EXPECT_TRUE(contains(r.err, "dbsnap: error: job nightly failed: volume: ")) << r.err;
  std::vector<ReceivedRequest> hooks = requests_to(receiver, "/hook");
  ASSERT_EQ(hooks.size(), 1u) << "a run that could not start is a failed run";
  json body = json::parse(hooks[0].body);
  EXPECT_EQ(body["status"], "failed");
  EXPECT_TRUE(body["databases"].empty());
}

TEST_F(JobsCli, SecondRunWhileTheFirstHoldsTheLockExits51NamingIt) {
  ScratchPgDatabase a("run_lock");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  HttpReceiver receiver;
  // The first run's start ping is answered 503 twice: its retries (1 s, then
  // 2 s) keep that run, and its lock, alive for 3 s at least.
  receiver.fail_next(2, 503);
  write_job({a.name()}, "healthcheck = " + toml_string(receiver.url("/hc")) + "\n");
  BackgroundProcess first(
      {dbsnap_bin().string(), "run", "nightly", "--quiet", "--config", config_.string()});
  fs::path lock = volume_ / "eu/prod/.locks/nightly.lock";
  ASSERT_TRUE(wait_until([&] { return fs::exists(lock); }, std::chrono::seconds(20)));
  CommandResult second = dbsnap({"run", "nightly"});
  EXPECT_EQ(second.exit_code, kExitJobLocked) << second.describe();
  EXPECT_TRUE(contains(second.err, "job nightly is already running (host ")) << second.err;
  EXPECT_TRUE(contains(second.err, fmt::format(" pid {} ", first.pid()))) << second.err;
  EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;

  auto done = first.wait_for(std::chrono::seconds(60));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->exit_code, 0) << done->describe();
  EXPECT_FALSE(fs::exists(lock));
  EXPECT_EQ(manifests_of(a.name()).size(), 1u) << "the refused run backed nothing up";
}

// Writes a failed copy of manifest file, started long ago, beside it.
fs::path write_old_failed_copy(const fs::path& manifest) {
  json m = json::parse(read_file(manifest));
  m["status"] = "failed";
  m["failure"] = "made by the test";
  m["started_at"] = "2026-01-01T00:00:00Z";
  m["finished_at"] = "2026-01-01T00:00:01Z";
  m["data_object"] = "20260101T000000Z-dead01.sql.gz";
  fs::path copy = manifest.parent_path() / "20260101T000000Z-dead01.manifest.json";
  std::ofstream(copy) << m.dump();
  return copy;
}

TEST_F(JobsCli, PruneDryRunShowsEveryDecisionThenPruneKeepsOnlyTheNewest) {
  ScratchPgDatabase a("prune");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  write_job({a.name()});
  fs::path dir = volume_ / "eu/prod" / host_port_ / a.name();
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CommandResult r = dbsnap({"backup", "prod", "--database", a.name(), "--to",
                              (volume_ / "eu/prod").string(), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
  }
  std::vector<fs::path> manifests = find_files(dir, ".manifest.json");
  ASSERT_EQ(manifests.size(), 3u);
  fs::path newest = manifests.back();  // stems sort by start time
  write_old_failed_copy(newest);
  std::string oldest = manifests.front().string();
  oldest.resize(oldest.size() - std::string(".manifest.json").size());
  std::ofstream(oldest + ".verify.json") << "{}";  // goes with its snapshot
  std::string newest_stem = newest.filename().string();
  newest_stem.resize(newest_stem.size() - std::string(".manifest.json").size());

  CommandResult none = dbsnap({"prune", "local"});
  EXPECT_EQ(none.exit_code, kExitUsage) << none.describe();
  EXPECT_TRUE(contains(none.err, "prune needs a policy")) << none.err;

  std::vector<std::string> before = list_tree(volume_);
  CommandResult dry = dbsnap({"prune", "local", "--keep-last", "1", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.describe();
  EXPECT_EQ(list_tree(volume_), before) << "a dry run deleted something";
  EXPECT_TRUE(contains(dry.out, host_port_ + "/" + a.name() + ": keep 1, would remove 3"))
      << dry.out;
  EXPECT_TRUE(contains(dry.out, "keep         " + newest_stem + "  completed    last")) << dry.out;
  EXPECT_TRUE(contains(dry.out,
                       "would remove 20260101T000000Z-dead01  failed       unfinished, "
                       "older than 1 day"))
      << dry.out;
  EXPECT_TRUE(contains(dry.out, "would remove 3 of 4 snapshots")) << dry.out;

  CommandResult real = dbsnap({"prune", "local", "--keep-last", "1", "--json"});
  ASSERT_EQ(real.exit_code, 0) << real.describe();
  json out = json::parse(real.out);
  EXPECT_EQ(out["removed"], 3);
  ASSERT_EQ(out["snapshots"].size(), 4u);
  EXPECT_EQ(list_tree(dir),
            (std::vector<std::string>{newest_stem + ".manifest.json", newest_stem + ".sql.gz"}));

  // The newest completed snapshot survives even a policy that keeps one
  // snapshot per year, run again: nothing more goes.
  CommandResult again = dbsnap({"prune", "local", "--keep-yearly", "1", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_EQ(json::parse(again.out)["removed"], 0);
  EXPECT_EQ(find_files(dir, ".sql.gz").size(), 1u);
}

TEST_F(JobsCli, ServersShowsTheConfigServerWithItsLastBackupCountAndSize) {
  ScratchPgDatabase a("servers");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)");
  write_job({a.name()});
  CommandResult run1 = dbsnap({"run", "nightly", "--quiet"});
  ASSERT_EQ(run1.exit_code, 0) << run1.describe();
  std::vector<json> m = manifests_of(a.name());
  ASSERT_EQ(m.size(), 1u);

  CommandResult r = dbsnap({"servers", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json servers = json::parse(r.out);
  ASSERT_EQ(servers.size(), 1u) << r.out;
  const json& s = servers[0];
  EXPECT_EQ(s["server"], host_port_);
  EXPECT_EQ(s["names"], json::array({"prod"}));
  EXPECT_EQ(s["kind"], "postgres");
  EXPECT_EQ(s["snapshots"], 1);
  EXPECT_EQ(s["size"], m[0]["size"]);
  EXPECT_EQ(s["last_backup_at"], m[0]["started_at"]);
  EXPECT_EQ(s["last_status"], "completed");
  EXPECT_EQ(s["last_database"], a.name());

  CommandResult text = dbsnap({"servers"});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_TRUE(contains(text.out, host_port_ + " ")) << text.out;
  EXPECT_TRUE(contains(text.out, " prod ")) << text.out;
  EXPECT_TRUE(contains(text.out, "completed")) << text.out;
}

}  // namespace
}  // namespace dbsnap::test
