// End-to-end tests of the dbsnap command line on S3 volumes, run as a user
// runs it (the DBSNAP_BIN binary in a child process, credentials in
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) against the Ceph RGW, PostgreSQL
// and MariaDB servers tools/test.sh started (DBSNAP_TEST_S3_*,
// DBSNAP_TEST_PG_URL, DBSNAP_TEST_MY_URL; unset fails, never skips):
//  - backup --to s3://, snapshots, verify and restore --jobs 4 of an s3://
//    snapshot give a database equal to the source (schema and content), and
//    restore --tables fetches one table's data only;
//  - a wrong secret key and a missing bucket fail with their exit codes and a
//    one-line message saying what to fix, leaving nothing completed;
//  - ping s3://bucket/prefix checks credentials, bucket, write and read, and
//    leaves no probe object behind;
//  - through a fault-injecting proxy (tests/support/s3_fault_proxy.h): GET,
//    HEAD and LIST failures are retried or fail with exit 30 naming the
//    request, and a backup whose data object finished but whose completed
//    manifest could not be written leaves no data object behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/manifest.h"
#include "tests/support/cli.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"
#include "tests/support/s3_env.h"
#include "tests/support/s3_fault_proxy.h"

namespace dbsnap::test {
namespace {

using json = nlohmann::json;

// Tries per S3 request of the CLI (S3Options::max_attempts, not an option).
constexpr int kCliAttempts = 5;

constexpr std::string_view kManifestSuffix = ".manifest.json";

// The keys of data objects and of manifests that say "completed" under the prefix.
std::vector<std::string> completed_objects(S3Volume& volume) {
  std::vector<std::string> found;
  for (const auto& key : volume.list("")) {
    if (key.ends_with(".sql.gz")) found.push_back(key);
    if (key.ends_with(kManifestSuffix) &&
        parse_manifest(volume.get(key)).status == SnapshotStatus::completed)
      found.push_back(key);
  }
  return found;
}

// The one snapshot `dbsnap snapshots URL --json` lists; asserts that it is
// the only one and completed. Returns its key (the stem, relative to the volume).
std::string only_completed_snapshot(S3Prefix& prefix, const std::string& database) {
  auto r = run_dbsnap_s3({"snapshots", prefix.url(), "--json"}, prefix.options());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  json list = json::parse(r.out);
  EXPECT_EQ(list.size(), 1u) << r.out;
  if (list.size() != 1) throw std::runtime_error("expected one snapshot in " + prefix.url());
  EXPECT_EQ(list[0]["status"], "completed") << r.out;
  EXPECT_EQ(list[0]["database"], database) << r.out;
  return list[0]["snapshot"].get<std::string>();
}

// One dialect's source database (a stress fixture), backed up once into a
// fresh S3 prefix for the tests of the suite. Setup failures fail each test
// (SuiteSetup), they never skip it.
struct Snapshot {
  std::unique_ptr<S3Prefix> prefix;
  std::string stem_url;  // s3://bucket/prefix/<server>/<db>/<stamp>
};

void back_up(Snapshot& s, const std::string& source_url, const std::string& database) {
  s.prefix = std::make_unique<S3Prefix>("s3cli");
  // Small chunks, so tables span several chunks and parallel restore interleaves.
  auto r = run_dbsnap_s3({"backup", source_url, "--to", s.prefix->url(), "--jobs", "2",
                          "--chunk-size", "16KiB", "--quiet"},
                         s.prefix->options());
  if (r.exit_code != 0) throw std::runtime_error("dbsnap backup to S3 failed: " + r.describe());
  s.stem_url = s.prefix->url() + "/" + only_completed_snapshot(*s.prefix, database);
}

// One dialect's stress fixture in a source database, backed up once for
// every test of the suite.
template <class Dialect>
class S3Cli : public StressSourceSuite<Dialect, S3Cli<Dialect>> {
 public:
  static constexpr const char* kTag = "s3cli_src";
  static void prepare(const typename Dialect::Database& source) {
    back_up(snapshot_, source.url(), source.name());
  }
  static void release() { snapshot_.prefix.reset(); }

