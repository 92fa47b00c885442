// S3Sink against a real S3 endpoint (Ceph RGW from tools/s3-local.sh): single
// PUT, multipart round trips, abort, and failures injected at the HTTP
// boundary by a proxy (tests/support/s3_fault_proxy.h).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/error.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/sink.h"
#include "tests/support/common.h"
#include "tests/support/s3_env.h"
#include "tests/support/s3_fault_proxy.h"

namespace dbsnap {
namespace {

using test::random_bytes;
using test::S3Call;
using test::S3Fault;

constexpr std::size_t kMiB = 1 << 20;

// Writes data through sink in pieces of the given size.
void write_in_pieces(Sink& sink, std::span<const std::byte> data, std::size_t piece) {
  while (!data.empty()) {
    std::size_t n = std::min(piece, data.size());
    sink.write(data.first(n));
    data = data.subspan(n);
  }
}

class S3SinkTest : public ::testing::Test {
 protected:
  S3SinkTest()
      : bucket_(test::s3_base_url().bucket),
        prefix_(test::s3_unique_prefix("sink")),
        client_(bucket_, test::s3_options()) {}

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  std::string get(const std::string& k) { return client_.get_object(k); }

  static std::string as_string(std::span<const std::byte> b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

  // Expects neither the object nor a pending upload under this test's prefix.
  void expect_nothing_left(const std::string& k) {
    EXPECT_EQ(client_.head_object(k), std::nullopt) << k;
    EXPECT_TRUE(client_.list_multipart_uploads(prefix_).empty()) << "pending uploads left";
  }

  std::string bucket_;
  std::string prefix_;
  S3Client client_;
};

TEST_F(S3SinkTest, SmallObjectIsOnePut) {
  test::S3FaultProxy proxy(client_.endpoint());
  S3Options options = test::s3_options();
  options.endpoint = proxy.endpoint();
  S3Client client(bucket_, options);
  auto data = random_bytes(5 * kMiB, 1);  // exactly one first part: still one PUT
  {
    S3Sink sink(client, key("small"));
    write_in_pieces(sink, data, 70'000);
    EXPECT_EQ(proxy.count(S3Call::put_object), 0) << "nothing is sent before finish()";
    sink.finish();
  }
  EXPECT_EQ(proxy.count(S3Call::put_object), 1);
  EXPECT_EQ(proxy.count(S3Call::create_upload), 0);
  EXPECT_EQ(get(key("small")), as_string(data));
}

TEST_F(S3SinkTest, EmptyObjectIsCreated) {
  S3Sink sink(client_, key("empty"));
  sink.finish();
  EXPECT_EQ(client_.head_object(key("empty"))->size, 0u);
}

TEST_F(S3SinkTest, MultipartUploadReadsBackByteIdentical) {
  test::S3FaultProxy proxy(client_.endpoint());
  S3Options options = test::s3_options();
  options.endpoint = proxy.endpoint();
  S3Client client(bucket_, options);
  auto data = random_bytes(12 * kMiB + 12345, 2);
  S3Sink sink(client, key("big"));
  write_in_pieces(sink, data, 1 * kMiB + 1);
  sink.finish();
  EXPECT_EQ(proxy.count(S3Call::create_upload), 1);
  EXPECT_EQ(proxy.count(S3Call::upload_part), 3);  // 5 + 5 + 2 MiB
  EXPECT_EQ(proxy.count(S3Call::complete_upload), 1);
  EXPECT_EQ(proxy.count(S3Call::abort_upload), 0);
  std::optional<S3Head> head = client_.head_object(key("big"));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, data.size());
  EXPECT_TRUE(head->etag.ends_with("-3")) << head->etag;
  EXPECT_EQ(get(key("big")), as_string(data));
  EXPECT_EQ(client_.get_range(key("big"), 5 * kMiB - 10, 20),
            as_string(std::span(data).subspan(5 * kMiB - 10, 20)));
  EXPECT_TRUE(client_.list_multipart_uploads(prefix_).empty());
}

TEST_F(S3SinkTest, OneLargeWriteIsSplitIntoParts) {
  auto data = random_bytes(11 * kMiB, 3);
  S3Sink sink(client_, key("one-write"));
  sink.write(data);
  sink.finish();
  EXPECT_EQ(get(key("one-write")), as_string(data));
}

TEST_F(S3SinkTest, AbortLeavesNoObjectAndNoPendingUpload) {
  auto data = random_bytes(11 * kMiB, 4);
  S3Sink sink(client_, key("aborted"));
  sink.write(data);
  EXPECT_EQ(client_.list_multipart_uploads(prefix_).size(), 1u);
  sink.abort();
  sink.abort();  // idempotent
  EXPECT_THROW(sink.finish(), Error);
  expect_nothing_left(key("aborted"));
}

TEST_F(S3SinkTest, DestructionWithoutFinishAborts) {
  test::S3FaultProxy proxy(client_.endpoint());
  S3Options options = test::s3_options();
  options.endpoint = proxy.endpoint();
  S3Client client(bucket_, options);
  {
    S3Sink sink(client, key("dropped"));
    sink.write(random_bytes(6 * kMiB, 5));
  }
  EXPECT_EQ(proxy.count(S3Call::abort_upload), 1);
  EXPECT_EQ(proxy.count(S3Call::complete_upload), 0);
  {
    S3Sink sink(client, key("dropped-small"));
    sink.write(random_bytes(100, 6));
  }
  EXPECT_EQ(proxy.count(S3Call::put_object), 0);
  expect_nothing_left(key("dropped"));
  expect_nothing_left(key("dropped-small"));
}

// A sink writing through a fault-injecting proxy in front of the gateway.
class S3SinkFaultTest : public S3SinkTest {
 protected:
  S3SinkFaultTest() : proxy_(client_.endpoint()) {
    options_ = test::s3_options();
    options_.endpoint = proxy_.endpoint();
    faulty_ = std::make_unique<S3Client>(bucket_, options_);
  }

