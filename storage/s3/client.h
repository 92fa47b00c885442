// An S3 client for the requests dbsnap needs, on the HTTP client of
// storage/http/client.h (Boost.Beast, OpenSSL TLS) with AWS Signature Version 4.
//
// Sources of the format rules: S3 API reference (PutObject, GetObject with
// Range, HeadObject, DeleteObject, ListObjectsV2, CreateMultipartUpload,
// UploadPart, CompleteMultipartUpload, AbortMultipartUpload,
// ListMultipartUploads, "Error responses"), AWS SigV4 (storage/s3/sigv4.h),
// RFC 9110 (Range, ETag) and RFC 1864 (Content-MD5).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/http/client.h"
#include "storage/s3/credentials.h"

namespace dbsnap {

// How the bucket is named in a request.
enum class S3UrlStyle {
  automatic,     // virtual host on AWS (no endpoint given) for DNS-safe names, else path
  path,          // http://endpoint/bucket/key
  virtual_host,  // http://bucket.endpoint/key
};

// Settings of an S3 volume. Defaults suit AWS; tests shorten the delays.
struct S3Options {
  // "https://host[:port]" or "http://host[:port]"; empty means AWS:
  // https://s3.<region>.amazonaws.com. A path after the host is an error.
  std::string endpoint;
  // Signing region; empty: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
  std::string region;
  S3UrlStyle url_style = S3UrlStyle::automatic;
  // Skip TLS certificate and host name verification. Only when asked for.
  bool insecure = false;
  // Explicit keys; empty: see storage/s3/credentials.h. Secrets: never printed.
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string profile;  // profile name in the shared credentials file
  // Size of the first multipart part in bytes (>= 5 MiB); later parts grow (part_size()).
  std::size_t part_bytes = 8 << 20;
  // Parts an S3Sink uploads at once (>= 1); memory is about
  // (upload_parallel + 1) x part size.
  std::size_t upload_parallel = 4;
  // Tries per request (>= 1) for retryable failures: 5xx, 429, throttling,
  // timeouts, refused or reset connections.
  int max_attempts = 5;
  // Backoff before try n+1: random in [d/2, d] with d = min(retry_max_delay,
  // retry_base_delay * 2^(n-1)).
  std::chrono::milliseconds retry_base_delay{200};
  std::chrono::milliseconds retry_max_delay{10'000};
  // Connect timeout, and the base of each request's timeout; a request with
  // a body or a big answer gets one more second per 256 KiB.
  std::chrono::milliseconds timeout{30'000};
};

// The backoff before try failures+1 (failures >= 1) for unit in [0, 1): the
// rule of S3Options::retry_base_delay. Pure; tested alone.
std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds base,
                                      std::chrono::milliseconds max, double unit);

// One object of a listing.
struct S3Object {
  std::string key;  // full key in the bucket
  std::uint64_t size = 0;
  std::string etag;  // without quotes
};

// One page of ListObjectsV2.
struct S3ListPage {
  std::vector<S3Object> objects;
  std::string next_token;  // empty on the last page
};

// A multipart upload in progress (ListMultipartUploads).
struct S3Upload {
  std::string key;
  std::string upload_id;
};

// The answer to HEAD.
struct S3Head {
  std::uint64_t size = 0;
  std::string etag;  // without quotes
};

// A client for one bucket. Requests are retried as S3Options says; an answer
// that still fails throws dbsnap::Error with the code and one-line message of
// storage/s3/errors.h; transport failures throw ExitCode::unknown_host,
// connection_refused, timeout, tls_required (certificate or handshake) or
// io_error, naming the endpoint. No message contains the secret key.
//
// Thread-safe: requests from many threads share a pool of keep-alive
// connections (one per request in flight; idle ones are reused).
// Keys one DeleteObjects request may carry (S3 API reference, DeleteObjects).
inline constexpr std::size_t kMaxDeleteKeys = 1000;

class S3Client {
 public:
  // Resolves credentials and region and checks the endpoint; connects lazily.
  // Throws Error(usage) for a bad endpoint, bucket or option, or missing credentials.
  S3Client(std::string bucket, S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const std::string& bucket() const { return bucket_; }
  const S3Options& options() const { return options_; }
  // "s3://bucket" plus " at <endpoint>" when not AWS; no secret.
  std::string describe() const;
  // The scheme, host and port requests go to ("http://127.0.0.1:9000").
  std::string endpoint() const;

  // PutObject with Content-MD5; returns the ETag. Verifies that the ETag is
  // the body's MD5 (unless the bucket encrypts with KMS or a customer key).
  std::string put_object(const std::string& key, std::span<const std::byte> body);
  // PutObject with Content-MD5 and "If-None-Match: *": false when an object
  // exists at key (412 Precondition Failed, or 409 ConditionalRequestConflict
  // from a concurrent conditional write), true when this one was written.
  bool put_object_if_absent(const std::string& key, std::span<const std::byte> body);
  // GetObject of the whole object; a missing one throws "object s3://b/k does not exist".
  std::string get_object(const std::string& key);
  // GetObject with "Range: bytes=offset-(offset+length-1)" (length >= 1):
  // fewer bytes when the object ends first, none at or past its end.
  std::string get_range(const std::string& key, std::uint64_t offset, std::uint64_t length);
  // HeadObject; nullopt if the object does not exist.
  std::optional<S3Head> head_object(const std::string& key);
  // DeleteObject; deleting a missing object succeeds.
  void delete_object(const std::string& key);
  // DeleteObjects (quiet mode, Content-MD5) of at most kMaxDeleteKeys keys;
  // missing objects are not an error. Throws Error(io_error) naming the first
  // key S3 could not delete and its error code.
  void delete_objects(std::span<const std::string> keys);
  // One page of ListObjectsV2 under prefix; token is "" for the first page.
  S3ListPage list_objects(const std::string& prefix, const std::string& token, int max_keys = 1000);

  // CreateMultipartUpload; returns the upload id.
  std::string create_multipart_upload(const std::string& key);
  // UploadPart (part_number 1..10000) with Content-MD5; returns the ETag after
  // checking it is the part's MD5 (as put_object).
  std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                          std::span<const std::byte> body);
  // CompleteMultipartUpload of parts 1..etags.size() with these ETags. Also
  // treats a 200 answer whose body is an <Error> as a failure.
  void complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                 const std::vector<std::string>& etags);
  // AbortMultipartUpload.
  void abort_multipart_upload(const std::string& key, const std::string& upload_id);
  // Every ListMultipartUploads entry under prefix (all pages).
  std::vector<S3Upload> list_multipart_uploads(const std::string& prefix);

 private:
  struct Call;

  // Sends call, retrying as the options say; returns 2xx answers and those
  // whose status is in call.accept; throws for the rest.
  HttpResponse execute(const Call& call);
  // One try of call.
  HttpResponse attempt(const Call& call, const std::string& payload_sha256);

  std::string bucket_;
  S3Options options_;
  S3Credentials credentials_;
  std::string endpoint_;              // "https://host[:port]" as given or derived
  std::string path_prefix_;           // "/bucket" in path style, "" in virtual-host style
  std::unique_ptr<HttpClient> http_;  // to "bucket.host" in virtual-host style, else host
};

}  // namespace dbsnap
