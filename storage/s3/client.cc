#include "storage/s3/client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <cstdlib>
#include <mutex>
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

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

using Request = http::request<http::span_body<const char>>;

// Idle keep-alive connections kept per client.
constexpr std::size_t kMaxIdleConnections = 16;
// Each request may take S3Options::timeout plus one second per this many
// bytes sent or expected back.
constexpr std::uint64_t kMinBytesPerSecond = 256 << 10;
constexpr std::uint64_t kMaxTimedBytes = std::uint64_t{1} << 40;
// CompleteMultipartUpload may take minutes on AWS for many parts.
constexpr milliseconds kCompleteTimeout{5 * 60 * 1000};

// A failure below HTTP: no complete answer was received.
class TransportError : public std::runtime_error {
 public:
  TransportError(ExitCode code, bool retryable, const std::string& message)
      : std::runtime_error(message), code_(code), retryable_(retryable) {}
  ExitCode code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }
  // True when it happened on a kept-alive connection the server may have
  // closed meanwhile: worth one immediate retry on a new connection.
  bool stale = false;

 private:
  ExitCode code_;
  bool retryable_;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
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

// One HTTP(S) connection with its own io_context: every operation is started
// asynchronously (so Beast's timeouts apply) and run to completion at once.
// Used by one thread at a time.
class S3Client::Connection {
 public:
  Connection(const std::string& host, const std::string& port, ssl::context* tls, bool verify,
             milliseconds timeout)
      : name_(fmt::format("{}:{}", host, port)) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
    });
    run();
    if (ec)
      throw TransportError(
          ExitCode::unknown_host, false,
          fmt::format("unable to resolve s3 endpoint host '{}': {}", host, ec.message()));
    if (tls != nullptr) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls);
      if (!is_ip_address(host)) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
      if (verify) {
        tls_->set_verify_mode(ssl::verify_peer);
        tls_->set_verify_callback(ssl::host_name_verification(host));
      }
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
    with_stream([&](auto& stream) {
      auto& socket = beast::get_lowest_layer(stream);
      socket.expires_after(timeout);
      socket.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
      run();
    });
    if (ec == asio::error::connection_refused)
      throw TransportError(ExitCode::connection_refused, true,
                           fmt::format("nothing accepts connections at s3 endpoint {}", name_));
    if (ec) throw failure(fmt::format("unable to connect to s3 endpoint {}", name_), ec);
    if (!tls_) return;
    beast::get_lowest_layer(*tls_).expires_after(timeout);
    tls_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    run();
    if (ec == beast::error::timeout) throw failure("tls handshake timed out", ec);
    if (ec)
      throw TransportError(
          ExitCode::tls_required, false,
          fmt::format("tls handshake with s3 endpoint {} failed: {}{}", name_, ec.message(),
                      verify ? " (check the certificate, or use the insecure option only for "
                               "a trusted test endpoint)"
                             : ""));
  }

  // Sends request and reads the answer (without body when head). If sending
  // fails, an answer the server already sent (an early error) still counts.
  http::response<http::string_body> exchange(Request& request, bool head, milliseconds timeout) {
    ++uses_;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    beast::error_code write_ec;
    beast::error_code read_ec;
    with_stream([&](auto& stream) {
      beast::get_lowest_layer(stream).expires_after(timeout);
      http::async_write(stream, request, [&](beast::error_code e, std::size_t) { write_ec = e; });
      run();
      beast::get_lowest_layer(stream).expires_after(write_ec ? milliseconds(1000) : timeout);
      http::async_read(stream, buffer_, parser,
                       [&](beast::error_code e, std::size_t) { read_ec = e; });
      run();
    });
    if (read_ec) {
      TransportError error =
          failure(fmt::format("{} to s3 endpoint {}", write_ec ? "sending" : "receiving", name_),
                  write_ec ? write_ec : read_ec);
      error.stale = uses_ > 1 && !parser.got_some();
      throw error;
    }
    keep_alive_ = !write_ec && parser.get().keep_alive();
    return parser.release();
  }

  // False once the server or a failure ended the connection.
  bool reusable() const { return keep_alive_; }

 private:
  static TransportError failure(const std::string& what, beast::error_code ec) {
    if (ec == beast::error::timeout)
      return TransportError(ExitCode::timeout, true, what + ": timed out");
    return TransportError(ExitCode::io_error, true, fmt::format("{}: {}", what, ec.message()));
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  std::string name_;  // host:port for messages
  asio::io_context ioc_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::unique_ptr<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
  int uses_ = 0;
  bool keep_alive_ = true;
};