  // Uploads data (3 parts) through the proxy; returns the error, if any.
  std::optional<Error> upload(const std::string& k, std::span<const std::byte> data) {
    try {
      S3Sink sink(*faulty_, k);
      write_in_pieces(sink, data, 256 << 10);
      sink.finish();
    } catch (const Error& e) {
      return e;
    }
    return std::nullopt;
  }

  test::S3FaultProxy proxy_;
  S3Options options_;
  std::unique_ptr<S3Client> faulty_;
};

TEST_F(S3SinkFaultTest, FailedPartIsRetriedToSuccess) {
  proxy_.inject(S3Call::upload_part, 2, 2, S3Fault::internal_error());
  auto data = random_bytes(12 * kMiB, 7);
  std::optional<Error> error = upload(key("retried"), data);
  ASSERT_FALSE(error) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::upload_part), 5);  // 3 parts + 2 retries
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 0);
  EXPECT_EQ(get(key("retried")), as_string(data));
}

TEST_F(S3SinkFaultTest, ConnectionResetMidPartIsRetriedToSuccess) {
  proxy_.inject(S3Call::upload_part, 1, 1, S3Fault::reset());
  proxy_.inject(S3Call::upload_part, 3, 1, S3Fault::reset());
  auto data = random_bytes(12 * kMiB, 8);
  std::optional<Error> error = upload(key("reset"), data);
  ASSERT_FALSE(error) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::upload_part), 5);
  EXPECT_EQ(get(key("reset")), as_string(data));
}

TEST_F(S3SinkFaultTest, SlowDownIsRetried) {
  proxy_.inject(S3Call::put_object, 1, 2,
                S3Fault::answer(503,
                                "<Error><Code>SlowDown</Code><Message>Reduce your request "
                                "rate.</Message></Error>"));
  auto data = random_bytes(1000, 9);
  ASSERT_FALSE(upload(key("slow"), data));
  EXPECT_EQ(proxy_.count(S3Call::put_object), 3);
  EXPECT_EQ(get(key("slow")), as_string(data));
}

TEST_F(S3SinkFaultTest, PartThatKeepsFailingAbortsTheUploadOnce) {
  proxy_.inject(S3Call::upload_part, 2, 1000, S3Fault::internal_error());
  std::optional<Error> error = upload(key("part-fails"), random_bytes(12 * kMiB, 10));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::io_error);
  EXPECT_NE(std::string(error->what()).find("UploadPart"), std::string::npos) << error->what();
  EXPECT_NE(std::string(error->what()).find("InternalError"), std::string::npos) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 1);
  EXPECT_EQ(proxy_.count(S3Call::complete_upload), 0);
  expect_nothing_left(key("part-fails"));
}

TEST_F(S3SinkFaultTest, ResetThatKeepsHappeningAbortsTheUploadOnce) {
  proxy_.inject(S3Call::upload_part, 1, 1000, S3Fault::reset());
  std::optional<Error> error = upload(key("reset-always"), random_bytes(12 * kMiB, 11));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::io_error);
  EXPECT_NE(std::string(error->what()).find(fmt::format("after {} tries", options_.max_attempts)),
            std::string::npos)
      << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 1);
  EXPECT_EQ(proxy_.count(S3Call::complete_upload), 0);
  expect_nothing_left(key("reset-always"));
}

TEST_F(S3SinkFaultTest, FailedCompleteAbortsAndNeverLeavesAnObject) {
  proxy_.inject(S3Call::complete_upload, 1, 1000, S3Fault::internal_error());
  std::optional<Error> error = upload(key("complete-fails"), random_bytes(12 * kMiB, 12));
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("CompleteMultipartUpload"), std::string::npos)
      << error->what();
  EXPECT_EQ(proxy_.count(S3Call::complete_upload), options_.max_attempts);
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 1);
  expect_nothing_left(key("complete-fails"));
}

