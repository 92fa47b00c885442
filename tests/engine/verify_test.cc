// Each check of verify_snapshot (engine/verify.cc) triggered for real: a
// dbsnap backup of a small PostgreSQL database, copied per test, whose data
// file or manifest is then tampered with, checked with `dbsnap verify` (exit
// 40, one line per problem, then the summary) and, where the manifest itself
// is refused, with `dbsnap restore` too. Restore's row-count comparison with
// the manifest is triggered the same way.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// One table of 20000 rows: about 15 data chunks of 64 KiB of SQL.
class VerifyChecks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_.run([] {
      source_ = new ScratchPgDatabase("verify_src");
      pg_exec(source_->name(),
              "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, "
              "md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 20000) i");
      volume_ = new ScratchDir();
      manifest_ = backup_snapshot(source_->url(), *volume_);
    });
  }
  static void TearDownTestSuite() {
    delete volume_;
    delete source_;
  }

  // A private copy of the snapshot for this test to tamper with.
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(setup_.check());
    fs::copy(volume_->path(), copy_.path(), fs::copy_options::recursive);
    manifest_file_ = copy_.path() / fs::relative(manifest_, volume_->path());
    std::string name = manifest_file_.string();
    stem_ = name.substr(0, name.size() - std::string(".manifest.json").size());
    data_file_ = stem_ + ".sql.gz";
    manifest_json_ = json::parse(read_file(manifest_file_));
    ASSERT_EQ(manifest_json_.value("status", ""), "completed");
    ASSERT_GT(data_chunks().size(), 5u) << "the test needs several data chunks";
  }

  // Indices of the manifest's data chunks.
  std::vector<std::size_t> data_chunks() const {
    std::vector<std::size_t> found;
    const json& chunks = manifest_json_.at("chunks");
    for (std::size_t i = 0; i < chunks.size(); ++i)
      if (chunks[i].value("section", "") == "data") found.push_back(i);
    return found;
  }

  void write_manifest() const { std::ofstream(manifest_file_) << manifest_json_.dump(2); }

  // `dbsnap verify` of the copy: exit 40, the problems (one "dbsnap: <problem>"
  // line each, in order) and then the summary naming their number. Returns
  // the problems.
  std::vector<std::string> expect_damaged() const {
    CommandResult r = run_dbsnap({"verify", stem_});
    EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
    EXPECT_EQ(r.out, "");
    std::vector<std::string> lines;
    for (std::size_t pos = 0, nl; pos < r.err.size(); pos = nl + 1) {
      nl = r.err.find('\n', pos);
      if (nl == std::string::npos) nl = r.err.size();
      lines.push_back(r.err.substr(pos, nl - pos));
    }
    if (lines.empty()) return {};
    std::string summary = lines.back();
    lines.pop_back();
    std::size_t n = lines.size();
    EXPECT_EQ(summary, "dbsnap: error: snapshot '" + stem_ + "' is damaged: " + std::to_string(n) +
                           (n == 1 ? " problem" : " problems") + " found");
    std::vector<std::string> problems;
    for (const auto& line : lines) {
      EXPECT_EQ(line.rfind("dbsnap: ", 0), 0u) << line;
      problems.push_back(line.substr(std::string("dbsnap: ").size()));
    }
    return problems;
  }

  static bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
  }

  static inline SuiteSetup setup_;
  static inline ScratchPgDatabase* source_ = nullptr;
  static inline ScratchDir* volume_ = nullptr;
  static inline fs::path manifest_;

  ScratchDir copy_;
  fs::path manifest_file_, data_file_;
  std::string stem_;
  json manifest_json_;
};

TEST_F(VerifyChecks, TheUntouchedCopyPasses) {
  CommandResult r = run_dbsnap({"verify", stem_});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, ": ok: ")) << r.out;
}

// Two data chunks listed in the wrong order: each entry still describes its
// own bytes (CRC, size), but the list no longer tiles the file.
TEST_F(VerifyChecks, ChunksListedOutOfOrderDoNotTileTheFile) {
  std::size_t i = data_chunks()[2];
  json& chunks = manifest_json_.at("chunks");
  std::swap(chunks[i], chunks[i + 1]);
  write_manifest();
  auto problems = expect_damaged();
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  std::string expected_start = "data chunk " + std::to_string(i + 1) + " of ";
  EXPECT_EQ(problems[0].rfind(expected_start, 0), 0u) << problems[0];
  EXPECT_TRUE(contains(problems[0], "starts at byte " + chunks[i].at("offset").dump() +
                                        ", the previous chunk ends at " +
                                        chunks[i + 1].at("offset").dump() +
                                        ": the manifest does not describe the file"))
      << problems[0];
}

// A chunk left out of the manifest: a gap between two chunks.
TEST_F(VerifyChecks, AChunkMissingFromTheManifestLeavesAGap) {
  std::size_t i = data_chunks()[3];
  json& chunks = manifest_json_.at("chunks");
  std::uint64_t gap_start = chunks[i].at("offset").get<std::uint64_t>();
  std::uint64_t gap_end = chunks[i + 1].at("offset").get<std::uint64_t>();
  chunks.erase(i);
  write_manifest();
  auto problems = expect_damaged();
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_TRUE(contains(problems[0], "starts at byte " + std::to_string(gap_end) +
                                        ", the previous chunk ends at " +
                                        std::to_string(gap_start)))
      << problems[0];
}

