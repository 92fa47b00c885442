// End-to-end tests of client-side encryption (issue 14), run as a user runs
// dbsnap against the PostgreSQL, MariaDB and S3 (RGW) servers tools/test.sh
// started: backup --encrypt-to writes one age file that the stock tools open
// (`age -d | gunzip | psql`); restore --identity (whole, --jobs 2, --tables)
// equals the source; verify works without the key (stored bytes) and with it
// (every chunk); a flipped bit, a wrong or missing identity fail clearly;
// no output ever holds key material.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/manifest.h"
#include "storage/age/age.h"
#include "storage/s3/volume.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"
#include "tests/support/s3_env.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// An age key pair: the identity in a 0600 file, the recipient as text.
struct KeyPair {
  KeyPair() {
    age::X25519Identity id = age::X25519Identity::generate();
    secret = id.to_string();
    recipient = id.recipient().to_string();
    file = dir.path() / "key.txt";
    std::ofstream(file) << "# test key\n" << secret << "\n";
    fs::permissions(file, fs::perms(0600));
  }
  ScratchDir dir;
  fs::path file;
  std::string secret, recipient;
};

// Fails when r's output holds any key material.
void expect_no_key(const CommandResult& r, const KeyPair& k) {
  EXPECT_FALSE(contains(r.out + r.err, "AGE-SECRET-KEY")) << r.describe();
  EXPECT_FALSE(contains(r.out + r.err, k.secret.substr(16, 20))) << r.describe();
}

// Runs dbsnap with extra environment assignments ("NAME=value").
CommandResult run_dbsnap_env(const std::vector<std::string>& env,
                             const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env", "-u", "DBSNAP_AGE_IDENTITY"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(dbsnap_bin().string());
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

CommandResult dbsnap(const std::vector<std::string>& args) { return run_dbsnap_env({}, args); }

fs::path only_file(const fs::path& dir, std::string_view suffix) {
  auto files = find_files(dir, suffix);
  if (files.size() != 1)
    throw std::runtime_error("expected one " + std::string(suffix) + " under " + dir.string());
  return files[0];
}

// The stress fixture in a PostgreSQL source, backed up once, encrypted.
class EncryptCliPg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_.run([] {
      source_ = new ScratchPgDatabase("enc_src");
      load_pg_fixture("stress", source_->name());
      // Hardly compressible rows: the age file spans a dozen 64 KiB STREAM chunks.
      pg_exec(source_->name(),
              "CREATE TABLE public.bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) "
              "AS t FROM generate_series(1, 20000) g");
      key_ = new KeyPair();
      volume_ = new ScratchDir();
      // Small chunks: tables span several chunks and STREAM chunks span several of them.
      auto r = dbsnap({"backup", source_->url(), "--to", volume_->path().string(), "--jobs", "2",
                       "--chunk-size", "16KiB", "--encrypt-to", key_->recipient});
      if (r.exit_code != 0) throw std::runtime_error("encrypted backup failed: " + r.describe());
      expect_no_key(r, *key_);
      manifest_ = new fs::path(only_file(volume_->path(), ".manifest.json"));
      data_ = new fs::path(only_file(volume_->path(), ".sql.gz.age"));
    });
  }
  static void TearDownTestSuite() {
    delete data_;
    delete manifest_;
    delete volume_;
    delete key_;
    delete source_;
    source_ = nullptr;
  }
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(setup_.check()); }

  // The snapshot's stem path (what users pass).
  static std::string stem() {
    std::string m = manifest_->string();
    return m.substr(0, m.size() - std::string_view(".manifest.json").size());
  }

  static inline SuiteSetup setup_;
  static inline ScratchPgDatabase* source_ = nullptr;
  static inline KeyPair* key_ = nullptr;
  static inline ScratchDir* volume_ = nullptr;
  static inline fs::path* manifest_ = nullptr;
  static inline fs::path* data_ = nullptr;
};

TEST_F(EncryptCliPg, ManifestDescribesTheAgeFileAndHoldsNoSecretOrSql) {
  EXPECT_TRUE(find_files(volume_->path(), ".sql.gz").empty()) << "no plaintext data object";
  std::string text = read_file(*manifest_);
  Manifest m = parse_manifest(text);
  EXPECT_EQ(m.data_object, data_->filename().string());
  EXPECT_EQ(m.encryption.format, "age-v1");
  EXPECT_EQ(m.encryption.chunk_size, 65536u);
  std::string stored = read_file(*data_);
  EXPECT_EQ(age::header_length(stored), m.encryption.header_length);
  EXPECT_EQ(m.size, stored.size());
  EXPECT_GT(m.tables.count("public.no_pk"), 0u) << "table names stay readable";
  EXPECT_FALSE(contains(text, "AGE-SECRET-KEY"));
  EXPECT_FALSE(contains(text, "COPY public")) << "no SQL in the manifest";
  EXPECT_FALSE(contains(stored, "COPY public")) << "the data object is encrypted";
}

