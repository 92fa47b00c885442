#include "storage/s3/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include "engine/error.h"
#include "storage/s3/errors.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

namespace dbsnap {
namespace {

using std::chrono::milliseconds;

// Each request may take S3Options::timeout plus one second per this many
// bytes sent or expected back.
constexpr std::uint64_t kMinBytesPerSecond = 256 << 10;
constexpr std::uint64_t kMaxTimedBytes = std::uint64_t{1} << 40;
// CompleteMultipartUpload may take minutes on AWS for many parts.
constexpr milliseconds kCompleteTimeout{5 * 60 * 1000};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Bucket names usable as a DNS label under the endpoint with a wildcard
// certificate: 3-63 of a-z 0-9 '-', no dots (S3 "Bucket naming rules").
bool dns_safe_bucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::uint64_t parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace

milliseconds retry_delay(int failures, milliseconds base, milliseconds max, double unit) {
  milliseconds delay = base;
  for (int i = 1; i < failures && delay < max; ++i) delay *= 2;
  delay = std::min(delay, max);
  return milliseconds(delay.count() / 2 + static_cast<long long>(unit * (delay.count() / 2.0)));
}

struct S3Client::Call {
  Call(std::string method, std::string_view operation, std::string key = {})
      : method(std::move(method)), operation(operation), key(std::move(key)) {}

