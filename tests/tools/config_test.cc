// End-to-end tests of the config file (README "Config file"), run as a user
// runs dbsnap (the DBSNAP_BIN binary in a child process) against the
// PostgreSQL server tools/test.sh started (DBSNAP_TEST_PG_URL):
//  - a server named in the file, whose password is only in the file, can be
//    pinged and backed up to a volume named in the file;
//  - an unknown name and a malformed file are usage errors (exit 2) in one
//    line that names the file;
//  - the file's password appears in no output and in no manifest.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

// DBSNAP_TEST_PG_URL (scheme://user:password@host:port/db) split into the URL
// without its password and the password (percent-escapes decoded).
struct SplitUrl {
  std::string url_without_password;
  std::string password;
};

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

SplitUrl split_password(const std::string& url) {
  auto scheme_end = url.find("://");
  auto at = url.find('@', scheme_end);
  auto colon = url.find(':', scheme_end + 3);
  if (scheme_end == std::string::npos || at == std::string::npos || colon == std::string::npos ||
      colon > at)
    throw std::runtime_error("DBSNAP_TEST_PG_URL has no user:password@");
  return {url.substr(0, colon) + url.substr(at),
          percent_decode(url.substr(colon + 1, at - colon - 1))};
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

int line_count(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = unique_name("config");
    pg_create_database(db_);
    pg_exec(db_,
            "CREATE TABLE t (id int PRIMARY KEY, v text);"
            "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 100) g;");
    SplitUrl split = split_password(url_with_database(pg_url(), db_));
    url_ = split.url_without_password;
    password_ = split.password;
    ASSERT_FALSE(password_.empty());
    volume_dir_ = scratch_.path() / "backups";
    config_ = scratch_.path() / "config.toml";
  }
  void TearDown() override { pg_drop_database(db_); }

  // A config file naming the test server "prod" (password only in the file,
  // unless with_password is false) and the local volume "local".
  void write_config(bool with_password = true) {
    std::string text = "[servers.prod]\nurl = " + toml_string(url_) + "\n";
    if (with_password) text += "password = " + toml_string(password_) + "\n";
    text += "\n[volumes.local]\nurl = " + toml_string(volume_dir_.string()) + "\n";
    write_file(config_, text);
  }

  // Records a failure if the password shows up in r's output.
  void expect_no_password(const CommandResult& r) {
    EXPECT_EQ(r.out.find(password_), std::string::npos) << "password in stdout";
    EXPECT_EQ(r.err.find(password_), std::string::npos) << "password in stderr";
  }

  ScratchDir scratch_;
  std::string db_, url_, password_;
  fs::path volume_dir_, config_;
};

TEST_F(ConfigTest, NamedServerPingsAndBacksUpToNamedVolume) {
  write_config();
  CommandResult ping = run_dbsnap({"ping", "prod", "--config", config_.string()});
  ASSERT_EQ(ping.exit_code, 0) << ping.describe();
  EXPECT_NE(ping.out.find("backup:  yes"), std::string::npos) << ping.out;
  expect_no_password(ping);

  // --config before the command works too.
  CommandResult ping_first = run_dbsnap({"--config", config_.string(), "ping", "prod"});
  EXPECT_EQ(ping_first.exit_code, 0) << ping_first.describe();

  CommandResult backup =
      run_dbsnap({"backup", "prod", "--config", config_.string(), "--to", "local", "--jobs", "2"});
  ASSERT_EQ(backup.exit_code, 0) << backup.describe();
  expect_no_password(backup);
  EXPECT_FALSE(fs::exists(scratch_.path() / "local")) << "the volume name was taken as a path";
  auto manifests = find_files(volume_dir_, ".manifest.json");
  ASSERT_EQ(manifests.size(), 1u) << "no snapshot in the named volume " << volume_dir_;
  std::string manifest = read_file(manifests[0]);
  EXPECT_NE(manifest.find("\"completed\""), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find(password_), std::string::npos) << "password in the manifest";
  // A named server's snapshots are filed under its host-port, as with a URL.
  EXPECT_NE(manifests[0].string().find("127.0.0.1-"), std::string::npos) << manifests[0];

  CommandResult list = run_dbsnap(
      {"snapshots", "local", "--config", config_.string(), "--json", "--server", "prod"});
  ASSERT_EQ(list.exit_code, 0) << list.describe();
  EXPECT_NE(list.out.find(db_), std::string::npos) << list.out;
  expect_no_password(list);
}