TEST_F(S3SinkFaultTest, ErrorInsideA200CompleteAnswerIsAFailure) {
  // CompleteMultipartUpload may answer 200 and report the error in the body.
  proxy_.inject(S3Call::complete_upload, 1, 1000,
                S3Fault::answer(200,
                                "<Error><Code>InvalidPart</Code><Message>One or more of the "
                                "specified parts could not be found.</Message></Error>"));
  std::optional<Error> error = upload(key("complete-200"), random_bytes(12 * kMiB, 13));
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("InvalidPart"), std::string::npos) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 1);
  expect_nothing_left(key("complete-200"));
}

TEST_F(S3SinkFaultTest, FailedCreateLeavesNothing) {
  proxy_.inject(S3Call::create_upload, 1, 1000,
                S3Fault::answer(403, "<Error><Code>AccessDenied</Code></Error>"));
  std::optional<Error> error = upload(key("no-create"), random_bytes(12 * kMiB, 14));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::access_denied);
  EXPECT_EQ(proxy_.count(S3Call::create_upload), 1) << "a 403 is not retried";
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 0);
  expect_nothing_left(key("no-create"));
}

TEST_F(S3SinkFaultTest, ClockSkewSaysToFixTheClock) {
  proxy_.inject(S3Call::put_object, 1, 1,
                S3Fault::answer(403,
                                "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
                                "between the request time and the current time is too "
                                "large.</Message></Error>"));
  std::optional<Error> error = upload(key("skew"), random_bytes(10, 15));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::access_denied);
  EXPECT_NE(std::string(error->what()).find("fix the clock"), std::string::npos) << error->what();
}

TEST_F(S3SinkFaultTest, WrongPartEtagIsDetected) {
  // An answer whose ETag is not the part's MD5 (data changed in transit).
  proxy_.inject(S3Call::upload_part, 2, 1000, S3Fault::answer(200, ""));
  std::optional<Error> error = upload(key("bad-etag"), random_bytes(12 * kMiB, 16));
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("not the MD5 of the bytes sent"), std::string::npos)
      << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 1);
  expect_nothing_left(key("bad-etag"));
}

TEST_F(S3SinkFaultTest, FailedAbortIsRetried) {
  proxy_.inject(S3Call::upload_part, 2, 1000, S3Fault::internal_error());
  proxy_.inject(S3Call::abort_upload, 1, 2, S3Fault::internal_error());
  std::optional<Error> error = upload(key("abort-retried"), random_bytes(12 * kMiB, 17));
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("UploadPart"), std::string::npos) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 3);
  expect_nothing_left(key("abort-retried"));
}

// An abort that keeps failing cannot clean up: the part's error is what the
// caller gets, and a warning names the upload left behind (its parts cost
// storage until a lifecycle rule or a later abort removes them).
TEST_F(S3SinkFaultTest, AbortThatKeepsFailingWarnsAndKeepsThePartsError) {
  proxy_.inject(S3Call::upload_part, 2, 1000, S3Fault::internal_error());
  proxy_.inject(S3Call::abort_upload, 1, 1000, S3Fault::internal_error());
  ::testing::internal::CaptureStderr();
  std::optional<Error> error = upload(key("abort-fails"), random_bytes(12 * kMiB, 18));
  std::string warned = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::io_error);
  EXPECT_NE(std::string(error->what()).find("UploadPart"), std::string::npos) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), options_.max_attempts);
  EXPECT_NE(warned.find("warning: unable to abort multipart upload"), std::string::npos) << warned;
  EXPECT_NE(warned.find(key("abort-fails")), std::string::npos) << warned;
  EXPECT_EQ(client_.head_object(key("abort-fails")), std::nullopt);
  auto pending = client_.list_multipart_uploads(prefix_);
  ASSERT_EQ(pending.size(), 1u) << "the upload the abort could not remove";
  EXPECT_NE(warned.find(pending[0].upload_id), std::string::npos) << warned;
  client_.abort_multipart_upload(pending[0].key, pending[0].upload_id);
  expect_nothing_left(key("abort-fails"));
}

// After CompleteMultipartUpload the sink checks the object with a HEAD; when
// that keeps failing, finish() fails (the object may be visible by then: the
// caller removes it, see engine/backup.cc).
TEST_F(S3SinkFaultTest, CheckAfterCompleteThatKeepsFailingFailsTheFinish) {
  proxy_.inject(S3Call::head_object, 1, 1000, S3Fault::internal_error());
  std::optional<Error> error = upload(key("head-fails"), random_bytes(12 * kMiB, 19));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ExitCode::io_error);
  EXPECT_NE(std::string(error->what()).find("HEAD"), std::string::npos) << error->what();
  EXPECT_EQ(proxy_.count(S3Call::complete_upload), 1);
  EXPECT_EQ(proxy_.count(S3Call::head_object), options_.max_attempts);
  EXPECT_EQ(proxy_.count(S3Call::abort_upload), 0) << "a completed upload cannot be aborted";
}

}  // namespace
}  // namespace dbsnap
