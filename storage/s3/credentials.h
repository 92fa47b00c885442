// Where the S3 access key comes from: explicit options, the AWS environment
// variables, or a profile of the shared credentials file.
//
// Precedence and file format follow the AWS CLI ("Configuration and credential
// file settings", "Environment variables to configure the AWS CLI"):
//   1. the keys passed in S3Options (access_key + secret_key);
//   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   3. profile S3Options::profile, else AWS_PROFILE, else "default", read from
//      AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials (INI: [name]
//      sections with aws_access_key_id, aws_secret_access_key,
//      aws_session_token).
#pragma once

#include <string>

namespace dbsnap {

struct S3Options;

// A resolved key. secret_key and session_token are secrets: never print them.
struct S3Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty unless temporary credentials
};

// Resolves the credentials for options as described above. Throws
// dbsnap::Error(ExitCode::usage) when none are found, when only half of a key
// is given, or when a profile named explicitly (options or AWS_PROFILE) is
// missing; the message names the file and the variables to set. Reads the
// environment: call before starting threads that modify it.
S3Credentials resolve_s3_credentials(const S3Options& options);

}  // namespace dbsnap
