// End-to-end tests of zstd snapshots (`backup --compress zstd[:LEVEL]`), run
// as a user runs dbsnap, against the PostgreSQL, MariaDB and RGW servers
// tools/test.sh started, for each dialect's stress fixture:
//  - the data object is <stem>.sql.zst, one zstd frame per chunk, that
//    `zstd -t` accepts and whose chunks `zstd -dc` reads alone; the manifest
//    says codec "zstd";
//  - `zstd -dc x.sql.zst | psql` (mariadb) and `dbsnap restore` give a
//    database equal to the source, as does the restore of a foreign .sql.zst
//    written by zstd(1), and of a zstd snapshot on S3;
//  - a damaged frame fails verify and restore with exit 40.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cli.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/s3_env.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct ZstdSnapshot {
  fs::path data, manifest;
};

// One dialect's stress fixture, backed up once with --compress zstd into a
// local directory (small chunks: tables span several frames) and once with
// zstd:1 to S3, for every test of the suite.
template <class Dialect>
class ZstdCli : public StressSourceSuite<Dialect, ZstdCli<Dialect>> {
 public:
  static constexpr const char* kTag = "zstd_src";
  static void prepare(const typename Dialect::Database& source) {
    volume_ = new ScratchDir();
    auto r = run_dbsnap({"backup", source.url(), "--to", volume_->path().string(), "--jobs", "2",
                         "--chunk-size", "16KiB", "--compress", "zstd", "--quiet"});
    if (r.exit_code != 0) throw std::runtime_error("zstd backup failed: " + r.describe());
    auto data = find_files(volume_->path(), ".sql.zst");
    auto manifests = find_files(volume_->path(), ".manifest.json");
    if (data.size() != 1 || manifests.size() != 1)
      throw std::runtime_error("expected one .sql.zst snapshot in " + volume_->path().string());
    snapshot_ = {data[0], manifests[0]};
    prefix_ = new S3Prefix("zstd");
    r = run_dbsnap_s3({"backup", source.url(), "--to", prefix_->url(), "--compress", "zstd:1",
                       "--chunk-size", "16KiB", "--quiet"},
                      prefix_->options());
    if (r.exit_code != 0) throw std::runtime_error("zstd backup to S3 failed: " + r.describe());
  }
  static void release() {
    delete prefix_;
    delete volume_;
    prefix_ = nullptr;
    volume_ = nullptr;
  }

 protected:
  void expect_same_as_source(const std::string& target) {
    Dialect::expect_same(this->source_->name(), target);
  }

  static inline ScratchDir* volume_ = nullptr;
  static inline S3Prefix* prefix_ = nullptr;
  static inline ZstdSnapshot snapshot_;
};
TYPED_TEST_SUITE(ZstdCli, Dialects, DialectName);