// Idle connections, shared by all threads of a client.
class S3Client::Pool {
 public:
  explicit Pool(bool tls) {
    if (!tls) return;
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    tls_->set_default_verify_paths();
  }

  ssl::context* tls() { return tls_.get(); }

  std::unique_ptr<Connection> take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  void give(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
  }

 private:
  std::unique_ptr<ssl::context> tls_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

struct S3Client::Call {
  Call(http::verb method, std::string_view operation, std::string key = {})
      : method(method), operation(operation), key(std::move(key)) {}

  http::verb method;
  std::string_view operation;  // for messages: "GET", "UploadPart", ...
  std::string key;             // empty for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names, signed
  std::span<const std::byte> body;
  std::uint64_t expected_bytes = 0;  // answer size, for the timeout
  milliseconds min_timeout{0};
  std::vector<unsigned> accept;  // non-2xx statuses returned, not thrown
  bool head = false;
  bool error_in_200 = false;  // a 200 answer may carry an <Error> body
};

struct S3Client::Response {
  http::response<http::string_body> message;
  unsigned status() const { return message.result_int(); }
  const std::string& body() const { return message.body(); }
  std::string header(std::string_view name) const {
    auto it = message.find(name);
    return it == message.end() ? std::string() : std::string(it->value());
  }
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

