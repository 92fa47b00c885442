// S3Volume and S3Client against a real S3 endpoint (Ceph RGW from
// tools/s3-local.sh, DBSNAP_TEST_S3_*): round trips, ranged reads, listing
// with continuation, the errors a user sees for wrong keys or buckets, and
// GET, HEAD and LIST under failures injected by tests/support/s3_fault_proxy.h.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "storage/s3/volume.h"
#include "tests/support/s3_env.h"
#include "tests/support/s3_fault_proxy.h"

namespace dbsnap {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

class S3VolumeTest : public ::testing::Test {
 protected:
  S3VolumeTest()
      : base_(test::s3_base_url()),
        url_{base_.bucket, test::s3_unique_prefix("volume")},
        volume_(url_, test::s3_options()) {}

  S3Url base_;
  S3Url url_;
  S3Volume volume_;
};

TEST_F(S3VolumeTest, PutGetAndListRoundTrip) {
  volume_.put("srv/db/a.manifest.json", "{\"status\":\"running\"}");
  volume_.put("srv/db/a.manifest.json", "{\"status\":\"completed\"}");
  volume_.put("srv/db/b.sql.gz", pattern(1000));
  volume_.put("srv/other/c.sql.gz", "");
  EXPECT_EQ(volume_.get("srv/db/a.manifest.json"), "{\"status\":\"completed\"}");
  EXPECT_EQ(volume_.get("srv/db/b.sql.gz"), pattern(1000));
  EXPECT_EQ(volume_.get("srv/other/c.sql.gz"), "");

  std::vector<std::string> keys = volume_.list("srv/db/");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"srv/db/a.manifest.json", "srv/db/b.sql.gz"}));
  keys = volume_.list("");
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_TRUE(volume_.list("nothing/").empty());
  EXPECT_NE(volume_.describe().find("s3://" + url_.bucket + "/" + url_.prefix), std::string::npos);
}

TEST_F(S3VolumeTest, PutIfAbsentIsAConditionalPutAnd412MeansHeld) {
  EXPECT_TRUE(volume_.put_if_absent("lock", "first"));
  EXPECT_FALSE(volume_.put_if_absent("lock", "second"));
  EXPECT_EQ(volume_.get("lock"), "first");
  volume_.remove("lock");
  EXPECT_TRUE(volume_.put_if_absent("lock", "third"));
  EXPECT_EQ(volume_.get("lock"), "third");
}

TEST_F(S3VolumeTest, RemoveDeletesTheObjectAndAMissingOneIsFine) {
  volume_.put("srv/db/a.manifest.json", "{}");
  volume_.put("srv/db/b.sql.gz", "data");
  volume_.remove("srv/db/a.manifest.json");
  EXPECT_EQ(volume_.list(""), std::vector<std::string>{"srv/db/b.sql.gz"});
  EXPECT_NO_THROW(volume_.remove("srv/db/a.manifest.json"));
  volume_.remove("srv/db/b.sql.gz");
  EXPECT_TRUE(volume_.list("").empty());
}

// remove_many is DeleteObjects: more keys than one request takes (1000)
// go in two, keys with XML's special characters are escaped, and a missing
// key is not an error.
TEST_F(S3VolumeTest, RemoveManyDeletesInBatchesAndSkipsMissingKeys) {
  std::vector<std::string> doomed;
  for (std::size_t i = 0; i < kMaxDeleteKeys + 1; ++i)
    doomed.push_back(fmt::format("many/k{:04}", i));
  doomed.push_back("many/odd <&> 'key\".sql.gz");
  for (const auto& key : doomed) volume_.put(key, "x");
  volume_.put("many/kept", "y");
  doomed.push_back("many/never-written");
  volume_.remove_many(doomed);
  EXPECT_EQ(volume_.list("many/"), std::vector<std::string>{"many/kept"});
}

TEST_F(S3VolumeTest, OddKeysRoundTrip) {
  for (std::string key :
       {"with space/a+b=c&d.txt", "pct%41/x", "unicode/\xc3\xa9t\xc3\xa9.sql", "tilde~/star*(1)"}) {
    volume_.put(key, key);
    EXPECT_EQ(volume_.get(key), key);
    EXPECT_EQ(volume_.list(key), std::vector<std::string>{key});
  }
}

