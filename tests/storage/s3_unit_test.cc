// Pure pieces of the S3 driver, without a server: SigV4 against the examples
// of the S3 API reference, XML reading, error messages, part sizes, backoff,
// credentials and URLs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <string>

#include "engine/error.h"
#include "storage/s3/client.h"
#include "storage/s3/credentials.h"
#include "storage/s3/errors.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/sink.h"
#include "storage/s3/volume.h"
#include "storage/s3/xml.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

constexpr std::size_t kMiB = 1 << 20;

// The credentials of the S3 API reference's SigV4 examples ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single
// Chunk"), bucket examplebucket, virtual-host style, 2013-05-24.
SigV4Scope example_scope() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1",
          "20130524T000000Z"};
}

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(SigV4, GetObjectExampleMatchesTheReference) {
  SigV4Request request{"GET", "/test.txt", "", {}, kEmptyPayloadSha256};
  request.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                     {"range", "bytes=0-9"},
                     {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)},
                     {"x-amz-date", "20130524T000000Z"}};
  std::string canonical = canonical_request(request);
  EXPECT_EQ(
      canonical,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(bytes_of(canonical)),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sigv4_authorization(request, example_scope()),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectExampleMatchesTheReference) {
  std::string payload_hash = sha256_hex(bytes_of("Welcome to Amazon S3."));
  EXPECT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  std::string uri = "/" + uri_encode("test$file.text", true);
  SigV4Request request{"PUT", uri, "", {}, payload_hash};
  request.headers = {{"date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", payload_hash},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  EXPECT_EQ(sigv4_authorization(request, example_scope()),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, ListObjectsExampleMatchesTheReference) {
  std::string query = canonical_query({{"prefix", "J"}, {"max-keys", "2"}});
  EXPECT_EQ(query, "max-keys=2&prefix=J");
  SigV4Request request{"GET", "/", query, {}, kEmptyPayloadSha256};
  request.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)},
                     {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(sigv4_authorization(request, example_scope()),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, UriEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(uri_encode("a b/c+d%e~f_g-h.i", true), "a%20b/c%2Bd%25e~f_g-h.i");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(uri_encode("\xc3\xa9", true), "%C3%A9");
}

TEST(SigV4, CanonicalQuerySortsAndKeepsEmptyValues) {
  EXPECT_EQ(canonical_query({{"uploadId", "x y"}, {"partNumber", "2"}}),
            "partNumber=2&uploadId=x%20y");
  EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");
}

TEST(SigV4, DigestsAndDates) {
  EXPECT_EQ(amz_date(1369353600), "20130524T000000Z");
  EXPECT_EQ(md5_hex(bytes_of("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(base64(md5_binary(bytes_of(""))), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(base64("ab"), "YWI=");
}

TEST(Xml, ReadsElementsWithNamespacesAttributesAndEntities) {
  std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>"
      "<Contents><Key>a &lt;b&gt; &#233;&#x41;</Key><Size>3</Size></Contents>"
      "<Contents><Key>c</Key><Size>4</Size><s3:Owner/></Contents></ListBucketResult>";
  auto contents = xml_elements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(xml_value(contents[0], "Key"),
            "a <b> \xc3\xa9"
            "A");
  EXPECT_EQ(xml_value(contents[1], "Size"), "4");
  EXPECT_EQ(xml_value(contents[1], "Owner"), "");
  EXPECT_EQ(xml_value(xml, "NextContinuationToken"), "t&1");
  EXPECT_EQ(xml_value(xml, "ContinuationToken"), std::nullopt);
  EXPECT_EQ(xml_value("<a:Code>X</a:Code>", "Code"), "X");
  EXPECT_EQ(xml_unescape("&bogus; & &#xZZ;"), "&bogus; & &#xZZ;");
  EXPECT_EQ(xml_escape("\"a\"<&>'"), "&quot;a&quot;&lt;&amp;&gt;&apos;");
}

S3RequestInfo info() {
  return {"PUT", "backups", "srv/db/x.sql.gz", "http://127.0.0.1:9000", "AKIDTEST"};
}

std::string error_body(std::string_view code, std::string_view message = "") {
  return fmt::format("<?xml version=\"1.0\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
                     code, message);
}

TEST(S3Errors, EachCodeSaysWhatToFix) {
  Error e = s3_error(403, error_body("SignatureDoesNotMatch"), info());
  EXPECT_EQ(e.code(), ExitCode::access_denied);
  EXPECT_NE(std::string(e.what()).find("check the secret key"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("AKIDTEST"), std::string::npos) << e.what();

  e = s3_error(403, error_body("InvalidAccessKeyId"), info());
  EXPECT_EQ(e.code(), ExitCode::access_denied);
  EXPECT_NE(std::string(e.what()).find("does not know access key 'AKIDTEST'"), std::string::npos);

  e = s3_error(403, error_body("AccessDenied", "Access Denied"), info());
  EXPECT_EQ(e.code(), ExitCode::access_denied);
  EXPECT_NE(std::string(e.what()).find("access denied to PUT s3://backups/srv/db/x.sql.gz"),
            std::string::npos);

  e = s3_error(403, "", info());  // HEAD: no body
  EXPECT_EQ(e.code(), ExitCode::access_denied);

  e = s3_error(403, error_body("RequestTimeTooSkewed"), info());
  EXPECT_EQ(e.code(), ExitCode::access_denied);
  EXPECT_NE(std::string(e.what()).find("fix the clock"), std::string::npos);

  e = s3_error(404, error_body("NoSuchBucket"), info());
  EXPECT_EQ(e.code(), ExitCode::io_error);
  EXPECT_EQ(std::string(e.what()),
            "bucket 'backups' does not exist at http://127.0.0.1:9000: create it or fix the "
            "volume URL");

  e = s3_error(404, error_body("NoSuchKey"), info());
  EXPECT_EQ(std::string(e.what()), "object s3://backups/srv/db/x.sql.gz does not exist");

  e = s3_error(400, error_body("EntityTooSmall", "Your proposed\nupload is too small"), info());
  EXPECT_EQ(e.code(), ExitCode::io_error);
  EXPECT_EQ(std::string(e.what()),
            "s3 PUT s3://backups/srv/db/x.sql.gz failed: HTTP 400 EntityTooSmall: Your "
            "proposed upload is too small");
}

TEST(S3Errors, TransientFailuresAreRetryable) {
  EXPECT_TRUE(s3_retryable(500, "InternalError"));
  EXPECT_TRUE(s3_retryable(503, "SlowDown"));
  EXPECT_TRUE(s3_retryable(429, ""));
  EXPECT_TRUE(s3_retryable(400, "RequestTimeout"));
  EXPECT_FALSE(s3_retryable(403, "SignatureDoesNotMatch"));
  EXPECT_FALSE(s3_retryable(404, "NoSuchBucket"));
  EXPECT_FALSE(s3_retryable(400, "InvalidPart"));
}

TEST(PartSize, StartsAtTheFirstSizeAndDoublesEveryThousandParts) {
  EXPECT_EQ(part_size(0, kMinPartBytes), 5 * kMiB);
  EXPECT_EQ(part_size(999, kMinPartBytes), 5 * kMiB);
  EXPECT_EQ(part_size(1000, kMinPartBytes), 10 * kMiB);
  EXPECT_EQ(part_size(9999, kMinPartBytes), (5 * kMiB) << 9);
  EXPECT_EQ(part_size(0, 8 * kMiB), 8 * kMiB);
  EXPECT_EQ(part_size(9999, 64 * kMiB), kMaxPartBytes);
}

TEST(PartSize, TenThousandPartsHoldNearlyFiveTebibytes) {
  for (std::size_t first : {kMinPartBytes, 8 * kMiB, 100 * kMiB, kMaxPartBytes}) {
    std::uint64_t total = 0;
    std::size_t previous = 0;
    for (std::size_t i = 0; i < kMaxParts; ++i) {
      std::size_t size = part_size(i, first);
      ASSERT_GE(size, kMinPartBytes);
      ASSERT_LE(size, kMaxPartBytes);
      ASSERT_GE(size, previous) << "part sizes never shrink";
      previous = size;
      total += size;
    }
    EXPECT_GE(total, std::uint64_t{4800} << 30) << "first part " << first;
  }
}

TEST(RetryDelay, GrowsExponentiallyWithJitterAndACap) {
  using std::chrono::milliseconds;
  milliseconds base(100), max(1000);
  EXPECT_EQ(retry_delay(1, base, max, 0.0), milliseconds(50));
  EXPECT_EQ(retry_delay(1, base, max, 0.999), milliseconds(99));
  EXPECT_EQ(retry_delay(2, base, max, 0.0), milliseconds(100));
  EXPECT_EQ(retry_delay(3, base, max, 0.5), milliseconds(300));
  EXPECT_EQ(retry_delay(30, base, max, 0.0), milliseconds(500));
  EXPECT_LE(retry_delay(30, base, max, 0.999), max);
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  void set(const char* name, const std::string& value) {
    remember(name);
    setenv(name, value.c_str(), 1);
  }
  void unset(const char* name) {
    remember(name);
    unsetenv(name);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

 private:
  void remember(const char* name) {
    if (saved_.count(name)) return;
    const char* value = getenv(name);
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

class S3CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                             "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"})
      env_.unset(name);
    file_ = dir_.path() / "credentials";
    std::ofstream(file_) << "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = "
                            "defsecret\n\n# comment\n[backup]\naws_access_key_id=BKEY\n"
                            "aws_secret_access_key=bsecret\naws_session_token = btoken\n"
                            "[half]\naws_access_key_id=HKEY\n";
    env_.set("AWS_SHARED_CREDENTIALS_FILE", file_.native());
  }

  test::ScratchDir dir_;
  std::filesystem::path file_;
  ScopedEnv env_;
};

TEST_F(S3CredentialsTest, ExplicitKeysWinOverEnvironmentAndProfile) {
  env_.set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env_.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  S3Options options;
  options.access_key = "OPTKEY";
  options.secret_key = "optsecret";
  EXPECT_EQ(resolve_s3_credentials(options).access_key, "OPTKEY");
  options = {};
  S3Credentials c = resolve_s3_credentials(options);
  EXPECT_EQ(c.access_key, "ENVKEY");
  EXPECT_EQ(c.secret_key, "envsecret");
}

TEST_F(S3CredentialsTest, ProfilesComeFromTheSharedFile) {
  S3Credentials c = resolve_s3_credentials({});
  EXPECT_EQ(c.access_key, "DEFKEY");
  EXPECT_EQ(c.secret_key, "defsecret");
  env_.set("AWS_PROFILE", "backup");
  c = resolve_s3_credentials({});
  EXPECT_EQ(c.access_key, "BKEY");
  EXPECT_EQ(c.session_token, "btoken");
}

TEST_F(S3CredentialsTest, MissingOrIncompleteCredentialsNameTheFix) {
  env_.set("AWS_PROFILE", "nope");
  try {
    resolve_s3_credentials({});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(std::string(e.what()),
              fmt::format("no profile 'nope' in '{}': add it or fix AWS_PROFILE", file_.native()));
  }
  env_.set("AWS_PROFILE", "half");
  EXPECT_THROW(resolve_s3_credentials({}), Error);
  env_.unset("AWS_PROFILE");
  env_.set("AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "missing").native());
  try {
    resolve_s3_credentials({});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
              std::string::npos);
  }
  env_.set("AWS_ACCESS_KEY_ID", "ONLYKEY");
  EXPECT_THROW(resolve_s3_credentials({}), Error);
}

TEST_F(S3CredentialsTest, ClientChecksEndpointAndDescribesItWithoutSecrets) {
  S3Options options;
  options.access_key = "AKID";
  options.secret_key = "verysecret";
  options.endpoint = "ftp://example.com";
  EXPECT_THROW(S3Client("b", options), Error);
  options.endpoint = "http://example.com/path";
  EXPECT_THROW(S3Client("b", options), Error);
  options.endpoint = "http://127.0.0.1:9000";
  S3Client client("bucket", options);
  EXPECT_EQ(client.describe(), "s3://bucket at http://127.0.0.1:9000");
  options.endpoint = "";
  env_.set("AWS_REGION", "eu-west-3");
  S3Client aws("bucket", options);
  EXPECT_EQ(aws.endpoint(), "https://s3.eu-west-3.amazonaws.com");
  EXPECT_EQ(aws.options().region, "eu-west-3");
  options.part_bytes = 1 << 20;
  EXPECT_THROW(S3Client("b", options), Error);
}

TEST(S3Url, ParsesBucketAndPrefix) {
  S3Url url = S3Url::parse("s3://bucket/backups/prod");
  EXPECT_EQ(url.bucket, "bucket");
  EXPECT_EQ(url.prefix, "backups/prod/");
  EXPECT_EQ(S3Url::parse("s3://bucket/backups/").prefix, "backups/");
  EXPECT_EQ(S3Url::parse("s3://bucket").prefix, "");
  EXPECT_EQ(S3Url::parse("s3://bucket/").prefix, "");
  EXPECT_THROW(S3Url::parse("s3:///x"), Error);
  EXPECT_THROW(S3Url::parse("/local/path"), Error);
}

}  // namespace
}  // namespace dbsnap