 protected:
  static inline Snapshot snapshot_;
};
TYPED_TEST_SUITE(S3Cli, Dialects, DialectName);

TYPED_TEST(S3Cli, VerifyPassesOnTheS3Snapshot) {
  const Snapshot& s = TestFixture::snapshot_;
  auto r = run_dbsnap_s3({"verify", s.stem_url}, s.prefix->options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find(": ok:"), std::string::npos) << r.out;
}

TYPED_TEST(S3Cli, RestoreWithFourJobsEqualsTheSource) {
  const Snapshot& s = TestFixture::snapshot_;
  typename TypeParam::Database target("s3cli_dst");
  auto r = run_dbsnap_s3({"restore", s.stem_url, "--to", target.url(), "--jobs", "4"},
                         s.prefix->options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  TypeParam::expect_same(TestFixture::source_->name(), target.name());
}

TYPED_TEST(S3Cli, RestoreOneTableFetchesOnlyThatTable) {
  const Snapshot& s = TestFixture::snapshot_;
  typename TypeParam::Database target("s3cli_one");
  auto r = run_dbsnap_s3({"restore", s.stem_url, "--to", target.url(), "--tables",
                          TypeParam::kKeylessTable, "--jobs", "4"},
                         s.prefix->options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_only_table_restored(TypeParam::fingerprints(TestFixture::source_->name()),
                             TypeParam::fingerprints(target.name()),
                             TypeParam::kKeylessTableFingerprint);
}

// ---- failures --------------------------------------------------------------

TEST(S3CliFailure, WrongSecretKeyExits13AndCompletesNothing) {
  ScratchPgDatabase source("s3cli_badkey");
  pg_exec(source.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");
  S3Prefix prefix("s3cli_badkey");
  const std::string wrong = "wrong" + prefix.options().secret_key;
  auto r = run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet"},
                         prefix.options(), wrong);
  EXPECT_EQ(r.exit_code, kExitAccessDenied) << r.describe();
  auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "one-line error expected: " << r.err;
  EXPECT_NE(lines[0].find("secret key"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << "the secret is printed: " << r.err;
  EXPECT_EQ(completed_objects(prefix.volume()), std::vector<std::string>{});
}

TEST(S3CliFailure, MissingBucketIsNamed) {
  ScratchPgDatabase source("s3cli_nobucket");
  pg_exec(source.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  S3Options options = s3_options();
  // A valid bucket name (lowercase, digits, '-') nobody created.
  std::string missing_bucket = ("dbsnap-missing-" + unique_name("b")).substr(0, 63);
  for (char& c : missing_bucket)
    if (c == '_') c = '-';
  while (missing_bucket.ends_with('-')) missing_bucket.pop_back();
  auto r = run_dbsnap_s3(
      {"backup", source.url(), "--to", "s3://" + missing_bucket + "/some/prefix", "--quiet"},
      options);
  EXPECT_EQ(r.exit_code, kExitIoError) << r.describe();
  auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "one-line error expected: " << r.err;
  EXPECT_NE(lines[0].find("'" + missing_bucket + "'"), std::string::npos) << r.err;
  EXPECT_NE(lines[0].find("does not exist"), std::string::npos) << r.err;
}

// ---- ping ------------------------------------------------------------------

TEST(S3CliPing, ChecksEveryStepAndLeavesNoProbe) {
  S3Prefix prefix("s3cli_ping");
  prefix.volume().put("existing/object", "keep me");
  auto r = run_dbsnap_s3({"ping", prefix.url()}, prefix.options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  for (const char* line : {"credentials: ok", "bucket: ok", "write: ok", "read: ok"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " missing: " << r.out;
  EXPECT_EQ(r.out.find("FAILED"), std::string::npos) << r.out;
  EXPECT_EQ(prefix.volume().list(""), std::vector<std::string>{"existing/object"})
      << "the probe object was left behind (or another object removed)";
}

TEST(S3CliPing, JsonIsOneDocumentNamingEveryCheck) {
  S3Prefix prefix("s3cli_ping_json");
  auto r = run_dbsnap_s3({"ping", prefix.url(), "--json"}, prefix.options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto j = nlohmann::json::parse(r.out);  // throws if a step line is on stdout too
  EXPECT_TRUE(j.value("ok", false)) << r.out;
  EXPECT_EQ(j.at("checked").size(), 5u) << r.out;
  EXPECT_TRUE(prefix.volume().list("").empty()) << "the probe object was left behind";
}

TEST(S3CliPing, WrongSecretKeyExits13NamingTheSecretKey) {
  S3Prefix prefix("s3cli_ping_key");
  const std::string wrong = "wrong" + prefix.options().secret_key;
  auto r = run_dbsnap_s3({"ping", prefix.url()}, prefix.options(), wrong);
  EXPECT_EQ(r.exit_code, kExitAccessDenied) << r.describe();
  EXPECT_NE(r.out.find("credentials: FAILED"), std::string::npos) << r.out;
  auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find("secret key"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << "the secret is printed: " << r.err;
  EXPECT_EQ(prefix.volume().list(""), std::vector<std::string>{});
}

TEST(S3CliPing, MissingBucketExits30NamingTheBucket) {
  S3Options options = s3_options();
  auto r = run_dbsnap_s3({"ping", "s3://dbsnap-no-such-bucket/x"}, options);
  EXPECT_EQ(r.exit_code, kExitIoError) << r.describe();
  EXPECT_NE(r.out.find("credentials: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bucket: FAILED"), std::string::npos) << r.out;
  auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find("'dbsnap-no-such-bucket' does not exist"), std::string::npos) << r.err;
}

TEST(S3CliPing, ClosedEndpointExits10) {
  S3Options options = s3_options();
  options.endpoint = "http://127.0.0.1:" + std::to_string(closed_loopback_port());
  auto r = run_dbsnap_s3({"ping", "s3://dbsnap-test/x"}, options);
  EXPECT_EQ(r.exit_code, kExitRefused) << r.describe();
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST(S3CliPing, EndpointWithAServerUrlIsAUsageError) {
  auto r = run_dbsnap_s3({"ping", pg_url()}, s3_options());
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_NE(r.err.find("s3:// volumes only"), std::string::npos) << r.err;
}

// ---- injected faults -------------------------------------------------------

// options with the endpoint replaced by the proxy's.
S3Options through(const S3FaultProxy& proxy, S3Options options) {
  options.endpoint = proxy.endpoint();
  return options;
}

// A small PostgreSQL source (one table of 100 rows) for backups that only
// the storage side makes interesting.
void load_small_table(const ScratchPgDatabase& db) {
  pg_exec(db.name(),
          "CREATE TABLE t (id int, v text); "
          "INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 100) i");
}

// The keys under the prefix, sorted.
std::vector<std::string> keys_of(S3Prefix& prefix) {
  auto keys = prefix.volume().list("");
  std::sort(keys.begin(), keys.end());
  return keys;
}

// What a backup that failed after its data object leaves under prefix: its
// manifest alone, stored with status `stored` (into m), which `snapshots`
// lists as `listed` and verify refuses with exit 40.
void expect_only_the_manifest_left(S3Prefix& prefix, const std::string& stored,
                                   const std::string& listed, Manifest& m) {
  auto keys = keys_of(prefix);
  ASSERT_EQ(keys.size(), 1u) << "only the manifest should be left: "
                             << ::testing::PrintToString(keys);
  ASSERT_TRUE(keys[0].ends_with(kManifestSuffix)) << keys[0];
  m = parse_manifest(prefix.volume().get(keys[0]));
  EXPECT_EQ(status_name(m.status), stored);

  auto snapshots = run_dbsnap_s3({"snapshots", prefix.url(), "--json"}, prefix.options());
  ASSERT_EQ(snapshots.exit_code, 0) << snapshots.describe();
  json rows = json::parse(snapshots.out);
  ASSERT_EQ(rows.size(), 1u) << snapshots.out;
  EXPECT_EQ(rows[0]["status"], listed) << snapshots.out;
  std::string stem = keys[0].substr(0, keys[0].size() - kManifestSuffix.size());
  auto verified = run_dbsnap_s3({"verify", prefix.url() + "/" + stem}, prefix.options());
  EXPECT_EQ(verified.exit_code, kExitVerifyFailed) << verified.describe();
  EXPECT_TRUE(contains(verified.err, "is not a completed backup (status " + stored))
      << verified.err;
}

// A backup of a small database is three PUTs: the running manifest, the data
// object (one PUT: it is smaller than a part) and the completed manifest.
// When every try of the last one fails, the data object is durable but no
// manifest says so: it must be removed, and the manifest must say "failed".
TEST(S3CliFault, FinalManifestPutFailingRemovesTheDataAndRecordsTheFailure) {
  ScratchPgDatabase source("s3f_lastput");
  load_small_table(source);
  S3Prefix prefix("s3f_lastput");
  S3FaultProxy proxy(prefix.options().endpoint);
  proxy.inject(S3Call::put_object, 3, kCliAttempts, S3Fault::internal_error());
  auto r = run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet"},
                         through(proxy, prefix.options()));
  EXPECT_EQ(r.exit_code, kExitIoError) << r.describe();
  auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "one-line error expected: " << r.err;
  EXPECT_TRUE(contains(lines[0], "PUT") && contains(lines[0], ".manifest.json") &&
              contains(lines[0], "InternalError"))
      << lines[0];
  EXPECT_EQ(proxy.count(S3Call::put_object), 2 + kCliAttempts + 1)
      << "running manifest, data, the completed manifest's tries, the failed manifest";
  EXPECT_EQ(proxy.count(S3Call::delete_object), 1) << "the data object is removed";

  Manifest m;
  ASSERT_NO_FATAL_FAILURE(expect_only_the_manifest_left(prefix, "failed", "failed", m));
  EXPECT_EQ("dbsnap: error: " + m.failure, lines[0]) << "manifest and stderr give one reason";
}

// The same, but S3 takes no PUT at all after the data object: the failed
// manifest cannot be written either. What is left is the running manifest of
// a dead process, which snapshots lists as interrupted, and no data object.
TEST(S3CliFault, NoPutAfterTheDataLeavesNoDataBesideTheRunningManifest) {
  ScratchPgDatabase source("s3f_noput");
  load_small_table(source);
  S3Prefix prefix("s3f_noput");
  S3FaultProxy proxy(prefix.options().endpoint);
  proxy.inject(S3Call::put_object, 3, 1000, S3Fault::internal_error());
  auto r = run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet"},
                         through(proxy, prefix.options()));
  EXPECT_EQ(r.exit_code, kExitIoError) << r.describe();
  EXPECT_TRUE(contains(r.err, "could not record the failure")) << r.err;
  EXPECT_EQ(proxy.count(S3Call::delete_object), 1) << "the data object is removed";

  Manifest m;
  EXPECT_NO_FATAL_FAILURE(expect_only_the_manifest_left(prefix, "running", "interrupted", m));
}

// A ~10 MB table backed up with --compress 0 into a fresh prefix through a
// fault proxy: its data object is a multipart upload.
struct MultipartBackup {
  explicit MultipartBackup(const std::string& tag)
      : source(tag), prefix(tag), proxy(prefix.options().endpoint) {
    pg_exec(source.name(),
            "CREATE TABLE t (id int, v text); INSERT INTO t SELECT i, "
            "repeat(md5(i::text), 3) FROM generate_series(1, 100000) i");
  }

  // Runs the backup, with the faults injected so far, and expects it to fail
  // with exit 30 and one error line, returned in line.
  void fails(std::string& line) {
    auto r =
        run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet", "--compress", "0"},
                      through(proxy, prefix.options()));
    EXPECT_EQ(r.exit_code, kExitIoError) << r.describe();
    auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << "one-line error expected: " << r.err;
    line = lines[0];
  }

  // Expects the failed manifest alone under the prefix, with line as its
  // failure, and no multipart upload pending.
  void left_only_the_failed_manifest(const std::string& line) {
    auto keys = keys_of(prefix);
    ASSERT_EQ(keys.size(), 1u) << "only the manifest should be left: "
                               << ::testing::PrintToString(keys);
    Manifest m = parse_manifest(prefix.volume().get(keys[0]));
    EXPECT_EQ(status_name(m.status), "failed");
    EXPECT_EQ("dbsnap: error: " + m.failure, line);
    S3Client client(s3_base_url().bucket, prefix.options());
    EXPECT_TRUE(client.list_multipart_uploads(prefix.prefix()).empty())
        << "a multipart upload was left pending";
  }

  ScratchPgDatabase source;
  S3Prefix prefix;
  S3FaultProxy proxy;
};

// The HEAD that checks the multipart upload after CompleteMultipartUpload
// keeps failing. The object is visible by then: the backup must remove it.
TEST(S3CliFault, FailedCheckAfterTheMultipartUploadRemovesTheData) {
  MultipartBackup b("s3f_head");
  b.proxy.inject(S3Call::head_object, 1, 1000, S3Fault::internal_error());
  std::string line;
  ASSERT_NO_FATAL_FAILURE(b.fails(line));
  EXPECT_TRUE(contains(line, "HEAD") && contains(line, ".sql.gz")) << line;
  EXPECT_EQ(b.proxy.count(S3Call::complete_upload), 1) << "the test needs a multipart upload";
  EXPECT_EQ(b.proxy.count(S3Call::head_object), kCliAttempts);
  b.left_only_the_failed_manifest(line);
}

// A data part that keeps failing ends the multipart upload with an abort,
// itself retried through a failure: nothing but the failed manifest is left,
// not even a pending upload.
TEST(S3CliFault, PartThatKeepsFailingAbortsTheUploadAndLeavesOnlyTheFailedManifest) {
  MultipartBackup b("s3f_abort");
  b.proxy.inject(S3Call::upload_part, 1, 1000, S3Fault::internal_error());
  b.proxy.inject(S3Call::abort_upload, 1, 1, S3Fault::internal_error());
  std::string line;
  ASSERT_NO_FATAL_FAILURE(b.fails(line));
  EXPECT_TRUE(contains(line, "UploadPart") && contains(line, "InternalError")) << line;
  EXPECT_EQ(b.proxy.count(S3Call::abort_upload), 2) << "one abort, tried twice";
  EXPECT_EQ(b.proxy.count(S3Call::complete_upload), 0);
  b.left_only_the_failed_manifest(line);
}

// A snapshot in a fresh prefix, backed up without the proxy; returns its stem URL.
std::string small_snapshot(S3Prefix& prefix, const ScratchPgDatabase& source) {
  auto r =
      run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet"}, prefix.options());
  if (r.exit_code != 0) throw std::runtime_error("dbsnap backup to S3 failed: " + r.describe());
  return prefix.url() + "/" + only_completed_snapshot(prefix, source.name());
}

// prune on S3: the older snapshots' data objects and manifests are deleted
// (DeleteObjects), the newest completed one and nothing else stays.
TEST(S3CliPrune, KeepLastOneDeletesTheOlderSnapshotsAndKeepsTheNewest) {
  ScratchPgDatabase source("s3_prune");
  load_small_table(source);
  S3Prefix prefix("s3prune");
  small_snapshot(prefix, source);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later started_at second
  auto second =
      run_dbsnap_s3({"backup", source.url(), "--to", prefix.url(), "--quiet"}, prefix.options());
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  std::vector<std::string> before = keys_of(prefix);
  ASSERT_EQ(before.size(), 4u);

  auto dry =
      run_dbsnap_s3({"prune", prefix.url(), "--keep-last", "1", "--dry-run"}, prefix.options());
  ASSERT_EQ(dry.exit_code, 0) << dry.describe();
  EXPECT_TRUE(contains(dry.out, "would remove 1 of 2 snapshots")) << dry.out;
  EXPECT_EQ(keys_of(prefix), before);

  auto r = run_dbsnap_s3({"prune", prefix.url(), "--keep-last", "1"}, prefix.options());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "removed 1 of 2 snapshots")) << r.out;
  // before is sorted: the newer stem's two keys are the last two.
  EXPECT_EQ(keys_of(prefix), (std::vector<std::string>{before[2], before[3]}));
}

TEST(S3CliFault, ListFailuresAreRetriedAndThenExit30NamingTheListing) {
  ScratchPgDatabase source("s3f_list");
  load_small_table(source);
  S3Prefix prefix("s3f_list");
  small_snapshot(prefix, source);
  S3FaultProxy proxy(prefix.options().endpoint);
  proxy.inject(S3Call::list_objects, 1, kCliAttempts - 1, S3Fault::internal_error());
  auto ok = run_dbsnap_s3({"snapshots", prefix.url(), "--json"}, through(proxy, prefix.options()));
  ASSERT_EQ(ok.exit_code, 0) << ok.describe();
  EXPECT_EQ(json::parse(ok.out).size(), 1u) << ok.out;
  EXPECT_EQ(proxy.count(S3Call::list_objects), kCliAttempts);

  proxy.inject(S3Call::list_objects, kCliAttempts + 1, 1000, S3Fault::internal_error());
  auto failed =
      run_dbsnap_s3({"snapshots", prefix.url(), "--json"}, through(proxy, prefix.options()));
  EXPECT_EQ(failed.exit_code, kExitIoError) << failed.describe();
  auto lines = lines_of(failed.err);
  ASSERT_EQ(lines.size(), 1u) << failed.err;
  EXPECT_TRUE(contains(lines[0], "ListObjectsV2") && contains(lines[0], "InternalError"))
      << lines[0];
  EXPECT_EQ(failed.out, "");
}

TEST(S3CliFault, GetFailuresAreRetriedByVerifyAndRestoreAndThenExit30) {
  ScratchPgDatabase source("s3f_get");
  load_small_table(source);
  S3Prefix prefix("s3f_get");
  std::string snapshot = small_snapshot(prefix, source);
  S3FaultProxy proxy(prefix.options().endpoint);
  // Every other GET fails once: the manifest's and the chunks' ranged reads.
  for (int i = 1; i <= 40; i += 2)
    proxy.inject(S3Call::get_object, i, 1, S3Fault::internal_error());
  auto verified = run_dbsnap_s3({"verify", snapshot}, through(proxy, prefix.options()));
  ASSERT_EQ(verified.exit_code, 0) << verified.describe();
  int verify_gets = proxy.count(S3Call::get_object);
  EXPECT_GE(verify_gets, 4) << "the manifest and the chunks, each tried twice";

  ScratchPgDatabase target("s3f_get_dst");
  auto restored = run_dbsnap_s3({"restore", snapshot, "--to", target.url(), "--quiet"},
                                through(proxy, prefix.options()));
  ASSERT_EQ(restored.exit_code, 0) << restored.describe();
  EXPECT_GT(proxy.count(S3Call::get_object), verify_gets);
  EXPECT_EQ(pg_table_fingerprints(target.name()), pg_table_fingerprints(source.name()));

  proxy.inject(S3Call::get_object, 1, 1000000, S3Fault::internal_error());
  auto failed = run_dbsnap_s3({"verify", snapshot}, through(proxy, prefix.options()));
  EXPECT_EQ(failed.exit_code, kExitIoError) << failed.describe();
  auto lines = lines_of(failed.err);
  ASSERT_EQ(lines.size(), 1u) << failed.err;
  EXPECT_TRUE(contains(lines[0], "GET") && contains(lines[0], ".manifest.json") &&
              contains(lines[0], "InternalError"))
      << lines[0];
}

}  // namespace
}  // namespace dbsnap::test