  std::string method;          // "GET", "PUT", ...
  std::string_view operation;  // for messages: "GET", "UploadPart", ...
  std::string key;             // empty for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names, signed
  std::span<const std::byte> body;
  std::uint64_t expected_bytes = 0;  // answer size, for the timeout
  milliseconds min_timeout{0};
  std::vector<unsigned> accept;  // non-2xx statuses returned, not thrown
  bool error_in_200 = false;     // a 200 answer may carry an <Error> body
};

S3Client::S3Client(std::string bucket, S3Options options)
    : bucket_(std::move(bucket)), options_(std::move(options)) {
  if (bucket_.empty() || bucket_.find('/') != std::string::npos)
    throw Error(ExitCode::usage, fmt::format("invalid s3 bucket name '{}'", bucket_));
  if (options_.part_bytes < (5u << 20))
    throw Error(ExitCode::usage, "s3 part size must be at least 5 MiB");
  if (options_.upload_parallel < 1 || options_.max_attempts < 1)
    throw Error(ExitCode::usage, "s3 upload_parallel and max_attempts must be at least 1");
  if (options_.region.empty()) options_.region = env("AWS_REGION");
  if (options_.region.empty()) options_.region = env("AWS_DEFAULT_REGION");
  if (options_.region.empty()) options_.region = "us-east-1";
  bool aws = options_.endpoint.empty();
  endpoint_ = aws ? fmt::format("https://s3.{}.amazonaws.com", options_.region) : options_.endpoint;
  while (endpoint_.ends_with('/')) endpoint_.pop_back();

  HttpUrl origin = HttpUrl::parse(endpoint_, fmt::format("s3 endpoint '{}'", endpoint_));
  if (origin.target != "/")
    throw Error(ExitCode::usage,
                fmt::format("s3 endpoint '{}' must be scheme://host[:port] only", endpoint_));
  bool virtual_host =
      options_.url_style == S3UrlStyle::virtual_host ||
      (options_.url_style == S3UrlStyle::automatic && aws && dns_safe_bucket(bucket_));
  if (virtual_host) origin.host = fmt::format("{}.{}", bucket_, origin.host);
  path_prefix_ = virtual_host ? "" : "/" + uri_encode(bucket_, false);

  credentials_ = resolve_s3_credentials(options_);
  HttpClientOptions http;
  http.label = "s3 endpoint";
  http.verify = !options_.insecure;
  http.tls_hint =
      " (check the certificate, or use the insecure option only for a trusted test endpoint)";
  http.connect_timeout = options_.timeout;
  http_ = std::make_unique<HttpClient>(std::move(origin), std::move(http));
}

S3Client::~S3Client() = default;

std::string S3Client::describe() const {
  if (options_.endpoint.empty()) return fmt::format("s3://{}", bucket_);
  return fmt::format("s3://{} at {}", bucket_, endpoint_);
}

std::string S3Client::endpoint() const { return endpoint_; }

HttpResponse S3Client::attempt(const Call& call, const std::string& payload_sha256) {
  std::string path = path_prefix_;
  if (!call.key.empty())
    path += "/" + uri_encode(call.key, true);
  else if (path.empty())
    path = "/";
  std::string query = canonical_query(call.query);
  std::string date = amz_date(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  SigV4Request signed_part{call.method, path, query, call.headers, payload_sha256};
  signed_part.headers.emplace_back("host", http_->host_header());
  signed_part.headers.emplace_back("x-amz-date", date);
  signed_part.headers.emplace_back("x-amz-content-sha256", payload_sha256);
  if (!credentials_.session_token.empty())
    signed_part.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  std::string authorization = sigv4_authorization(
      signed_part, {credentials_.access_key, credentials_.secret_key, options_.region, date});

  HttpRequest request;
  request.method = call.method;
  request.target = query.empty() ? path : path + "?" + query;
  for (const auto& header : signed_part.headers)
    if (header.first != "host") request.headers.push_back(header);
  request.headers.emplace_back("authorization", authorization);
  request.body = call.body;
  // An open-ended range ("to the end") must not overflow the sum.
  std::uint64_t bytes = call.body.size() + std::min(call.expected_bytes, kMaxTimedBytes);
  request.timeout = options_.timeout + milliseconds(1000 * (bytes / kMinBytesPerSecond));
  request.timeout = std::max(request.timeout, call.min_timeout);
  return http_->send(request);
}

HttpResponse S3Client::execute(const Call& call) {
  std::string payload_sha256 = sha256_hex(call.body);
  S3RequestInfo info{call.operation, bucket_, call.key, endpoint_, credentials_.access_key};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto back_off = [&](int failures) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::this_thread::sleep_for(
        retry_delay(failures, options_.retry_base_delay, options_.retry_max_delay, unit(rng)));
  };
  for (int failures = 0;;) {
    std::optional<HttpResponse> response;
    try {
      response = attempt(call, payload_sha256);
    } catch (const HttpTransportError& e) {
      if (e.retryable() && ++failures < options_.max_attempts) {
        back_off(failures);
        continue;
      }
      std::string object = call.key.empty() ? fmt::format("s3://{}", bucket_)
                                            : fmt::format("s3://{}/{}", bucket_, call.key);
      throw Error(
          e.code(),
          fmt::format("s3 {} {} failed{}: {}", call.operation, object,
                      failures > 1 ? fmt::format(" after {} tries", failures) : "", e.what()));
    }
    unsigned status = response->status;
    bool error_body = call.error_in_200 && !xml_elements(response->body, "Error").empty();
    if ((status / 100 == 2 && !error_body) ||
        std::find(call.accept.begin(), call.accept.end(), status) != call.accept.end())
      return std::move(*response);
    std::string code = s3_error_code(status, response->body);
    if (s3_retryable(error_body ? 500 : status, code) && ++failures < options_.max_attempts) {
      back_off(failures);
      continue;
    }
    throw s3_error(status, response->body, info);
  }
}

namespace {

// The ETag of the answer to a PUT of body, checked to be body's MD5 as S3
// answers for objects and parts stored without KMS or customer-key
// encryption. Throws Error(io_error) naming what when it is not.
std::string checked_etag(const HttpResponse& response, std::span<const std::byte> body,
                         const std::string& what) {
  std::string etag = unquote(response.header("ETag"));
  if (response.header("x-amz-server-side-encryption").starts_with("aws:kms") ||
      !response.header("x-amz-server-side-encryption-customer-algorithm").empty())
    return etag;
  std::string md5_hex_digest = md5_hex(body);
  if (std::equal(etag.begin(), etag.end(), md5_hex_digest.begin(), md5_hex_digest.end(),
                 [](char a, char b) { return std::tolower(a) == b; }))
    return etag;
  throw Error(ExitCode::io_error,
              fmt::format("s3 stored {} with ETag '{}', not the MD5 of the bytes sent ({}): the "
                          "data changed in transit",
                          what, etag, md5_hex_digest));
}

}  // namespace

std::string S3Client::put_object(const std::string& key, std::span<const std::byte> body) {
  Call call("PUT", "PUT", key);
  call.headers = {{"content-md5", base64(md5_binary(body))}};
  call.body = body;
  return checked_etag(execute(call), body, fmt::format("s3://{}/{}", bucket_, key));
}

bool S3Client::put_object_if_absent(const std::string& key, std::span<const std::byte> body) {
  Call call("PUT", "PUT", key);
  call.headers = {{"content-md5", base64(md5_binary(body))}, {"if-none-match", "*"}};
  call.body = body;
  call.accept = {409, 412};
  return execute(call).status / 100 == 2;
}

std::string S3Client::get_object(const std::string& key) {
  Call call("GET", "GET", key);
  return std::move(execute(call).body);
}

std::string S3Client::get_range(const std::string& key, std::uint64_t offset,
                                std::uint64_t length) {
  if (length == 0) throw std::invalid_argument("get_range needs length >= 1");
  std::uint64_t last = length - 1 > UINT64_MAX - offset ? UINT64_MAX : offset + length - 1;
  Call call("GET", "GET", key);
  call.headers = {{"range", fmt::format("bytes={}-{}", offset, last)}};
  call.expected_bytes = length;
  call.accept = {416};
  HttpResponse response = execute(call);
  if (response.status == 416) return "";
  std::string body = std::move(response.body);
  if (response.status == 206) return body;
  // A 200 answer ignored the range: cut it here.
  if (offset >= body.size()) return "";
  return body.substr(offset, length);
}

std::optional<S3Head> S3Client::head_object(const std::string& key) {
  Call call("HEAD", "HEAD", key);
  call.accept = {404};
  HttpResponse response = execute(call);
  if (response.status == 404) return std::nullopt;
  return S3Head{parse_u64(response.header("Content-Length")), unquote(response.header("ETag"))};
}

void S3Client::delete_object(const std::string& key) {
  Call call("DELETE", "DELETE", key);
  call.accept = {404};
  execute(call);
}

void S3Client::delete_objects(std::span<const std::string> keys) {
  if (keys.empty()) return;
  if (keys.size() > kMaxDeleteKeys)
    throw std::invalid_argument("delete_objects takes 1000 keys at most");
  std::string xml = "<Delete><Quiet>true</Quiet>";
  for (const auto& key : keys)
    xml += fmt::format("<Object><Key>{}</Key></Object>", xml_escape(key));
  xml += "</Delete>";
  std::span<const std::byte> body = bytes_of(xml);
  Call call("POST", "DeleteObjects");
  call.query = {{"delete", ""}};
  call.headers = {{"content-md5", base64(md5_binary(body))}, {"content-type", "application/xml"}};
  call.body = body;
  HttpResponse response = execute(call);
  std::vector<std::string_view> errors = xml_elements(response.body, "Error");
  if (errors.empty()) return;
  throw Error(ExitCode::io_error,
              fmt::format("s3 DeleteObjects could not delete s3://{}/{}: {} ({} of {} keys failed)",
                          bucket_, xml_value(errors.front(), "Key").value_or("?"),
                          xml_value(errors.front(), "Code").value_or("unknown error"),
                          errors.size(), keys.size()));
}

S3ListPage S3Client::list_objects(const std::string& prefix, const std::string& token,
                                  int max_keys) {
  Call call("GET", "ListObjectsV2");
  call.query = {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", std::to_string(max_keys)}};
  if (!token.empty()) call.query.emplace_back("continuation-token", token);
  HttpResponse response = execute(call);
  S3ListPage page;
  for (std::string_view contents : xml_elements(response.body, "Contents")) {
    page.objects.push_back({xml_value(contents, "Key").value_or(""),
                            parse_u64(xml_value(contents, "Size").value_or("0")),
                            unquote(xml_value(contents, "ETag").value_or(""))});
  }
  if (xml_value(response.body, "IsTruncated").value_or("false") == "true") {
    page.next_token = xml_value(response.body, "NextContinuationToken").value_or("");
    if (page.next_token.empty())
      throw Error(ExitCode::io_error,
                  fmt::format("s3 ListObjectsV2 of s3://{}/{} returned a truncated page without "
                              "NextContinuationToken",
                              bucket_, prefix));
  }
  return page;
}

std::string S3Client::create_multipart_upload(const std::string& key) {
  Call call("POST", "CreateMultipartUpload", key);
  call.query = {{"uploads", ""}};
  HttpResponse response = execute(call);
  std::string upload_id = xml_value(response.body, "UploadId").value_or("");
  if (upload_id.empty())
    throw Error(ExitCode::io_error,
                fmt::format("s3 CreateMultipartUpload of s3://{}/{} answered without UploadId",
                            bucket_, key));
  return upload_id;
}

std::string S3Client::upload_part(const std::string& key, const std::string& upload_id,
                                  int part_number, std::span<const std::byte> body) {
  Call call("PUT", "UploadPart", key);
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.headers = {{"content-md5", base64(md5_binary(body))}};
  call.body = body;
  return checked_etag(execute(call), body,
                      fmt::format("part {} of s3://{}/{}", part_number, bucket_, key));
}

void S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                         const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                       xml_escape("\"" + etags[i] + "\""));
  xml += "</CompleteMultipartUpload>";
  Call call("POST", "CompleteMultipartUpload", key);
  call.query = {{"uploadId", upload_id}};
  call.headers = {{"content-type", "application/xml"}};
  call.body = bytes_of(xml);
  call.min_timeout = kCompleteTimeout;
  call.error_in_200 = true;
  execute(call);
}

void S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  Call call("DELETE", "AbortMultipartUpload", key);
  call.query = {{"uploadId", upload_id}};
  execute(call);
}

std::vector<S3Upload> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<S3Upload> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  for (;;) {
    Call call("GET", "ListMultipartUploads");
    call.query = {{"uploads", ""}, {"prefix", prefix}};
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) call.query.emplace_back("upload-id-marker", upload_id_marker);
    HttpResponse response = execute(call);
    for (std::string_view upload : xml_elements(response.body, "Upload"))
      uploads.push_back(
          {xml_value(upload, "Key").value_or(""), xml_value(upload, "UploadId").value_or("")});
    if (xml_value(response.body, "IsTruncated").value_or("false") != "true") return uploads;
    key_marker = xml_value(response.body, "NextKeyMarker").value_or("");
    upload_id_marker = xml_value(response.body, "NextUploadIdMarker").value_or("");
    if (key_marker.empty() && upload_id_marker.empty()) return uploads;
  }
}

}  // namespace dbsnap
