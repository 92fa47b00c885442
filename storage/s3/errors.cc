#include "storage/s3/errors.h"

#include <fmt/format.h>

#include "storage/s3/xml.h"

namespace dbsnap {
namespace {

// The server's message on one line, or "" if it sent none.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return text;
}

std::string object_name(const S3RequestInfo& info) {
  return info.key.empty() ? fmt::format("s3://{}", info.bucket)
                          : fmt::format("s3://{}/{}", info.bucket, info.key);
}

}  // namespace

std::string s3_error_code(unsigned status, std::string_view body) {
  for (std::string_view error : xml_elements(body, "Error"))
    if (auto code = xml_value(error, "Code"); code && !code->empty()) return *code;
  if (status == 403) return "AccessDenied";
  if (status == 404) return "NotFound";
  return "";
}

bool s3_retryable(unsigned status, std::string_view code) {
  return status >= 500 || status == 429 || code == "RequestTimeout" || code == "SlowDown" ||
         code.starts_with("Throttling");
}

Error s3_error(unsigned status, std::string_view body, const S3RequestInfo& info) {
  std::string code = s3_error_code(status, body);
  std::string object = object_name(info);
  if (code == "SignatureDoesNotMatch")
    return Error(ExitCode::access_denied,
                 fmt::format("s3 at {} rejected the signature of {} {}: check the secret key "
                             "that goes with access key '{}' (AWS_SECRET_ACCESS_KEY or the "
                             "profile)",
                             info.endpoint, info.operation, object, info.access_key));
  if (code == "InvalidAccessKeyId")
    return Error(ExitCode::access_denied,
                 fmt::format("s3 at {} does not know access key '{}': check AWS_ACCESS_KEY_ID "
                             "or the profile",
                             info.endpoint, info.access_key));
  if (code == "RequestTimeTooSkewed")
    return Error(ExitCode::access_denied,
                 fmt::format("s3 at {} refused {} {}: this machine's clock is too far from the "
                             "server's: fix the clock (NTP)",
                             info.endpoint, info.operation, object));
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired")
    return Error(ExitCode::access_denied,
                 fmt::format("s3 at {} refused the session token ({}): refresh "
                             "AWS_SESSION_TOKEN or the profile's aws_session_token",
                             info.endpoint, code));
  if (code == "AccessDenied")
    return Error(ExitCode::access_denied,
                 fmt::format("access denied to {} {} for access key '{}': grant the key this "
                             "action in the bucket or IAM policy",
                             info.operation, object, info.access_key));
  if (code == "NoSuchBucket")
    return Error(ExitCode::io_error,
                 fmt::format("bucket '{}' does not exist at {}: create it or fix the volume URL",
                             info.bucket, info.endpoint));
  if (code == "NoSuchKey" || (code == "NotFound" && !info.key.empty()))
    return Error(ExitCode::io_error, fmt::format("object {} does not exist", object));
  if (code == "NoSuchUpload")
    return Error(
        ExitCode::io_error,
        fmt::format("the multipart upload of {} no longer exists (aborted or expired)", object));
  std::string message;
  for (std::string_view error : xml_elements(body, "Error"))
    if (auto text = xml_value(error, "Message")) message = one_line(*text);
  return Error(ExitCode::io_error,
               fmt::format("s3 {} {} failed: HTTP {}{}{}", info.operation, object, status,
                           code.empty() ? "" : " " + code, message.empty() ? "" : ": " + message));
}

}  // namespace dbsnap