TEST_F(VerifyChecks, TrailingBytesAfterTheLastChunkAreCounted) {
  std::uint64_t size = fs::file_size(data_file_);
  { std::ofstream(data_file_, std::ios::binary | std::ios::app) << "trailing"; }
  auto problems = expect_damaged();
  ASSERT_EQ(problems.size(), 2u) << ::testing::PrintToString(problems);
  EXPECT_TRUE(contains(problems[0], "has " + std::to_string(size + 8) +
                                        " bytes, the manifest says " + std::to_string(size)))
      << problems[0];
  EXPECT_FALSE(contains(problems[0], "truncated")) << problems[0];
  EXPECT_TRUE(contains(problems[1], "sha256 of ")) << problems[1];
}

TEST_F(VerifyChecks, WrongDecompressedSizeIsNamedPerChunk) {
  std::size_t i = data_chunks()[1];
  json& chunk = manifest_json_.at("chunks")[i];
  std::uint64_t raw = chunk.at("raw_bytes").get<std::uint64_t>();
  chunk["raw_bytes"] = raw + 1;
  write_manifest();
  auto problems = expect_damaged();
  ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0].rfind("data chunk " + std::to_string(i + 1) + " of ", 0), 0u)
      << problems[0];
  EXPECT_TRUE(contains(problems[0], "decompresses to " + std::to_string(raw) +
                                        " bytes, the manifest says " + std::to_string(raw + 1)))
      << problems[0];

  // Restore reads the chunk the same way and stops on it.
  ScratchPgDatabase target("verify_raw_dst");
  CommandResult r = run_dbsnap({"restore", stem_, "--to", target.url(), "--quiet"});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
  EXPECT_TRUE(contains(r.err, "decompresses to")) << r.err;
}

// A manifest that is not "completed" is refused whole, by verify and restore.
TEST_F(VerifyChecks, ManifestThatIsNotCompletedIsRefused) {
  for (auto [status, failure] :
       {std::pair<std::string, std::string>{"running", ""}, {"failed", "interrupted (SIGINT)"}}) {
    SCOPED_TRACE(status);
    manifest_json_["status"] = status;
    if (!failure.empty()) manifest_json_["failure"] = failure;
    write_manifest();
    std::string expected = "is not a completed backup (status " + status +
                           (failure.empty() ? ")" : ": " + failure + ")");
    CommandResult v = run_dbsnap({"verify", stem_});
    EXPECT_EQ(v.exit_code, kExitVerifyFailed) << v.describe();
    EXPECT_TRUE(contains(v.err, expected)) << v.err;
    ScratchPgDatabase target("verify_status_dst");
    CommandResult r = run_dbsnap({"restore", stem_, "--to", target.url(), "--quiet"});
    EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
    EXPECT_TRUE(contains(r.err, expected)) << r.err;
    EXPECT_TRUE(pg_table_fingerprints(target.name()).empty()) << "restore created tables";
  }
}

// The manifest promises one row more than the data holds: the data restores,
// and then the row-count comparison fails with exit 40 naming the table.
TEST_F(VerifyChecks, RestoreWhoseRowCountDiffersFromTheManifestFails) {
  std::uint64_t rows = manifest_json_.at("tables").at("public.t").get<std::uint64_t>();
  ASSERT_EQ(rows, 20000u);
  manifest_json_["tables"]["public.t"] = rows + 1;
  write_manifest();
  std::string expected =
      "row counts differ from the manifest for 1 table: public.t has 20000 "
      "rows, the manifest says 20001";

  ScratchPgDatabase target("verify_rows_dst");
  CommandResult r = run_dbsnap({"restore", stem_, "--to", target.url()});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
  EXPECT_TRUE(contains(r.err, "MISMATCH (manifest: 20001)")) << r.err;
  EXPECT_TRUE(contains(r.err, "dbsnap: error: " + expected)) << r.err;
  EXPECT_EQ(pg_table_fingerprints(target.name()), pg_table_fingerprints(source_->name()))
      << "the data itself restores whole";

  CommandResult v = run_dbsnap({"verify", stem_, "--restore-into", pg_url_for("postgres")});
  EXPECT_EQ(v.exit_code, kExitVerifyFailed) << v.describe();
  EXPECT_TRUE(contains(v.err, "dbsnap: error: " + expected)) << v.err;
  auto at = v.out.find("dbsnap_verify_");
  ASSERT_NE(at, std::string::npos) << "verify should name its scratch database: " << v.out;
  std::string scratch = v.out.substr(at, std::string("dbsnap_verify_12345678").size());
  EXPECT_TRUE(
      pg_query("postgres", "SELECT 1 FROM pg_database WHERE datname = '" + scratch + "'").empty())
      << "verify --restore-into left its scratch database " << scratch;
}

}  // namespace
}  // namespace dbsnap::test
