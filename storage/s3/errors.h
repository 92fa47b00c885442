// Turns S3's error answers into dbsnap::Error with one clear line that says
// what to fix. Error codes and their HTTP statuses: S3 API reference,
// "Error responses" (the <Error><Code>...</Code><Message>...</Message> body).
#pragma once

#include <string>
#include <string_view>

#include "engine/error.h"

namespace dbsnap {

// What a failed request was about, for the message. Holds no secret.
struct S3RequestInfo {
  std::string_view operation;  // "GET", "PUT", "UploadPart", "ListObjectsV2", ...
  std::string_view bucket;
  std::string_view key;         // empty for bucket-level requests
  std::string_view endpoint;    // "http://127.0.0.1:9000"
  std::string_view access_key;  // the key id (not secret), named when it is the fault
};

// The S3 error code of an answer: <Code> of an XML error body, or for a body
// without one (HEAD answers have none) a code implied by the status
// ("AccessDenied" for 403, "NotFound" for 404, "" otherwise).
std::string s3_error_code(unsigned status, std::string_view body);

// True if the same request may succeed when sent again: any 5xx or 429, and
// the transient codes RequestTimeout, SlowDown and Throttling.
bool s3_retryable(unsigned status, std::string_view code);

// The error for a non-2xx answer (or a 200 whose body is an <Error>).
// Authentication and permission failures (SignatureDoesNotMatch,
// InvalidAccessKeyId, AccessDenied, RequestTimeTooSkewed, expired tokens)
// give ExitCode::access_denied; everything else ExitCode::io_error. E.g.
//   "bucket 'backups' does not exist at http://127.0.0.1:9000: create it or fix the volume URL"
Error s3_error(unsigned status, std::string_view body, const S3RequestInfo& info);

}  // namespace dbsnap