TEST_F(S3VolumeTest, RangedReadsReturnTheSliceAndStopAtTheEnd) {
  std::string data = pattern(100'000);
  volume_.put("chunks.sql.gz", data);
  EXPECT_EQ(volume_.read("chunks.sql.gz", 0, 10), data.substr(0, 10));
  EXPECT_EQ(volume_.read("chunks.sql.gz", 12'345, 54'321), data.substr(12'345, 54'321));
  EXPECT_EQ(volume_.read("chunks.sql.gz", 99'990, 100), data.substr(99'990));
  EXPECT_EQ(volume_.read("chunks.sql.gz", 100'000, 10), "");
  EXPECT_EQ(volume_.read("chunks.sql.gz", 200'000, 10), "");
  EXPECT_EQ(volume_.read("chunks.sql.gz", 5, 0), "");
  EXPECT_EQ(volume_.read("chunks.sql.gz", 0, UINT64_MAX), data);
}

TEST_F(S3VolumeTest, MissingObjectsThrowNamingThem) {
  std::string expected =
      fmt::format("object s3://{}/{}missing.json does not exist", url_.bucket, url_.prefix);
  for (auto read : {std::function<void()>([&] { volume_.get("missing.json"); }),
                    std::function<void()>([&] { volume_.read("missing.json", 0, 10); }),
                    std::function<void()>([&] { volume_.read("missing.json", 0, 0); })}) {
    try {
      read();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::io_error);
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
}

TEST_F(S3VolumeTest, ListingFollowsContinuationTokens) {
  S3Client client(url_.bucket, test::s3_options());
  std::vector<std::string> written;
  for (int i = 0; i < 7; ++i) {
    written.push_back(fmt::format("{}list/k{}", url_.prefix, i));
    client.put_object(written.back(), bytes_of("x"));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    S3ListPage page = client.list_objects(url_.prefix + "list/", token, 3);
    EXPECT_LE(page.objects.size(), 3u);
    for (const S3Object& o : page.objects) {
      seen.push_back(o.key);
      EXPECT_EQ(o.size, 1u);
      EXPECT_EQ(o.etag, "9dd4e461268c8034f5c8564e155c67a6");  // md5("x")
    }
    token = page.next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, written);
  client.delete_object(written[0]);
  client.delete_object(written[0]);  // deleting a missing object succeeds
  EXPECT_EQ(client.head_object(written[0]), std::nullopt);
  EXPECT_EQ(client.head_object(written[1])->size, 1u);
}

TEST_F(S3VolumeTest, WrongSecretSaysToCheckTheSecretKey) {
  S3Options options = test::s3_options();
  options.secret_key = "not-the-secret-key";
  S3Volume volume(url_, options);
  try {
    volume.put("x", "y");
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::access_denied);
    EXPECT_NE(message.find("check the secret key"), std::string::npos) << message;
    EXPECT_NE(message.find(options.access_key), std::string::npos) << message;
    EXPECT_EQ(message.find("not-the-secret-key"), std::string::npos) << message;
  }
}

TEST_F(S3VolumeTest, UnknownAccessKeyIsNamed) {
  S3Options options = test::s3_options();
  options.access_key = "AKIDUNKNOWN";
  S3Volume volume(url_, options);
  try {
    volume.list("");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::access_denied);
    EXPECT_NE(std::string(e.what()).find("does not know access key 'AKIDUNKNOWN'"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(S3VolumeTest, MissingBucketIsNamed) {
  S3Volume volume({"no-such-bucket-dbsnap", "x/"}, test::s3_options());
  for (auto op : {std::function<void()>([&] { volume.put("k", "v"); }),
                  std::function<void()>([&] { volume.list(""); }),
                  std::function<void()>([&] { volume.get("k"); })}) {
    try {
      op();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::io_error);
      EXPECT_NE(std::string(e.what()).find("bucket 'no-such-bucket-dbsnap' does not exist at http"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(S3VolumeTest, NothingListeningIsAConnectionError) {
  S3Options options = test::s3_options();
  options.endpoint = "http://127.0.0.1:1";
  options.max_attempts = 2;
  S3Volume volume(url_, options);
  try {
    volume.get("k");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::connection_refused);
    EXPECT_NE(std::string(e.what()).find("nothing accepts connections at s3 endpoint 127.0.0.1:1"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(S3VolumeTest, VirtualHostStyleConnectsToBucketDotEndpoint) {
  S3Options options = test::s3_options();
  options.url_style = S3UrlStyle::virtual_host;
  std::string port = options.endpoint.substr(options.endpoint.rfind(':'));
  options.endpoint = "http://invalid" + port;  // RFC 6761: never resolves
  S3Volume volume(url_, options);
  try {
    volume.get("k");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::unknown_host);
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("unable to resolve s3 endpoint host '{}.invalid'", url_.bucket)),
              std::string::npos)
        << e.what();
  }
}

TEST_F(S3VolumeTest, TlsHandshakeFailureIsNotRetried) {
  S3Options options = test::s3_options();
  options.endpoint = "https://" + options.endpoint.substr(7);  // TLS to a plain-HTTP port
  S3Volume volume(url_, options);
  try {
    volume.get("k");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::tls_required);
    EXPECT_NE(std::string(e.what()).find("tls handshake with s3 endpoint"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("tries"), std::string::npos) << e.what();
  }
}

TEST_F(S3VolumeTest, InvalidKeysAreUsageErrors) {
  EXPECT_THROW(volume_.put("", "x"), Error);
  EXPECT_THROW(volume_.put("/abs", "x"), Error);
}

// The volume's prefix seen through a fault-injecting proxy.
class S3VolumeFaultTest : public S3VolumeTest {
 protected:
  S3VolumeFaultTest() : proxy_(test::s3_options().endpoint) {
    options_ = test::s3_options();
    options_.endpoint = proxy_.endpoint();
    faulty_ = std::make_unique<S3Volume>(url_, options_);
    volume_.put("srv/db/a.manifest.json", "{}");
    volume_.put("srv/db/a.sql.gz", pattern(3000));
  }

  // The message of the Error that op throws (failing the test if none, or
  // if its code is not io_error).
  static std::string io_error_of(const std::function<void()>& op) {
    try {
      op();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::io_error) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }

  test::S3FaultProxy proxy_;
  S3Options options_;
  std::unique_ptr<S3Volume> faulty_;
};

TEST_F(S3VolumeFaultTest, GetHeadAndListAreRetriedThroughErrorsAndResets) {
  using test::S3Call;
  using test::S3Fault;
  proxy_.inject(S3Call::get_object, 1, 1, S3Fault::internal_error());
  proxy_.inject(S3Call::get_object, 3, 1,
                S3Fault::answer(503, "<Error><Code>SlowDown</Code></Error>"));
  proxy_.inject(S3Call::head_object, 1, 2, S3Fault::internal_error());
  proxy_.inject(S3Call::list_objects, 1, 1, S3Fault::reset());
  proxy_.inject(S3Call::list_objects, 2, 1, S3Fault::internal_error());
  EXPECT_EQ(faulty_->get("srv/db/a.manifest.json"), "{}");
  EXPECT_EQ(faulty_->read("srv/db/a.sql.gz", 100, 50), pattern(3000).substr(100, 50));
  EXPECT_EQ(faulty_->read("srv/db/a.sql.gz", 0, 0), "") << "a read of 0 bytes is a HEAD";
  std::vector<std::string> keys = faulty_->list("srv/");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"srv/db/a.manifest.json", "srv/db/a.sql.gz"}));
  EXPECT_EQ(proxy_.count(S3Call::get_object), 4);
  EXPECT_EQ(proxy_.count(S3Call::head_object), 3);
  EXPECT_GE(proxy_.count(S3Call::list_objects), 3);
}

TEST_F(S3VolumeFaultTest, GetHeadAndListThatKeepFailingNameTheRequestAndTheObject) {
  using test::S3Call;
  using test::S3Fault;
  for (S3Call call : {S3Call::get_object, S3Call::head_object, S3Call::list_objects})
    proxy_.inject(call, 1, 1000, S3Fault::internal_error());
  std::string object = fmt::format("s3://{}/{}srv/db/a.sql.gz", url_.bucket, url_.prefix);
  std::string get = io_error_of([&] { faulty_->get("srv/db/a.sql.gz"); });
  EXPECT_NE(get.find("s3 GET " + object + " failed: HTTP 500 InternalError"), std::string::npos)
      << get;
  std::string ranged = io_error_of([&] { faulty_->read("srv/db/a.sql.gz", 10, 10); });
  EXPECT_NE(ranged.find("s3 GET " + object), std::string::npos) << ranged;
  std::string head = io_error_of([&] { faulty_->read("srv/db/a.sql.gz", 0, 0); });
  EXPECT_NE(head.find("s3 HEAD " + object + " failed: HTTP 500"), std::string::npos) << head;
  std::string list = io_error_of([&] { faulty_->list("srv/"); });
  EXPECT_NE(list.find("s3 ListObjectsV2 s3://" + url_.bucket), std::string::npos) << list;
  EXPECT_NE(list.find("InternalError"), std::string::npos) << list;
  EXPECT_EQ(proxy_.count(S3Call::get_object), 2 * options_.max_attempts);
  EXPECT_EQ(proxy_.count(S3Call::head_object), options_.max_attempts);
  EXPECT_EQ(proxy_.count(S3Call::list_objects), options_.max_attempts);
}

}  // namespace
}  // namespace dbsnap