  std::string_view rest = endpoint_;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    tls_ = false;
  } else {
    throw Error(ExitCode::usage,
                fmt::format("s3 endpoint '{}' must start with http:// or https://", endpoint_));
  }
  if (rest.empty() || rest.find_first_of("/?#@") != std::string_view::npos)
    throw Error(ExitCode::usage,
                fmt::format("s3 endpoint '{}' must be scheme://host[:port] only", endpoint_));
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {  // [IPv6]:port
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos)
      throw Error(ExitCode::usage, fmt::format("s3 endpoint '{}' has no ']'", endpoint_));
    host = rest.substr(1, close - 1);
    if (rest.size() > close + 1 && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  std::string default_port = tls_ ? "443" : "80";
  port_ = port.empty() ? default_port : std::string(port);
  bool virtual_host =
      options_.url_style == S3UrlStyle::virtual_host ||
      (options_.url_style == S3UrlStyle::automatic && aws && dns_safe_bucket(bucket_));
  connect_host_ = virtual_host ? fmt::format("{}.{}", bucket_, host) : std::string(host);
  host_header_ =
      host.find(':') != std::string_view::npos ? fmt::format("[{}]", connect_host_) : connect_host_;
  if (port_ != default_port) host_header_ += ":" + port_;
  path_prefix_ = virtual_host ? "" : "/" + uri_encode(bucket_, false);

  credentials_ = resolve_s3_credentials(options_);
  pool_ = std::make_unique<Pool>(tls_);
}

S3Client::~S3Client() = default;

std::string S3Client::describe() const {
  if (options_.endpoint.empty()) return fmt::format("s3://{}", bucket_);
  return fmt::format("s3://{} at {}", bucket_, endpoint_);
}

std::string S3Client::endpoint() const { return endpoint_; }

S3Client::Response S3Client::attempt(const Call& call, const std::string& payload_sha256) {
  std::string path = path_prefix_;
  if (!call.key.empty())
    path += "/" + uri_encode(call.key, true);
  else if (path.empty())
    path = "/";
  std::string query = canonical_query(call.query);
  std::string date = amz_date(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  SigV4Request signed_part{http::to_string(call.method), path, query, call.headers, payload_sha256};
  signed_part.headers.emplace_back("host", host_header_);
  signed_part.headers.emplace_back("x-amz-date", date);
  signed_part.headers.emplace_back("x-amz-content-sha256", payload_sha256);
  if (!credentials_.session_token.empty())
    signed_part.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  std::string authorization = sigv4_authorization(
      signed_part, {credentials_.access_key, credentials_.secret_key, options_.region, date});

  Request request{call.method, query.empty() ? path : path + "?" + query, 11};
  for (const auto& [name, value] : signed_part.headers) request.set(name, value);
  request.set(http::field::authorization, authorization);
  request.set(http::field::user_agent, "dbsnap/" DBSNAP_VERSION);
  request.body() = {reinterpret_cast<const char*>(call.body.data()), call.body.size()};
  request.keep_alive(true);
  request.prepare_payload();

  // An open-ended range ("to the end") must not overflow the sum.
  std::uint64_t bytes = call.body.size() + std::min(call.expected_bytes, kMaxTimedBytes);
  milliseconds timeout = options_.timeout + milliseconds(1000 * (bytes / kMinBytesPerSecond));
  timeout = std::max(timeout, call.min_timeout);
  std::unique_ptr<Connection> connection = pool_->take();
  if (!connection)
    connection = std::make_unique<Connection>(connect_host_, port_, pool_->tls(),
                                              !options_.insecure, options_.timeout);
  Response response{connection->exchange(request, call.head, timeout)};
  if (connection->reusable()) pool_->give(std::move(connection));
  return response;
}

S3Client::Response S3Client::execute(const Call& call) {
  std::string payload_sha256 = sha256_hex(call.body);
  S3RequestInfo info{call.operation, bucket_, call.key, endpoint_, credentials_.access_key};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto back_off = [&](int failures) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::this_thread::sleep_for(
        retry_delay(failures, options_.retry_base_delay, options_.retry_max_delay, unit(rng)));
  };
  bool stale_retried = false;
  for (int failures = 0;;) {
    std::optional<Response> response;
    try {
      response = attempt(call, payload_sha256);
    } catch (const TransportError& e) {
      if (e.stale && !stale_retried) {
        stale_retried = true;
        continue;
      }
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
    unsigned status = response->status();
    bool error_body = call.error_in_200 && !xml_elements(response->body(), "Error").empty();
    if ((status / 100 == 2 && !error_body) ||
        std::find(call.accept.begin(), call.accept.end(), status) != call.accept.end())
      return std::move(*response);
    std::string code = s3_error_code(status, response->body());
    if (s3_retryable(error_body ? 500 : status, code) && ++failures < options_.max_attempts) {
      back_off(failures);
      continue;
    }
    throw s3_error(status, response->body(), info);
  }
}

namespace {

// Checks that an ETag is the MD5 of what was sent, as S3 answers for objects
// and parts stored without KMS or customer-key encryption.
void check_etag(const std::string& etag, const std::string& md5_hex_digest,
                const std::string& encryption, const std::string& customer_algorithm,
                const std::string& what) {
  if (encryption.starts_with("aws:kms") || !customer_algorithm.empty()) return;
  if (std::equal(etag.begin(), etag.end(), md5_hex_digest.begin(), md5_hex_digest.end(),
                 [](char a, char b) { return std::tolower(a) == b; }))
    return;
  throw Error(ExitCode::io_error,
              fmt::format("s3 stored {} with ETag '{}', not the MD5 of the bytes sent ({}): the "
                          "data changed in transit",
                          what, etag, md5_hex_digest));
}

}  // namespace

std::string S3Client::put_object(const std::string& key, std::span<const std::byte> body) {
  std::string md5 = md5_binary(body);
  Call call(http::verb::put, "PUT", key);
  call.headers = {{"content-md5", base64(md5)}};
  call.body = body;
  Response response = execute(call);
  std::string etag = unquote(response.header("ETag"));
  check_etag(etag, md5_hex(body), response.header("x-amz-server-side-encryption"),
             response.header("x-amz-server-side-encryption-customer-algorithm"),
             fmt::format("s3://{}/{}", bucket_, key));
  return etag;
}

std::string S3Client::get_object(const std::string& key) {
  Call call(http::verb::get, "GET", key);
  return std::move(execute(call).message.body());
}

std::string S3Client::get_range(const std::string& key, std::uint64_t offset,
                                std::uint64_t length) {
  if (length == 0) throw std::invalid_argument("get_range needs length >= 1");
  std::uint64_t last = length - 1 > UINT64_MAX - offset ? UINT64_MAX : offset + length - 1;
  Call call(http::verb::get, "GET", key);
  call.headers = {{"range", fmt::format("bytes={}-{}", offset, last)}};
  call.expected_bytes = length;
  call.accept = {416};
  Response response = execute(call);
  if (response.status() == 416) return "";
  std::string body = std::move(response.message.body());
  if (response.status() == 206) return body;
  // A 200 answer ignored the range: cut it here.
  if (offset >= body.size()) return "";
  return body.substr(offset, length);
}

std::optional<S3Head> S3Client::head_object(const std::string& key) {
  Call call(http::verb::head, "HEAD", key);
  call.accept = {404};
  call.head = true;
  Response response = execute(call);
  if (response.status() == 404) return std::nullopt;
  return S3Head{parse_u64(response.header("Content-Length")), unquote(response.header("ETag"))};
}

void S3Client::delete_object(const std::string& key) {
  Call call(http::verb::delete_, "DELETE", key);
  call.accept = {404};
  execute(call);
}

S3ListPage S3Client::list_objects(const std::string& prefix, const std::string& token,
                                  int max_keys) {
  Call call(http::verb::get, "ListObjectsV2");
  call.query = {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", std::to_string(max_keys)}};
  if (!token.empty()) call.query.emplace_back("continuation-token", token);
  Response response = execute(call);
  S3ListPage page;
  for (std::string_view contents : xml_elements(response.body(), "Contents")) {
    page.objects.push_back({xml_value(contents, "Key").value_or(""),
                            parse_u64(xml_value(contents, "Size").value_or("0")),
                            unquote(xml_value(contents, "ETag").value_or(""))});
  }
  if (xml_value(response.body(), "IsTruncated").value_or("false") == "true") {
    page.next_token = xml_value(response.body(), "NextContinuationToken").value_or("");
    if (page.next_token.empty())
      throw Error(ExitCode::io_error,
                  fmt::format("s3 ListObjectsV2 of s3://{}/{} returned a truncated page without "
                              "NextContinuationToken",
                              bucket_, prefix));
  }
  return page;
}

std::string S3Client::create_multipart_upload(const std::string& key) {
  Call call(http::verb::post, "CreateMultipartUpload", key);
  call.query = {{"uploads", ""}};
  Response response = execute(call);
  std::string upload_id = xml_value(response.body(), "UploadId").value_or("");
  if (upload_id.empty())
    throw Error(ExitCode::io_error,
                fmt::format("s3 CreateMultipartUpload of s3://{}/{} answered without UploadId",
                            bucket_, key));
  return upload_id;
}

std::string S3Client::upload_part(const std::string& key, const std::string& upload_id,
                                  int part_number, std::span<const std::byte> body) {
  std::string md5 = md5_binary(body);
  Call call(http::verb::put, "UploadPart", key);
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.headers = {{"content-md5", base64(md5)}};
  call.body = body;
  Response response = execute(call);
  std::string etag = unquote(response.header("ETag"));
  check_etag(etag, md5_hex(body), response.header("x-amz-server-side-encryption"),
             response.header("x-amz-server-side-encryption-customer-algorithm"),
             fmt::format("part {} of s3://{}/{}", part_number, bucket_, key));
  return etag;
}

void S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                         const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                       xml_escape("\"" + etags[i] + "\""));
  xml += "</CompleteMultipartUpload>";
  Call call(http::verb::post, "CompleteMultipartUpload", key);
  call.query = {{"uploadId", upload_id}};
  call.headers = {{"content-type", "application/xml"}};
  call.body = bytes_of(xml);
  call.min_timeout = kCompleteTimeout;
  call.error_in_200 = true;
  execute(call);
}

void S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  Call call(http::verb::delete_, "AbortMultipartUpload", key);
  call.query = {{"uploadId", upload_id}};
  execute(call);
}

std::vector<S3Upload> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<S3Upload> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  for (;;) {
    Call call(http::verb::get, "ListMultipartUploads");
    call.query = {{"uploads", ""}, {"prefix", prefix}};
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) call.query.emplace_back("upload-id-marker", upload_id_marker);
    Response response = execute(call);
    for (std::string_view upload : xml_elements(response.body(), "Upload"))
      uploads.push_back(
          {xml_value(upload, "Key").value_or(""), xml_value(upload, "UploadId").value_or("")});
    if (xml_value(response.body(), "IsTruncated").value_or("false") != "true") return uploads;
    key_marker = xml_value(response.body(), "NextKeyMarker").value_or("");
    upload_id_marker = xml_value(response.body(), "NextUploadIdMarker").value_or("");
    if (key_marker.empty() && upload_id_marker.empty()) return uploads;
  }
}

}  // namespace dbsnap