TEST_F(EncryptCliPg, StockAgeGunzipPsqlRestoresIt) {
  ScratchPgDatabase target("enc_psql");
  auto r = run_shell("age -d -i " + shell_quote(key_->file.string()) + " " +
                     shell_quote(data_->string()) +
                     " | gunzip | psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(target.url()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_same_pg_database(source_->name(), target.name());
}

TEST_F(EncryptCliPg, RestoreWithIdentityAndTwoJobsEqualsTheSource) {
  ScratchPgDatabase target("enc_dst");
  auto r = dbsnap(
      {"restore", stem(), "--to", target.url(), "--jobs", "2", "--identity", key_->file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_no_key(r, *key_);
  expect_same_pg_database(source_->name(), target.name());
}

TEST_F(EncryptCliPg, RestoreOneTableWithTheIdentityInTheEnvironment) {
  ScratchPgDatabase target("enc_one");
  auto r = run_dbsnap_env({"DBSNAP_AGE_IDENTITY=" + key_->secret},
                          {"restore", stem(), "--to", target.url(), "--tables", "no_pk"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_no_key(r, *key_);
  expect_only_table_restored(pg_table_fingerprints(source_->name()),
                             pg_table_fingerprints(target.name()), "public.no_pk");
}

TEST_F(EncryptCliPg, VerifyWithoutTheKeyChecksTheStoredBytes) {
  auto r = dbsnap({"verify", stem()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "chunk contents not checked")) << r.out;
  auto j = dbsnap({"verify", stem(), "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.describe();
  EXPECT_EQ(json::parse(j.out).at("contents_checked"), false);
}

TEST_F(EncryptCliPg, VerifyWithTheKeyChecksEveryChunk) {
  auto r = dbsnap({"verify", stem(), "--identity", key_->file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_no_key(r, *key_);
  EXPECT_TRUE(contains(r.out, "every chunk's crc32 match")) << r.out;
}

TEST_F(EncryptCliPg, RestoreWithoutIdentityIsAUsageErrorNamingTheSnapshot) {
  ScratchPgDatabase target("enc_noid");
  auto r = dbsnap({"restore", stem(), "--to", target.url()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "is encrypted: give --identity FILE or DBSNAP_AGE_IDENTITY"))
      << r.err;
  EXPECT_TRUE(contains(r.err, stem())) << r.err;
}

TEST_F(EncryptCliPg, WrongIdentityIsRefusedClearly) {
  KeyPair other;
  ScratchPgDatabase target("enc_wrong");
  auto r = dbsnap({"restore", stem(), "--to", target.url(), "--identity", other.file.string()});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
  EXPECT_TRUE(contains(r.err, "no identity matches")) << r.err;
  EXPECT_TRUE(contains(r.err, data_->filename().string())) << r.err;
  expect_no_key(r, other);
  EXPECT_TRUE(pg_table_fingerprints(target.name()).empty()) << "nothing was restored";
  auto v = dbsnap({"verify", stem(), "--identity", other.file.string()});
  EXPECT_EQ(v.exit_code, kExitVerifyFailed) << v.describe();
  expect_no_key(v, other);
}

TEST_F(EncryptCliPg, IdentityFileReadableByOthersIsRefused) {
  KeyPair loose;
  fs::permissions(loose.file, fs::perms(0644));
  auto r = dbsnap({"verify", stem(), "--identity", loose.file.string()});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "chmod 600")) << r.err;
  expect_no_key(r, loose);
}

// A copy of the snapshot in copy whose stored age file damage() altered
// (given the file's bytes and its manifest); returns the copy's stem.
std::string damaged_copy(const ScratchDir& copy, const fs::path& manifest, const fs::path& data,
                         const std::function<void(std::string&, const Manifest&)>& damage) {
  fs::path copied = copy.path() / manifest.filename();
  fs::copy_file(manifest, copied);
  std::string stored = read_file(data);
  damage(stored, parse_manifest(read_file(manifest)));
  std::ofstream(copy.path() / data.filename(), std::ios::binary)
      .write(stored.data(), static_cast<std::streamsize>(stored.size()));
  return copied.string().substr(0, copied.string().size() - 14);
}

// Restore (--jobs 1) and keyed verify of a damaged copy both exit 40 naming
// the file and STREAM chunk 1; keyless verify sees the sha256 differ.
void expect_chunk_one_refused(const std::string& stem, const fs::path& data, const KeyPair& key,
                              const std::string& tag) {
  ScratchPgDatabase target(tag);
  auto r = dbsnap(
      {"restore", stem, "--to", target.url(), "--jobs", "1", "--identity", key.file.string()});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
  EXPECT_TRUE(contains(r.err, data.filename().string())) << r.err;
  EXPECT_TRUE(contains(r.err, "age payload chunk 1 ")) << r.err;
  EXPECT_TRUE(contains(r.err, "failed authentication")) << r.err;
  expect_no_key(r, key);

  auto keyless = dbsnap({"verify", stem});
  EXPECT_EQ(keyless.exit_code, kExitVerifyFailed) << keyless.describe();
  EXPECT_TRUE(contains(keyless.err, "sha256")) << keyless.err;
  auto keyed = dbsnap({"verify", stem, "--identity", key.file.string()});
  EXPECT_EQ(keyed.exit_code, kExitVerifyFailed) << keyed.describe();
  EXPECT_TRUE(contains(keyed.err, "age payload chunk 1 ")) << keyed.err;
}

TEST_F(EncryptCliPg, FlippedBitExits40NamingTheSnapshotAndTheChunk) {
  ScratchDir copy;
  std::string stem =
      damaged_copy(copy, *manifest_, *data_, [](std::string& stored, const Manifest& m) {
        ASSERT_GT(stored.size(), age::chunk_offset(m.encryption.header_length, 4)) << "too small";
        stored[age::chunk_offset(m.encryption.header_length, 1) + 12345] ^= 0x04;
      });
  expect_chunk_one_refused(stem, *data_, *key_, "enc_flip");
}

TEST_F(EncryptCliPg, ReorderedChunksExit40NamingTheSnapshotAndTheChunk) {
  ScratchDir copy;
  std::string stem =
      damaged_copy(copy, *manifest_, *data_, [](std::string& stored, const Manifest& m) {
        std::size_t one = age::chunk_offset(m.encryption.header_length, 1);
        std::size_t two = age::chunk_offset(m.encryption.header_length, 2);
        ASSERT_GT(stored.size(), age::chunk_offset(m.encryption.header_length, 4)) << "too small";
        std::string first = stored.substr(one, two - one);
        stored.replace(one, two - one, stored.substr(two, two - one));
        stored.replace(two, two - one, first);
      });
  expect_chunk_one_refused(stem, *data_, *key_, "enc_swap");
}

TEST_F(EncryptCliPg, TruncatedFileExits40) {
  ScratchDir copy;
  std::string stem = damaged_copy(
      copy, *manifest_, *data_,
      [](std::string& stored, const Manifest&) { stored.resize(stored.size() - 100); });
  auto keyed = dbsnap({"verify", stem, "--identity", key_->file.string()});
  EXPECT_EQ(keyed.exit_code, kExitVerifyFailed) << keyed.describe();
  EXPECT_TRUE(contains(keyed.err, "truncated")) << keyed.err;
  ScratchPgDatabase target("enc_trunc");
  auto r = dbsnap({"restore", stem, "--to", target.url(), "--identity", key_->file.string()});
  EXPECT_EQ(r.exit_code, kExitVerifyFailed) << r.describe();
}

// ---- MariaDB, with the recipient in a file ---------------------------------

TEST(EncryptCliMy, RecipientsFileBackupRestoresWithIdentity) {
  ScratchMyDatabase source("enc_my_src");
  load_my_fixture("stress", source.name());
  KeyPair key;
  fs::path recipients = key.dir.path() / "recipients.txt";
  std::ofstream(recipients) << "# team\n" << key.recipient << "\n";
  ScratchDir volume;
  auto b = dbsnap({"backup", source.url(), "--to", volume.path().string(), "--chunk-size", "16KiB",
                   "--encrypt-to-file", recipients.string(), "--quiet"});
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  fs::path manifest = only_file(volume.path(), ".manifest.json");
  std::string stem = manifest.string().substr(0, manifest.string().size() - 14);
  ScratchMyDatabase target("enc_my_dst");
  auto r = dbsnap(
      {"restore", stem, "--to", target.url(), "--jobs", "2", "--identity", key.file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_same_my_database(source.name(), target.name());
  auto v = dbsnap({"verify", stem, "--identity", key.file.string()});
  EXPECT_EQ(v.exit_code, 0) << v.describe();
}

// ---- Config file -----------------------------------------------------------

TEST(EncryptCliConfig, VolumeEncryptToAndIdentityServeAJobAndItsRestoreCheck) {
  ScratchPgDatabase source("enc_job");
  pg_exec(source.name(), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 42)");
  KeyPair key;
  fs::path recipients = key.dir.path() / "recipients.txt";
  std::ofstream(recipients) << key.recipient << "\n";
  ScratchDir work;
  fs::path volume = work.path() / "backups";
  fs::path config = work.path() / "config.toml";
  std::ofstream(config) << "[servers.prod]\nurl = " << toml_string(pg_url())
                        << "\n[volumes.enc]\nurl = " << toml_string(volume.string())
                        << "\nencrypt_to = " << toml_string(recipients.string())
                        << "\nidentity = " << toml_string(key.file.string())
                        << "\n[jobs.nightly]\nserver = \"prod\"\nvolume = \"enc\"\ndatabases = ["
                        << toml_string(source.name()) << "]\nverify = \"always\"\n";
  auto r = dbsnap({"--config", config.string(), "run", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "verified")) << r.out;
  expect_no_key(r, key);
  EXPECT_EQ(find_files(volume, ".sql.gz.age").size(), 1u);
  EXPECT_TRUE(find_files(volume, ".sql.gz").empty());

  // A backup to the named volume is encrypted too; --encrypt-to wins over it.
  auto b = dbsnap({"--config", config.string(), "backup", source.url(), "--to", "enc", "--quiet"});
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  EXPECT_EQ(find_files(volume, ".sql.gz.age").size(), 2u);

  // Restore and verify take the volume's identity, for a snapshot named
  // through the volume ("enc/<path>") or by its path inside the volume.
  std::string path = find_files(volume, ".manifest.json").at(0).string();
  path.resize(path.size() - std::string_view(".manifest.json").size());
  std::string named = "enc" + path.substr(volume.string().size());
  for (const auto& snapshot : {named, path}) {
    ScratchPgDatabase target("enc_job_dst");
    auto r = dbsnap({"--config", config.string(), "restore", snapshot, "--to", target.url()});
    ASSERT_EQ(r.exit_code, 0) << snapshot << ": " << r.describe();
    expect_same_pg_database(source.name(), target.name());
    auto v = dbsnap({"--config", config.string(), "verify", snapshot, "--json"});
    ASSERT_EQ(v.exit_code, 0) << snapshot << ": " << v.describe();
    EXPECT_TRUE(json::parse(v.out).at("contents_checked").get<bool>()) << v.out;
    for (const auto* c : {&r, &v}) expect_no_key(*c, key);
  }
  // Without the config, the same snapshot asks for an identity.
  auto bare = dbsnap({"verify", path, "--json"});
  ASSERT_EQ(bare.exit_code, 0) << bare.describe();
  EXPECT_FALSE(json::parse(bare.out).at("contents_checked").get<bool>()) << bare.out;
}

// ---- S3 --------------------------------------------------------------------

TEST(EncryptCliS3, BackupRestoreOneTableAndVerifyOnS3) {
  ScratchPgDatabase source("enc_s3_src");
  load_pg_fixture("stress", source.name());
  KeyPair key;
  S3Prefix s3("enc");
  auto dbsnap_s3 = [&](std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    return run_dbsnap_s3(std::move(args), s3.options(), "", env);
  };
  auto b = dbsnap_s3({"backup", source.url(), "--to", s3.url(), "--jobs", "2", "--chunk-size",
                      "16KiB", "--encrypt-to", key.recipient, "--quiet"});
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  std::string manifest_key;
  for (const auto& k : s3.volume().list(""))
    if (k.ends_with(".manifest.json")) manifest_key = k;
  ASSERT_FALSE(manifest_key.empty());
  std::string stem = s3.url() + "/" + manifest_key.substr(0, manifest_key.size() - 14);
  EXPECT_EQ(parse_manifest(s3.volume().get(manifest_key)).encryption.format, "age-v1");

  ScratchPgDatabase whole("enc_s3_dst");
  auto r = dbsnap_s3({"restore", stem, "--to", whole.url(), "--jobs", "2"},
                     {"DBSNAP_AGE_IDENTITY=" + key.secret});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_same_pg_database(source.name(), whole.name());

  ScratchPgDatabase one("enc_s3_one");
  r = dbsnap_s3(
      {"restore", stem, "--to", one.url(), "--tables", "no_pk", "--identity", key.file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(pg_table_fingerprints(one.name()).at("public.no_pk"),
            pg_table_fingerprints(source.name()).at("public.no_pk"));

  auto keyless = dbsnap_s3({"verify", stem});
  EXPECT_EQ(keyless.exit_code, 0) << keyless.describe();
  auto keyed = dbsnap_s3({"verify", stem, "--identity", key.file.string()});
  EXPECT_EQ(keyed.exit_code, 0) << keyed.describe();
  for (const auto* c : {&b, &r, &keyless, &keyed}) expect_no_key(*c, key);
}

}  // namespace
}  // namespace dbsnap::test
