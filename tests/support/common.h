// Test helpers shared by every suite: the servers tools/test.sh started, the
// dbsnap binary, child processes, scratch directories and names.
//
// Nothing here starts a server. Tests that need one read its URL from the
// environment (DBSNAP_TEST_PG_URL, DBSNAP_TEST_MY_URL); when it is missing they
// fail, never skip, so a green run always means the server tests ran.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap::test {

// The value of environment variable name, set by tools/test.sh. When unset or
// empty: records a gtest failure and throws std::runtime_error
// "<name> is not set: run tools/test.sh".
std::string required_env(const char* name);

// The server URLs from the environment, e.g.
// postgres://dbsnap:pw@127.0.0.1:20001/postgres and mysql://dbsnap:pw@127.0.0.1:20002/.
// When unset: records a gtest failure and throws std::runtime_error
// "DBSNAP_TEST_PG_URL is not set: run tools/test.sh".
std::string pg_url();
std::string my_url();

// url with its path (the database) replaced by database; the query string,
// if any, is kept. database must be URL-safe (unique_name() results are).
std::string url_with_database(std::string_view url, std::string_view database);

// The dbsnap binary under test (the build's DBSNAP_BIN).
std::filesystem::path dbsnap_bin();
// The project's source tree.
std::filesystem::path source_dir();

// The folder of the sample data sets (pagila/, sakila/, pg-regress/), from the
// environment: DBSNAP_DATASETS, which tools/test.sh always sets (by default to
// ../shared/datasets beside the project); empty when unset.
std::filesystem::path datasets_dir();

// Why a test of fixture cannot run here: nullopt for fixtures in the tree
// ("stress") and for a data set whose folder (datasets_dir() / fixture) exists;
// else one line naming DBSNAP_DATASETS, e.g. "needs data set pagila:
// /x/pagila is missing; set DBSNAP_DATASETS to a folder holding pagila/,
// sakila/, pg-regress/". tools/test.sh recognises such skips by "needs data set".
std::optional<std::string> missing_data_set(std::string_view fixture);

// Skips the current test (GTEST_SKIP, so the caller includes gtest) when
// missing_data_set(fixture) says why. Tests that need a data set call it first.
#define DBSNAP_SKIP_WITHOUT_DATA_SET(fixture)                                     \
  if (auto dbsnap_why = ::dbsnap::test::missing_data_set(fixture); !dbsnap_why) { \
  } else                                                                          \
    GTEST_SKIP() << *dbsnap_why

// A name unique across processes and runs, usable unquoted as a database name
// (lowercase letters, digits, '_', at most 63 bytes): "t_<tag>_<pid>_<n>_<random>".
std::string unique_name(std::string_view tag);

struct CommandResult {
  int exit_code = -1;  // the exit status; 128 + signal number when killed by a signal
  std::string out;     // everything the command wrote to stdout
  std::string err;     // everything it wrote to stderr

  // "exit 15; stderr: ..." for assertion messages.
  std::string describe() const;
};

// Runs argv[0] (searched in PATH) with argv, stdin from /dev/null, and waits for
// it, collecting stdout and stderr. Throws std::runtime_error if it cannot start.
CommandResult run(const std::vector<std::string>& argv);

// Runs script with `bash -o pipefail -c`, for pipelines and redirections.
CommandResult run_shell(const std::string& script);

// Quotes s for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);

// s as a TOML basic string ("..." with '"' and '\\' escaped), for config files.
std::string toml_string(std::string_view s);

// Runs `dbsnap args...`.
CommandResult run_dbsnap(const std::vector<std::string>& args);

// A fresh directory under $TMPDIR (default /tmp), removed with its contents
// when this object is destroyed, unless DBSNAP_TEST_KEEP is set (for debugging).
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Every regular file under dir whose name ends with suffix, sorted.
std::vector<std::filesystem::path> find_files(const std::filesystem::path& dir,
                                              std::string_view suffix);

// The whole file; throws std::runtime_error naming it if it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A pid that certainly names no process: a child that has exited and been reaped.
pid_t dead_pid();

// n deterministic pseudo-random bytes (mt19937_64 seeded with seed):
// incompressible test data, the same for the same seed.
std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed);

// True when haystack holds needle.
bool contains(std::string_view haystack, std::string_view needle);

// The exit codes the CLI promises (README "Exit codes"), written out: the
// contract itself, not read from engine/error.h under test.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 10;
inline constexpr int kExitUnknownHost = 11;
inline constexpr int kExitTimeout = 12;
inline constexpr int kExitAccessDenied = 13;
inline constexpr int kExitTls = 14;
inline constexpr int kExitDatabaseMissing = 15;
inline constexpr int kExitConnectionLost = 21;
inline constexpr int kExitIoError = 30;
inline constexpr int kExitVerifyFailed = 40;
inline constexpr int kExitDatabasesFailed = 50;
inline constexpr int kExitJobLocked = 51;
inline constexpr int kExitInterrupted = 130;

}  // namespace dbsnap::test
