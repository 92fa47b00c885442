// AWS Signature Version 4 for S3 requests, and the digests S3 requests carry.
//
// Format rules: AWS "Signature Version 4 signing process" and the S3 API
// reference "Authenticating Requests: Using the Authorization Header (AWS
// Signature Version 4)"; the unit tests check the S3 examples published there.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbsnap {

// Hex SHA-256 of the empty payload (x-amz-content-sha256 of a request without body).
constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The parts of an HTTP request that the signature covers. Header names must be
// lowercase and unique; values are trimmed when canonicalised. canonical_uri
// and canonical_query must already be encoded (see uri_encode, canonical_query).
struct SigV4Request {
  std::string_view method;                                   // "GET", "PUT", ...
  std::string_view canonical_uri;                            // "/bucket/some%20key"
  std::string_view canonical_query;                          // "partNumber=1&uploadId=abc"
  std::vector<std::pair<std::string, std::string>> headers;  // host, x-amz-date, ...
  std::string_view payload_sha256;                           // hex, as sent in x-amz-content-sha256
};

// The signing inputs besides the request. secret_key is never printed.
struct SigV4Scope {
  std::string_view access_key;
  std::string_view secret_key;
  std::string_view region;    // "us-east-1"
  std::string_view amz_date;  // "20130524T000000Z", the x-amz-date header
  std::string_view service = "s3";
};

// Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
// keep_slash), with uppercase hex digits, as SigV4 canonical URIs and query
// strings require.
std::string uri_encode(std::string_view text, bool keep_slash);

// "k1=v1&k2=v2": names and values uri_encode()d, sorted by name then value;
// a parameter without value gives "k=".
std::string canonical_query(std::vector<std::pair<std::string, std::string>> params);

// The canonical request (method, URI, query, headers, signed header names,
// payload hash, separated by '\n').
std::string canonical_request(const SigV4Request& request);

// The value of the Authorization header:
// "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/s3/aws4_request,
// SignedHeaders=<names>,Signature=<hex>". Signs every header of request.
std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope);

// "20130524T000000Z" for a Unix time (UTC).
std::string amz_date(long long unix_seconds);

// Digests of bytes: lowercase hex SHA-256, lowercase hex MD5, binary MD5
// (16 bytes) and base64 of binary MD5 (the Content-MD5 header).
std::string sha256_hex(std::span<const std::byte> bytes);
std::string md5_hex(std::span<const std::byte> bytes);
std::string md5_binary(std::span<const std::byte> bytes);
std::string base64(std::string_view bytes);

}  // namespace dbsnap