TYPED_TEST(ZstdCli, SnapshotIsOneZstdFramePerChunk) {
  const ZstdSnapshot& s = TestFixture::snapshot_;
  json m = json::parse(read_file(s.manifest));
  EXPECT_EQ(m.value("codec", ""), "zstd");
  EXPECT_EQ(m.at("options").value("compress", ""), "zstd:1");
  EXPECT_EQ(m.value("data_object", ""), s.data.filename().string());
  auto tested = run({"zstd", "-tq", s.data.string()});
  EXPECT_EQ(tested.exit_code, 0) << tested.describe();

  const std::string bytes = read_file(s.data);
  const json& chunks = m.at("chunks");
  ASSERT_GT(chunks.size(), 4u);
  ScratchDir pieces;
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const json& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i) + " " + c.dump());
    auto len = c.at("length").get<std::uint64_t>();
    ASSERT_EQ(c.at("offset").get<std::uint64_t>(), offset);
    ASSERT_LE(offset + len, bytes.size());
    std::string_view stored(bytes.data() + offset, len);
    uLong crc = ::crc32(0L, reinterpret_cast<const Bytef*>(stored.data()),
                        static_cast<uInt>(stored.size()));
    EXPECT_EQ(c.at("crc32").get<std::uint64_t>(), static_cast<std::uint64_t>(crc));
    fs::path piece = pieces.path() / ("chunk-" + std::to_string(i) + ".zst");
    std::ofstream(piece, std::ios::binary) << stored;
    auto alone = run({"zstd", "-dcq", piece.string()});
    ASSERT_EQ(alone.exit_code, 0) << "chunk does not decompress alone: " << alone.describe();
    EXPECT_EQ(alone.out.size(), c.at("raw_bytes").get<std::uint64_t>());
    offset += len;
  }
  EXPECT_EQ(offset, bytes.size());

  auto verified = run_dbsnap({"verify", s.data.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.describe();
  auto listed = run_dbsnap({"snapshots", TestFixture::volume_->path().string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  json rows = json::parse(listed.out);
  ASSERT_EQ(rows.size(), 1u) << listed.out;
  EXPECT_EQ(rows[0].value("status", ""), "completed");
}

TYPED_TEST(ZstdCli, StockClientLoadsZstdDcOutputIdentically) {
  typename TypeParam::Database target("zstd_stock");
  auto r = run_shell("zstd -dcq " + shell_quote(TestFixture::snapshot_.data.string()) + " | " +
                     TypeParam::client_command(target.name()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  this->expect_same_as_source(target.name());
}

TYPED_TEST(ZstdCli, RestoreWithFourJobsEqualsTheSource) {
  typename TypeParam::Database target("zstd_dst");
  auto r = run_dbsnap({"restore", TestFixture::snapshot_.manifest.string(), "--to", target.url(),
                       "--jobs", "4", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  this->expect_same_as_source(target.name());
}

TYPED_TEST(ZstdCli, ForeignZstdScriptWrittenByZstdRestores) {
  ScratchDir dir;
  fs::path foreign = dir.path() / "dump.sql.zst";
  // One frame of unknown size, as `pg_dump | zstd` writes.
  auto made = run_shell("zstd -dcq " + shell_quote(TestFixture::snapshot_.data.string()) +
                        " | zstd -q -9 -c > " + shell_quote(foreign.string()));
  ASSERT_EQ(made.exit_code, 0) << made.describe();
  typename TypeParam::Database target("zstd_foreign");
  auto r = run_dbsnap({"restore", foreign.string(), "--to", target.url(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  this->expect_same_as_source(target.name());
}

TYPED_TEST(ZstdCli, S3SnapshotVerifiesAndRestores) {
  S3Prefix& prefix = *TestFixture::prefix_;
  auto listed = run_dbsnap_s3({"snapshots", prefix.url(), "--json"}, prefix.options());
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  json rows = json::parse(listed.out);
  ASSERT_EQ(rows.size(), 1u) << listed.out;
  std::string stem_url = prefix.url() + "/" + rows[0]["snapshot"].get<std::string>();
  auto verified = run_dbsnap_s3({"verify", stem_url}, prefix.options());
  EXPECT_EQ(verified.exit_code, 0) << verified.describe();
  typename TypeParam::Database target("zstd_s3");
  auto r = run_dbsnap_s3({"restore", stem_url, "--to", target.url(), "--jobs", "2", "--quiet"},
                         prefix.options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  this->expect_same_as_source(target.name());
}

// A frame damaged before its CRC-32 was taken (the manifest agrees with the
// bytes): zstd's own checks catch it.
TYPED_TEST(ZstdCli, DamagedFrameFailsVerifyAndRestoreWithExit40) {
  ScratchDir copy;
  const ZstdSnapshot& s = TestFixture::snapshot_;
  std::string bytes = read_file(s.data);
  json m = json::parse(read_file(s.manifest));
  json& chunk = m.at("chunks").at(m.at("chunks").size() / 2);
  auto offset = chunk.at("offset").get<std::size_t>();
  auto length = chunk.at("length").get<std::size_t>();
  bytes[offset + length / 2] = static_cast<char>(bytes[offset + length / 2] ^ 0x20);
  chunk["crc32"] =
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(length));
  std::ofstream(copy.path() / s.data.filename(), std::ios::binary) << bytes;
  fs::path manifest = copy.path() / s.manifest.filename();
  std::ofstream(manifest) << m.dump(2);

  auto verified = run_dbsnap({"verify", manifest.string()});
  EXPECT_EQ(verified.exit_code, kExitVerifyFailed) << verified.describe();
  EXPECT_NE(verified.err.find("zstd"), std::string::npos) << verified.err;
  typename TypeParam::Database target("zstd_damaged");
  auto r = run_dbsnap({"restore", manifest.string(), "--to", target.url(), "--quiet"});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
  EXPECT_NE(r.err.find("zstd"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dbsnap::test