TEST_F(ConfigTest, PasswordComesFromTheFile) {
  // The same file without the password: the server refuses the login, which
  // shows the successful runs above used the file's password.
  write_config(/*with_password=*/false);
  CommandResult r = run_dbsnap({"ping", "prod", "--config", config_.string()});
  EXPECT_EQ(r.exit_code, kExitAccessDenied) << r.describe();
}

TEST_F(ConfigTest, DbsnapConfigEnvironmentVariableNamesTheFile) {
  write_config();
  CommandResult r = run_shell("DBSNAP_CONFIG=" + shell_quote(config_.string()) + " " +
                              shell_quote(dbsnap_bin().string()) + " ping prod");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  expect_no_password(r);
}

TEST_F(ConfigTest, UnknownNameIsAUsageErrorInOneLine) {
  write_config();
  CommandResult r = run_dbsnap({"ping", "staging", "--config", config_.string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unknown server 'staging'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(config_.string()), std::string::npos) << r.err;
  expect_no_password(r);

  // A URL without its scheme is not echoed as a name: it may hold a password.
  std::string no_scheme = url_.substr(url_.find("://") + 3);
  no_scheme.insert(no_scheme.find('@'), ":" + password_);
  CommandResult url_like = run_dbsnap({"ping", no_scheme, "--config", config_.string()});
  EXPECT_EQ(url_like.exit_code, kExitUsage) << url_like.describe();
  EXPECT_EQ(line_count(url_like.err), 1) << url_like.err;
  expect_no_password(url_like);

  CommandResult backup =
      run_dbsnap({"backup", "staging", "--config", config_.string(), "--to", "local"});
  EXPECT_EQ(backup.exit_code, kExitUsage) << backup.describe();
  EXPECT_EQ(line_count(backup.err), 1) << backup.err;
}

TEST_F(ConfigTest, MalformedFileIsAUsageErrorNamingTheFile) {
  write_file(config_, "[servers.prod]\nurl = " + toml_string(url_) + "\npassword = " +
                          toml_string(password_) + "\n\n[volumes.local\nurl = \"x\"\n");
  CommandResult r = run_dbsnap({"ping", "prod", "--config", config_.string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(config_.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 5"), std::string::npos) << r.err;
  expect_no_password(r);

  // A misspelt key is caught too, naming its line.
  write_file(config_, "[servers.prod]\nurl = " + toml_string(url_) +
                          "\npasword = " + toml_string(password_) + "\n");
  CommandResult typo = run_dbsnap({"ping", "prod", "--config", config_.string()});
  EXPECT_EQ(typo.exit_code, kExitUsage) << typo.describe();
  EXPECT_NE(typo.err.find("line 3"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("pasword"), std::string::npos) << typo.err;
  expect_no_password(typo);

  // An explicit file that does not exist is an error, not silently ignored.
  CommandResult missing =
      run_dbsnap({"ping", "prod", "--config", (scratch_.path() / "nope.toml").string()});
  EXPECT_EQ(missing.exit_code, kExitUsage) << missing.describe();
  EXPECT_NE(missing.err.find("nope.toml"), std::string::npos) << missing.err;
}

// A [jobs] table: `dbsnap jobs` says the schedule in words with the next
// runs in UTC; the job's server is shown masked.
TEST_F(ConfigTest, JobsListsEachJobWithItsScheduleAndNextRuns) {
  write_config();
  std::string text = read_file(config_);
  text +=
      "\n[jobs.nightly]\nserver = \"prod\"\nvolume = \"local\"\nprefix = \"eu\"\n"
      "schedule = \"30 2 * * *\"\ntimezone = \"Europe/Paris\"\n"
      "keep = { last = 3, daily = 7, within = \"30d\" }\n";
  write_file(config_, text);
  CommandResult check = run_dbsnap({"check-config", "--config", config_.string()});
  EXPECT_EQ(check.exit_code, 0) << check.describe();
  EXPECT_NE(check.out.find("ok (1 servers, 1 volumes, 1 jobs)"), std::string::npos) << check.out;
  CommandResult jobs = run_dbsnap({"jobs", "--config", config_.string()});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.describe();
  EXPECT_NE(jobs.out.find("at 02:30 every day (Europe/Paris)"), std::string::npos) << jobs.out;
  EXPECT_NE(jobs.out.find("keep: last 3, daily 7, within 30d"), std::string::npos) << jobs.out;
  CommandResult json = run_dbsnap({"jobs", "--json", "--config", config_.string()});
  ASSERT_EQ(json.exit_code, 0) << json.describe();
  auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j.size(), 1u);
  ASSERT_EQ(j[0]["next_runs"].size(), 3u);
  // 02:30 in Paris is 01:30 UTC in winter and 00:30 in summer.
  for (const auto& run : j[0]["next_runs"]) {
    std::string t = run.get<std::string>();
    EXPECT_TRUE(t.ends_with("T01:30:00Z") || t.ends_with("T00:30:00Z")) << t;
  }
  expect_no_password(jobs);
  expect_no_password(json);
}

// check-config lists every problem at once, in line order, exit 2; any other
// command stops at the first and counts the rest.
TEST_F(ConfigTest, CheckConfigListsEveryProblemWithItsLine) {
  write_file(config_, "[servers.prod]\nurl = " + toml_string(url_) +
                          "\npassword = " + toml_string(password_) +
                          "\n[jobs.nightly]\n"
                          "server = \"prdo\"\n"                        // line 5
                          "volume = \"nowhere\"\n"                     // line 6
                          "schedule = \"61 2 * * *\"\n"                // line 7
                          "keep = { daily = -1, within = \"30x\" }\n"  // line 8
                          "notify = [\"ftp://hooks\"]\n"               // line 9
                          "colour = \"blue\"\n");                      // line 10
  CommandResult r = run_dbsnap({"check-config", "--config", config_.string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_EQ(line_count(r.err), 7) << r.err;
  const char* expected[] = {
      "line 5: jobs.nightly: server 'prdo' is not in [servers]",
      "line 6: jobs.nightly: volume 'nowhere' is not in [volumes]",
      "line 7: jobs.nightly: schedule \"61 2 * * *\": minute 61 is out of 0-59",
      "line 8: jobs.nightly.keep.daily must be a whole number",
      "line 8: jobs.nightly.keep.within must be a duration",
      "line 9: jobs.nightly.notify: each webhook must be an http",
      "line 10: unknown key 'colour' in [jobs.nightly]"};
  std::size_t at = 0;
  for (const char* want : expected) {
    std::size_t found = r.err.find(want, at);
    EXPECT_NE(found, std::string::npos) << "missing or out of order: " << want << "\n" << r.err;
    if (found != std::string::npos) at = found;
  }
  expect_no_password(r);
  CommandResult ping = run_dbsnap({"ping", "prod", "--config", config_.string()});
  EXPECT_EQ(ping.exit_code, kExitUsage) << ping.describe();
  EXPECT_EQ(line_count(ping.err), 1) << ping.err;
  EXPECT_NE(ping.err.find("(and 6 more problems: dbsnap check-config lists them all)"),
            std::string::npos)
      << ping.err;
}

TEST_F(ConfigTest, CheckConfigNamesABadVerifyServerAndCadence) {
  write_file(config_, "[servers.prod]\nurl = " + toml_string(url_) +
                          "\npassword = " + toml_string(password_) +
                          "\n[volumes.local]\nurl = " + toml_string(volume_dir_.string()) +
                          "\n[jobs.nightly]\nserver = \"prod\"\nvolume = \"local\"\n"
                          "verify_server = \"scratch\"\n"  // line 9
                          "verify = \"fortnightly\"\n"     // line 10
                          "compress = \"lz4\"\n");         // line 11
  CommandResult r = run_dbsnap({"check-config", "--config", config_.string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_EQ(line_count(r.err), 3) << r.err;
  EXPECT_NE(r.err.find("line 9: jobs.nightly: verify_server 'scratch' is not in [servers] and "
                       "not a URL"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 10: jobs.nightly: verify \"fortnightly\" is not \"always\", "
                       "\"daily\", \"weekly\", \"monthly\" or \"<N>d\""),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 11: jobs.nightly.compress: 'lz4' is not [gzip:]0..12 or zstd"),
            std::string::npos)
      << r.err;
  expect_no_password(r);
}

}  // namespace
}  // namespace dbsnap::test
